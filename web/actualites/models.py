"""News (« actualités ») written by the communication agents, for everyone or for some families."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, UTCDateTime, utcnow
from web.core.i18n import _
from web.famille.models import Activity


class Audience(enum.StrEnum):
    TOUS = "tous"  # public: home page, list, Atom feed
    SERVICE = "service"  # families with a child known to the service (or a record of that service)
    ACTIVITE = "activite"  # families with a child enrolled in the activity


class NewsItem(Base):
    __tablename__ = "news_item"
    __table_args__ = (Index("ix_news_item_published", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500))
    # Already sanitised by web.actualites.services.sanitise (allowlist, nh3): safe to render as is.
    body_html: Mapped[str] = mapped_column(Text, default="")
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    image_mime: Mapped[str | None] = mapped_column(String(20))
    image_alt: Mapped[str | None] = mapped_column(String(300))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    audience: Mapped[Audience] = mapped_column(String(20), default=Audience.TOUS)
    audience_service: Mapped[str | None] = mapped_column(String(100))
    audience_activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    audience_activity: Mapped[Activity | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<NewsItem {self.id} {self.title!r} {self.audience}>"

    @property
    def audience_label(self) -> str:
        if self.audience == Audience.SERVICE:
            return _("Familles du service %(service)s", service=self.audience_service)
        if self.audience == Audience.ACTIVITE and self.audience_activity is not None:
            return _("Familles de l'activité « %(activity)s »", activity=self.audience_activity.name)
        return _("Tout le monde")
