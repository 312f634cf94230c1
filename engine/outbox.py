"""The transactional outbox: mails are rows written with the business change, sent after commit."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import utcnow
from .models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# How long a worker keeps the messages it is sending to itself.
CLAIM_DURATION = timedelta(minutes=10)


class PermanentFailure(Exception):
    """Raised by a sender when retrying cannot help (e.g. the server refused the recipient)."""


def enqueue_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    instance_id: int | None = None,
    domain: str = "guichet.localhost",
) -> OutboxMessage:
    """Write a mail to the outbox in the caller's transaction; it is sent only if that commits."""
    if "\r" in to or "\n" in to or "\r" in subject or "\n" in subject:
        raise ValueError("line breaks are not allowed in mail headers")
    message = OutboxMessage(
        recipient=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        instance_id=instance_id,
        message_id=f"<{secrets.token_hex(16)}@{domain}>",
        status=OutboxStatus.PENDING,
        next_attempt_at=utcnow(),
        created_at=utcnow(),
    )
    session.add(message)
    session.info["outbox_written"] = True
    return message


def backoff(attempts: int) -> timedelta:
    """Delay before the next try: 1, 2, 4 ... minutes, capped at 6 hours."""
    return timedelta(minutes=min(2 ** (attempts - 1), 360))


def drain(
    session: Session,
    send: Callable[[OutboxMessage], None],
    now: datetime | None = None,
    limit: int = 50,
    *,
    channels: Collection[str] | None = None,
    on_done: Callable[[Session, OutboxMessage], None] | None = None,
) -> tuple[int, int]:
    """Send the due pending messages, committing after each one; returns (sent, failed).

    `channels` limits the rows to these channels ("courriel", "sms"); `on_done` runs in the same
    transaction as the row's final status (sent, or failed for good), e.g. to record a delivery.
    """
    now = now or utcnow()
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if channels is not None:
        query = query.where(OutboxMessage.channel.in_(sorted(channels)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    messages = session.execute(query).scalars().all()
    # Claim them before the locks go: another worker must not pick them up while they are being sent.
    # If this process dies mid-send, the claim lapses and they are sent again (at-least-once).
    claimed_until = max(now, utcnow()) + CLAIM_DURATION
    for message in messages:
        message.next_attempt_at = claimed_until
    session.commit()  # release the row locks before talking to the SMTP server
    sent = failed = 0
    for message in messages:
        message.attempts += 1
        try:
            send(message)
        except PermanentFailure as exc:
            message.status = OutboxStatus.FAILED
            message.last_error = str(exc)[:2000]
            failed += 1
            log.warning("Mail %s refused for good: %s", message.id, exc)
        except Exception as exc:
            message.last_error = str(exc)[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxStatus.FAILED
                failed += 1
            else:
                message.next_attempt_at = utcnow() + backoff(message.attempts)
            log.warning("Mail %s not sent (try %s): %s", message.id, message.attempts, exc)
        else:
            message.status = OutboxStatus.SENT
            message.sent_at = utcnow()
            sent += 1
        if on_done is not None and message.status != OutboxStatus.PENDING:
            on_done(session, message)
        session.commit()
    return sent, failed


@dataclass(frozen=True)
class OutboxView:
    """One outbox message as the development outbox page shows it."""

    id: int
    recipient: str
    subject: str
    body_text: str
    status: str
    created_at: datetime


def _view(message: OutboxMessage) -> OutboxView:
    return OutboxView(
        message.id, message.recipient, message.subject, message.body_text, message.status, message.created_at
    )


def recent_messages(session: Session, limit: int = 100) -> list[OutboxView]:
    """The latest outbox messages, newest first."""
    rows = session.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)).scalars()
    return [_view(message) for message in rows]


def message_view(session: Session, message_id: int) -> OutboxView | None:
    message = session.get(OutboxMessage, message_id)
    return _view(message) if message is not None else None
