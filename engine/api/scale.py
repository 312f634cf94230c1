"""Door: several processes and hosts (issue 19) — the outbox's retry policy, backlog and outage alerts,
and the workers' heartbeats. The jobs claim their rows in the database (engine/outbox.py,
engine/workers.py), so any number of workers may run them at once."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy.orm import Session

from engine import outbox, outbox_views, workers
from engine.jobs import timer_still_due
from engine.models import OutboxMessage

__all__ = [
    "ChannelBacklog",
    "RetryPolicy",
    "beat",
    "last_heartbeat",
    "outbox_alerts",
    "outbox_backlog",
    "outbox_failing_channels",
    "outbox_probe_result",
    "send_outbox",
    "timer_still_due",
]

RetryPolicy = outbox.RetryPolicy
ChannelBacklog = outbox_views.ChannelBacklog


def send_outbox(
    session: Session,
    send: Callable[[OutboxMessage], None],
    *,
    policy: outbox.RetryPolicy,
    channels: Collection[str] | None = None,
    on_done: Callable[[Session, OutboxMessage], None] | None = None,
    now: datetime | None = None,
    limit: int = 50,
) -> tuple[int, int]:
    """Claim and send the due outbox rows under `policy`, committing after each; (sent, failed)."""
    return outbox.drain(
        session, send, now=now, limit=limit, channels=channels, on_done=on_done, policy=policy
    )


def outbox_backlog(session: Session) -> list[outbox_views.ChannelBacklog]:
    """Pending, failing and given-up rows per channel, with the channel's outage state."""
    return outbox_views.backlog(session)


def outbox_alerts(session: Session, policy: outbox.RetryPolicy, now: datetime | None = None) -> list[str]:
    """Channels failing for policy.alert_after whose admins must now be told (once per outage); commits."""
    return outbox_views.alert_due(session, now=now, policy=policy)


def outbox_failing_channels(session: Session) -> dict[str, datetime]:
    """Channels whose server is unreachable, with the time of their last failure."""
    return outbox.failing_channels(session)


def outbox_probe_result(session: Session, channel: str, error: str | None) -> int:
    """Record a probe of a failing channel (error None: it works again; its waiting rows become due)."""
    return outbox.probe_result(session, channel, error)


def beat(session: Session, name: str, kind: str) -> None:
    """Record that the worker `name` ran its jobs now; commits."""
    workers.beat(session, name, kind)


def last_heartbeat(session: Session) -> datetime | None:
    """When any worker (or the in-process scheduler) last ran its jobs."""
    return workers.last_seen(session)
