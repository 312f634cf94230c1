"""Studio data owned by the web: the analysts' drafts and the audit trail of publications."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime, utcnow
from web.core.i18n import _l


class StudioAction(enum.StrEnum):
    PUBLISH = "publish"
    ROLLBACK = "rollback"


ACTION_LABELS = {StudioAction.PUBLISH: _l("Publication"), StudioAction.ROLLBACK: _l("Retour à une version")}


class StudioDraft(Base):
    """One analyst's unpublished BPMN of a démarche (never live); `base_version` guards the publish."""

    __tablename__ = "studio_draft"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    base_version: Mapped[int] = mapped_column(Integer)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<StudioDraft {self.id} {self.key} from v{self.base_version}>"


class StudioAudit(Base):
    """Who published or rolled back which démarche version, when (UTC): never updated nor deleted."""

    __tablename__ = "studio_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(150))
    action: Mapped[StudioAction] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    from_version: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<StudioAudit {self.id} {self.action} {self.key} v{self.version}>"
