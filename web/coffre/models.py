"""The store's rows: one blob per distinct content, one document per family entry pointing at it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, UTCDateTime, utcnow


class StoredBlob(Base):
    """A file on disk: its random name, its checksum (unique: a content is stored once), its size."""

    __tablename__ = "coffre_blob"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    #: Random file name under COFFRE_DIR (never derived from the family's input).
    path: Mapped[str] = mapped_column(String(100), unique=True)
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoredDocument(Base):
    """A document in a family's store: its name, type and validity; the bytes are its blob's."""

    __tablename__ = "coffre_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    blob_id: Mapped[int] = mapped_column(ForeignKey("coffre_blob.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: One of COFFRE_DOCUMENT_TYPES (« Justificatif de domicile »…).
    kind: Mapped[str] = mapped_column(String(100))
    valid_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    blob: Mapped[StoredBlob] = relationship(lazy="joined")

    @property
    def mime(self) -> str:
        return self.blob.mime

    @property
    def size(self) -> int:
        return self.blob.size

    def expired(self, today: date) -> bool:
        return self.valid_until is not None and self.valid_until < today

    def __repr__(self) -> str:
        return f"<StoredDocument {self.id} {self.name!r} user={self.user_id}>"
