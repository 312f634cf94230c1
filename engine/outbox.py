"""The transactional outbox: mails are rows written with the business change, sent after commit.

Any number of worker processes may drain the same outbox at once (one SQLite file or PostgreSQL):
a worker first *claims* a batch of due rows with one conditional UPDATE that re-checks, under the
database's write lock, that each row is still pending, due and unclaimed, and stamps them with its
own claim token and a lease (next_attempt_at = end of the lease). On PostgreSQL the candidate rows
are also picked with `FOR UPDATE SKIP LOCKED`, so two workers never wait on each other. The claim
commits before any SMTP conversation, and the outcome of each row is written only if the row still
carries this worker's token: a row is sent by one worker at a time. A worker killed mid-batch
leaves its rows claimed until the lease ends; another worker then sends them (at-least-once towards
the SMTP server, with the same Message-ID, for the one mail that was in flight).

Retries never end for a mail (a day-long SMTP outage loses nothing): the delay doubles from
`first_delay` up to `max_delay`, and a mail is given up only after `give_up_after`. When the server
is unreachable (`ServerUnavailable`) the channel is marked failing; the first success afterwards
makes every waiting row of the channel due at once, and `alert_due` tells, once per outage, that a
channel has been failing for `alert_after`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, Update, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .db import utcnow
from .models import OutboxChannelState, OutboxMessage, OutboxStatus
from .outbox_messages import OutgoingMessage, outgoing

log = logging.getLogger(__name__)

#: Tries of an SMS before it falls back to a mail (web/notifications/routing.py::record_delivery).
MAX_ATTEMPTS = 8


class PermanentFailure(Exception):
    """Raised by a sender when retrying cannot help (e.g. the server refused the recipient)."""


class ServerUnavailable(Exception):
    """Raised by a sender when the server itself cannot be reached: every row of the channel waits."""


@dataclass(frozen=True)
class RetryPolicy:
    """How the outbox retries (GUICHET_OUTBOX_* keys, docs/operator-guide.md)."""

    first_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(minutes=15)
    give_up_after: timedelta = timedelta(hours=72)
    lease: timedelta = timedelta(minutes=10)
    alert_after: timedelta = timedelta(hours=1)
    # Channels whose rows are given up after this many tries (an SMS then falls back to a mail).
    max_attempts: Mapping[str, int] = field(default_factory=lambda: {"sms": MAX_ATTEMPTS})


DEFAULT_POLICY = RetryPolicy()


#: session.info key: the channels of the mails this transaction wrote (web/core/transaction.py wakes
#: the outbox job after the commit for them).
WRITTEN_CHANNELS = "outbox_channels"


def enqueue_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    instance_id: int | None = None,
    domain: str = "guichet.localhost",
    channel: str | None = None,
    notification_id: int | None = None,
    message_id: str | None = None,
) -> OutgoingMessage:
    """Write a mail (or an SMS: `channel`) to the outbox in the caller's transaction; it is sent only
    if that commits. `message_id`: a Message-ID of the caller's (unique), else a random one."""
    if "\r" in to or "\n" in to or "\r" in subject or "\n" in subject:
        raise ValueError("line breaks are not allowed in mail headers")
    now = utcnow()
    message = OutboxMessage(
        recipient=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        instance_id=instance_id,
        message_id=message_id or f"<{secrets.token_hex(16)}@{domain}>",
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        channel=channel or "courriel",
        notification_id=notification_id,
    )
    session.add(message)
    session.info.setdefault(WRITTEN_CHANNELS, set()).add(message.channel)  # who to wake after commit
    return outgoing(message)


def backoff(attempts: int, policy: RetryPolicy = DEFAULT_POLICY) -> timedelta:
    """Delay before the next try: first_delay, doubled at each try, capped at max_delay."""
    exponent = min(max(attempts - 1, 0), 30)
    return min(policy.first_delay * (2**exponent), policy.max_delay)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def due_query(now: datetime, limit: int, channels: Collection[str] | None) -> Select[tuple[int]]:
    """The ids of up to `limit` due pending rows of `channels`, oldest due first.

    Read from ix_outbox_message_due (status, channel, next_attempt_at): its cost does not grow with
    the pending rows of the other channels nor with those not due yet (tests/integration/
    test_outbox_due_index.py looks at the query plans on SQLite and PostgreSQL)."""
    due = select(OutboxMessage.id).where(
        OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now
    )
    if channels is not None:
        due = due.where(OutboxMessage.channel.in_(sorted(channels)))
    return due.order_by(OutboxMessage.next_attempt_at).limit(limit)


