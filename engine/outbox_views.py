"""The outbox seen from outside: the development outbox page's views, the backlog per channel for
the admins' « File d'envoi » page, and the once-per-outage alert (engine/outbox.py sends)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .db import utcnow
from .models import OutboxChannelState, OutboxMessage, OutboxStatus
from .outbox import DEFAULT_POLICY, RetryPolicy, aware


@dataclass(frozen=True)
class OutboxView:
    """One outbox message as the development outbox page shows it."""

    id: int
    recipient: str
    subject: str
    body_text: str
    status: str
    created_at: datetime
    language: str = "fr"  # the mail's own language (its HTML's lang; an SMS: French)


def _view(message: OutboxMessage) -> OutboxView:
    found = re.search(r'<html lang="([a-z]{2})"', message.body_html or "")
    return OutboxView(
        message.id,
        message.recipient,
        message.subject,
        message.body_text,
        message.status,
        message.created_at,
        found[1] if found else "fr",
    )


def recent_messages(session: Session, limit: int = 100) -> list[OutboxView]:
    """The latest outbox messages, newest first."""
    rows = session.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)).scalars()
    return [_view(message) for message in rows]


def message_view(session: Session, message_id: int) -> OutboxView | None:
    message = session.get(OutboxMessage, message_id)
    return _view(message) if message is not None else None


def alert_due(
    session: Session, now: datetime | None = None, policy: RetryPolicy = DEFAULT_POLICY
) -> list[str]:
    """Channels failing for `alert_after` whose admins were not told yet; marks them told and commits.

    The conditional UPDATE makes the alert once per outage however many workers run this."""
    now = now or utcnow()
    channels = (
        session.execute(
            select(OutboxChannelState.channel).where(
                OutboxChannelState.failing_since <= now - policy.alert_after,
                OutboxChannelState.alerted_at.is_(None),
            )
        )
        .scalars()
        .all()
    )
    told = []
    for channel in channels:
        result = session.execute(
            update(OutboxChannelState)
            .where(
                OutboxChannelState.channel == channel,
                OutboxChannelState.failing_since <= now - policy.alert_after,
                OutboxChannelState.alerted_at.is_(None),
            )
            .values(alerted_at=now)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            told.append(channel)
    session.commit()
    return told


@dataclass(frozen=True)
class ChannelBacklog:
    """What waits on one channel of the outbox (the admins' « File d'envoi » page)."""

    channel: str
    pending: int
    failing: int  # pending rows already tried at least once
    failed: int  # given up
    oldest_pending_at: datetime | None
    next_attempt_at: datetime | None
    failing_since: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    alerted_at: datetime | None


def backlog(session: Session) -> list[ChannelBacklog]:
    """The outbox backlog, one line per channel that has rows or a recorded state."""
    pending = OutboxMessage.status == OutboxStatus.PENDING
    rows = session.execute(
        select(
            OutboxMessage.channel,
            func.count().filter(pending),
            func.count().filter(pending, OutboxMessage.attempts > 0),
            func.count().filter(OutboxMessage.status == OutboxStatus.FAILED),
            func.min(OutboxMessage.created_at).filter(pending),
            func.min(OutboxMessage.next_attempt_at).filter(pending),
        )
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
        .group_by(OutboxMessage.channel)
    ).all()
    counts = {row[0]: row[1:] for row in rows}
    states = {state.channel: state for state in session.execute(select(OutboxChannelState)).scalars()}
    result = []
    for channel in sorted(set(counts) | set(states)):
        n_pending, n_failing, n_failed, oldest, next_at = counts.get(channel, (0, 0, 0, None, None))
        state = states.get(channel)
        result.append(
            ChannelBacklog(
                channel=channel,
                pending=int(n_pending),
                failing=int(n_failing),
                failed=int(n_failed),
                oldest_pending_at=aware(oldest),
                next_attempt_at=aware(next_at),
                failing_since=state.failing_since if state else None,
                last_success_at=state.last_success_at if state else None,
                last_error=state.last_error if state else None,
                alerted_at=state.alerted_at if state else None,
            )
        )
    return result
