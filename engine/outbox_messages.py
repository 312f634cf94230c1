"""Frozen views of outbox rows: what senders, delivery hooks and the web see of a queued message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from .models import OutboxMessage


@dataclass(frozen=True)
class OutgoingMessage:
    """One outbox row as a sender sends it, and as `on_done` sees its outcome."""

    id: int | None
    instance_id: int | None
    recipient: str
    subject: str
    body_text: str
    body_html: str | None
    message_id: str
    status: str
    attempts: int
    last_error: str | None
    channel: str
    notification_id: int | None
    created_at: datetime


def outgoing(message: OutboxMessage) -> OutgoingMessage:
    return OutgoingMessage(
        id=message.id,
        instance_id=message.instance_id,
        recipient=message.recipient,
        subject=message.subject,
        body_text=message.body_text,
        body_html=message.body_html,
        message_id=message.message_id,
        status=message.status,
        attempts=message.attempts or 0,
        last_error=message.last_error,
        channel=message.channel or "courriel",
        notification_id=message.notification_id,
        created_at=message.created_at,
    )


def message_queued(session: Session, message_id: str) -> bool:
    """True when a row with this Message-ID is already in the outbox (any status)."""
    return bool(session.execute(select(exists().where(OutboxMessage.message_id == message_id))).scalar())


def withdraw_mail(session: Session, message_id: str) -> None:
    """Remove a message queued in this transaction (written and removed: as much work, no mail)."""
    session.execute(delete(OutboxMessage).where(OutboxMessage.message_id == message_id))
