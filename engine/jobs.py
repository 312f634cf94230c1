"""The scheduled jobs' side of the engine: due timers and the outbox. They own their transactions."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from . import outbox
from .db import utcnow
from .events import add_event
from .execution import Runner, lock_instance, open_workflow
from .i18n import N_
from .models import InstanceStatus, ProcessInstance, Visibility
from .outbox_messages import OutgoingMessage

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
                if not timer_still_due(instance, now):
                    continue  # another worker fired it first (checked again under the instance's lock)
                Runner(session, instance, open_workflow(session, instance, None), None).advance()
            fired += 1
        except OperationalError as exc:  # e.g. SQLite's lock wait ran out: another worker's long batch
            log.warning("Timers: instance %s busy, left for the next run (%s)", instance_id, exc)
            break
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
                    N_("Erreur technique lors d'une échéance"),
                    visibility=Visibility.INTERNAL,
                    comment=str(exc)[:2000],
                )
    session.commit()
    return fired


def timer_still_due(instance: ProcessInstance, now: datetime) -> bool:
    """Whether the instance, read under its lock, still has a due timer (the timers' claim check)."""
    due = instance.next_timer_at
    return instance.status == InstanceStatus.RUNNING and due is not None and due <= now


def drain_outbox(
    session: Session,
    send: Callable[[OutgoingMessage], None],
    now: datetime | None = None,
    limit: int = 50,
    *,
    channels: Collection[str] | None = None,
    on_done: Callable[[Session, OutgoingMessage], None] | None = None,
) -> tuple[int, int]:
    """Send due outbox messages with `send`, committing after each; returns (sent, failed)."""
    return outbox.drain(session, send, now=now, limit=limit, channels=channels, on_done=on_done)