def claim_statement(
    now: datetime,
    limit: int,
    channels: Collection[str] | None,
    token: str,
    lease_end: datetime,
    postgres: bool = False,
) -> Update:
    """The claim: one UPDATE of the due rows' ids that stamps them with `token` and the lease's end.

    The WHERE is evaluated again by the UPDATE itself, under the write lock (SQLite) or the row lock
    (PostgreSQL, where the ids are also picked with SKIP LOCKED): a row another worker claimed in
    between is not due any more and is skipped. The outer WHERE names the channels too, so that
    SQLite reads the same index range instead of every pending row of the other channels."""
    due = due_query(now, limit, channels)
    if postgres:
        due = due.with_for_update(skip_locked=True)
    still_due = [OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now]
    if channels is not None:
        still_due.append(OutboxMessage.channel.in_(sorted(channels)))
    return (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due), *still_due)
        .values(claim_token=token, next_attempt_at=lease_end)
        .execution_options(synchronize_session=False)
    )


def claim(
    session: Session,
    now: datetime,
    limit: int,
    channels: Collection[str] | None,
    lease: timedelta,
) -> tuple[str, datetime, list[OutboxMessage]]:
    """Claim up to `limit` due rows for this worker and commit; returns (token, lease end, rows)."""
    token = secrets.token_hex(16)
    lease_end = max(now, utcnow()) + lease
    result = session.execute(claim_statement(now, limit, channels, token, lease_end, _is_postgres(session)))
    session.commit()
    if not result.rowcount:  # type: ignore[attr-defined]
        return token, lease_end, []
    messages = (
        session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.claim_token == token)
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
        .scalars()
        .all()
    )
    return token, lease_end, list(messages)


def _renew(session: Session, token: str, lease: timedelta) -> tuple[datetime, set[int]]:
    """Extend the lease of the rows still claimed with `token`; returns (new end, their ids)."""
    lease_end = utcnow() + lease
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.claim_token == token, OutboxMessage.status == OutboxStatus.PENDING)
        .values(next_attempt_at=lease_end)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    ids = session.execute(select(OutboxMessage.id).where(OutboxMessage.claim_token == token)).scalars()
    return lease_end, set(ids)


def _release(session: Session, token: str, now: datetime) -> None:
    """Give back the rows still claimed with `token`, due as they were."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.claim_token == token, OutboxMessage.status == OutboxStatus.PENDING)
        .values(claim_token=None, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _channel_state(session: Session, channel: str) -> OutboxChannelState:
    """The channel's state row, created if missing (safely when two workers race to create it)."""
    if _is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    session.execute(insert(OutboxChannelState).values(channel=channel).on_conflict_do_nothing())
    return session.execute(
        select(OutboxChannelState)
        .where(OutboxChannelState.channel == channel)
        .execution_options(populate_existing=True)
    ).scalar_one()


def _note_outage(session: Session, channel: str, error: str, when: datetime) -> None:
    state = _channel_state(session, channel)
    if state.failing_since is None:
        state.failing_since = when
        log.warning("Outbox channel %s unreachable: %s", channel, error)
    state.last_failure_at = when
    state.last_error = error[:2000]


def _note_recovery(session: Session, channel: str, when: datetime) -> int:
    """The channel works again: end the outage and make its waiting rows due now; returns them."""
    state = session.get(OutboxChannelState, channel)
    if state is None or state.failing_since is None:
        return 0
    state.failing_since = None
    state.alerted_at = None
    state.last_success_at = when
    woken = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.channel == channel,
            OutboxMessage.claim_token.is_(None),
            OutboxMessage.next_attempt_at > when,
        )
        .values(next_attempt_at=when)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    log.info("Outbox channel %s works again: %s waiting rows made due", channel, woken)
    return int(woken or 0)


def failing_channels(session: Session) -> dict[str, datetime]:
    """The channels in an outage, with their last failure (the time of the last try or probe)."""
    rows = session.execute(
        select(OutboxChannelState.channel, OutboxChannelState.last_failure_at).where(
            OutboxChannelState.failing_since.is_not(None)
        )
    ).all()
    return {channel: aware(last) or utcnow() for channel, last in rows}


