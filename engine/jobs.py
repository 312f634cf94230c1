"""The scheduled jobs' side of the engine: due timers and the outbox. They own their transactions."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import outbox
from .db import utcnow
from .events import add_event
from .execution import Runner, lock_instance, open_workflow
from .models import InstanceStatus, OutboxMessage, ProcessInstance, Visibility

log = logging.getLogger(__name__)


def fire_due_timers(session: Session, now: datetime | None = None, limit: int = 100) -> int:
    """Fire the timers that fell due, one savepoint per instance; commits. Returns instances advanced."""
    now = now or utcnow()
    query = (
        select(ProcessInstance.id)
        .where(ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.next_timer_at <= now)
        .order_by(ProcessInstance.next_timer_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = session.execute(query).scalars().all()
    fired = 0
    for instance_id in due:
        try:
            with session.begin_nested():
                instance = lock_instance(session, instance_id)
                Runner(session, instance, open_workflow(session, instance, None), None).advance()
            fired += 1
        except Exception as exc:
            log.exception("Timer of instance %s failed", instance_id)
            with session.begin_nested():
                instance = lock_instance(session, instance_id)
                instance.status = InstanceStatus.ERROR
                instance.next_timer_at = None
                add_event(
                    session,
                    instance,
                    "instance_failed",
                    "Erreur technique lors d'une échéance",
                    visibility=Visibility.INTERNAL,
                    comment=str(exc)[:2000],
                )
    session.commit()
    return fired


def drain_outbox(
    session: Session,
    send: Callable[[OutboxMessage], None],
    now: datetime | None = None,
    limit: int = 50,
    *,
    channels: Collection[str] | None = None,
    on_done: Callable[[Session, OutboxMessage], None] | None = None,
) -> tuple[int, int]:
    """Send due outbox messages with `send`, committing after each; returns (sent, failed)."""
    return outbox.drain(session, send, now=now, limit=limit, channels=channels, on_done=on_done)
