"""An export of a family's data: asked, built (by a job for large accounts), downloaded once, expired."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime, utcnow


class ExportStatus(enum.StrEnum):
    PENDING = "en_preparation"
    READY = "pret"
    DOWNLOADED = "telecharge"
    EXPIRED = "expire"


class DataExport(Base):
    __tablename__ = "data_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    status: Mapped[ExportStatus] = mapped_column(String(20), default=ExportStatus.PENDING, index=True)
    #: Random file name under COFFRE_DIR/exports while the ZIP waits for its download.
    path: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DraftWarning(Base):
    """A family was told that its draft will be deleted (once per draft; the row goes with the draft)."""

    __tablename__ = "draft_warning"

    instance_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    warned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
