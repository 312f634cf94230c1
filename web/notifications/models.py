"""One notification to a family, whatever the channels it went through."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime, utcnow


class Channel(enum.StrEnum):
    COURRIEL = "courriel"
    SMS = "sms"


class DeliveryStatus(enum.StrEnum):
    """« en attente », « envoyé », « échec », « repli » (the first channel failed, the other is tried)."""

    PENDING = "en_attente"
    SENT = "envoye"
    FAILED = "echec"
    FALLBACK = "repli"


class Notification(Base):
    """A message for the family of a request; its outbox rows carry `notification_id`."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    user_id: Mapped[int] = mapped_column(Integer)
    # The SMS text, and the mail's body when no template is named.
    message: Mapped[str] = mapped_column(Text)
    # templates/emails/<template>/ for the mail channel (None: the generic « notification » mail).
    template: Mapped[str | None] = mapped_column(String(100))
    # The mail template's extra parameters (JSON object of strings, e.g. the refusal's `motif`), kept
    # so that a fallback from SMS to courriel renders the same mail.
    donnees: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[Channel] = mapped_column(String(10))
    status: Mapped[DeliveryStatus] = mapped_column(String(12), default=DeliveryStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.channel} {self.status}>"
