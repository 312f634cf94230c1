"""Retention of what the engine stores (RGPD art. 5(1)(e)): stale drafts, documents of closed
requests, old mails. Flask-free; each function flushes, the job commits; every one is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, aliased

from .documents import Document
from .instances import discard
from .models import (
    REQUESTER_LANE,
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    OutboxMessage,
    OutboxStatus,
    ProcessDefinition,
    ProcessInstance,
)


@dataclass(frozen=True)
class StaleDraft:
    """A démarche started but never sent, untouched since `updated_at`."""

    instance_id: int
    requester_id: int
    title: str
    updated_at: datetime


def stale_drafts(session: Session, untouched_before: datetime) -> list[StaleDraft]:
    done = aliased(HumanTask)
    never_sent = (
        ~select(done.id)
        .where(done.instance_id == ProcessInstance.id, done.state == HumanTaskState.COMPLETED)
        .exists()
    )
    rows = session.execute(
        select(
            ProcessInstance.id,
            ProcessInstance.requester_id,
            ProcessDefinition.title,
            ProcessInstance.updated_at,
        )
        .join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
        .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
        .where(
            ProcessInstance.status == InstanceStatus.RUNNING,
            ProcessInstance.requester_id.is_not(None),
            ProcessInstance.updated_at < untouched_before,
            HumanTask.lane == REQUESTER_LANE,
            HumanTask.state == HumanTaskState.OPEN,
            never_sent,
        )
        .distinct()
        .order_by(ProcessInstance.id)
    ).all()
    return [StaleDraft(*row) for row in rows]


def discard_stale_draft(session: Session, instance_id: int) -> None:
    instance = session.get(ProcessInstance, instance_id)
    if instance is not None:
        discard(session, instance)


def purge_closed_documents(session: Session, closed_before: datetime) -> int:
    """Delete the documents of requests finished (accepted, refused, cancelled) before the date."""
    closed = select(ProcessInstance.id).where(
        ProcessInstance.status.in_([InstanceStatus.COMPLETED, InstanceStatus.CANCELLED]),
        ProcessInstance.completed_at < closed_before,
    )
    result = session.execute(delete(Document).where(Document.instance_id.in_(closed)))
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_old_messages(session: Session, created_before: datetime) -> int:
    """Delete the mails and SMS sent (or given up) before the date; pending ones are kept."""
    result = session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED]),
            OutboxMessage.created_at < created_before,
        )
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