def probe_result(session: Session, channel: str, error: str | None) -> int:
    """Record a health probe of a failing channel's server and commit: a success ends the outage and
    makes the channel's waiting rows due now (returns them); a failure counts as one more failure."""
    now = utcnow()
    if error is None:
        woken = _note_recovery(session, channel, now)
        session.commit()
        return woken
    _note_outage(session, channel, error, now)
    session.commit()
    return 0


def _attempt(
    message: OutboxMessage, send: Callable[[OutgoingMessage], None], now: datetime, policy: RetryPolicy
) -> tuple[dict[str, Any], str | None]:
    """Send one claimed message; the columns to write, and the outage it revealed (if any)."""
    attempts = message.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "claim_token": None}
    outage: str | None = None
    try:
        send(outgoing(message))
    except PermanentFailure as exc:
        values.update(status=OutboxStatus.FAILED, last_error=str(exc)[:2000])
        log.warning("Mail %s refused for good: %s", message.id, exc)
    except Exception as exc:
        values["last_error"] = str(exc)[:2000]
        limit_for_channel = policy.max_attempts.get(message.channel)
        age = max(now, utcnow()) - message.created_at
        if (limit_for_channel is not None and attempts >= limit_for_channel) or (age >= policy.give_up_after):
            values["status"] = OutboxStatus.FAILED
        else:
            values["next_attempt_at"] = utcnow() + backoff(attempts, policy)
        if isinstance(exc, ServerUnavailable):
            outage = str(exc)
        log.warning("Mail %s not sent (try %s): %s", message.id, attempts, exc)
    else:
        values.update(status=OutboxStatus.SENT, sent_at=utcnow())
    return values, outage


def _record_outcome(session: Session, message: OutboxMessage, token: str, values: dict[str, Any]) -> bool:
    """Write the outcome if the row still carries our claim token; False (rolled back) if it does not."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claim_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        # Only possible if the send outlasted the lease; another worker owns the row now.
        session.rollback()
        log.warning("Outbox row %s: lease lost while sending", message.id)
        return False
    for key, value in values.items():
        set_committed_value(message, key, value)
    return True


def drain(
    session: Session,
    send: Callable[[OutgoingMessage], None],
    now: datetime | None = None,
    limit: int = 50,
    *,
    channels: Collection[str] | None = None,
    on_done: Callable[[Session, OutgoingMessage], None] | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> tuple[int, int]:
    """Claim and send the due pending messages, committing after each one; returns (sent, failed).

    `channels` limits the rows to these channels ("courriel", "sms"); `on_done` runs in the same
    transaction as the row's final status (sent, or failed for good), e.g. to record a delivery.
    """
    now = now or utcnow()
    token, lease_end, messages = claim(session, now, limit, channels, policy.lease)
    mine = {message.id for message in messages}
    sent = failed = 0
    recovered: set[str] = set()
    for message in messages:
        if utcnow() + policy.lease / 2 > lease_end:  # a slow batch: keep the rows before the lease ends
            lease_end, mine = _renew(session, token, policy.lease)
        if message.id not in mine:
            continue
        values, outage = _attempt(message, send, now, policy)
        if not _record_outcome(session, message, token, values):
            continue
        if message.status == OutboxStatus.SENT:
            sent += 1
            if message.channel not in recovered:
                recovered.add(message.channel)
                _note_recovery(session, message.channel, utcnow())
        elif message.status == OutboxStatus.FAILED:
            failed += 1
        if on_done is not None and message.status != OutboxStatus.PENDING:
            on_done(session, outgoing(message))
        if outage is not None:
            _note_outage(session, message.channel, outage, utcnow())
        session.commit()
        if outage is not None:
            # The server is down: trying the rest of the batch now would only wait on it again.
            _release(session, token, now)
            break
    if recovered:
        session.execute(
            update(OutboxChannelState)
            .where(OutboxChannelState.channel.in_(sorted(recovered)))
            .values(last_success_at=utcnow())
        )
        session.commit()
    return sent, failed


def aware(value: Any) -> datetime | None:
    """Aggregates bypass the UTCDateTime type on SQLite (strings or naive datetimes)."""

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
