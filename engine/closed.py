"""The requests a service closed in a period (export « Demandes clôturées »), read in batches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from .models import HumanTask, InstanceStatus, ProcessDefinition, ProcessInstance

_TASK = HumanTask.__table__.c
_INSTANCE = ProcessInstance.__table__.c
_DEFINITION = ProcessDefinition.__table__.c


@dataclass(frozen=True)
class ClosedRow:
    """A finished request (export « Demandes clôturées »)."""

    id: int
    reference: str
    demarche_title: str
    requester_name: str
    created_at: datetime
    completed_at: datetime | None
    status_label: str


def iter_closed(
    session: Session, lanes: frozenset[str], start: datetime, end: datetime, batch: int = 1000
) -> Iterator[ClosedRow]:
    """Requests closed in [start, end) that had a task in one of these lanes, in closing order."""
    if not lanes:
        return
    in_my_lanes = exists().where(_TASK.instance_id == _INSTANCE.id, _TASK.lane.in_(sorted(lanes)))
    result = session.execute(
        select(
            _INSTANCE.id,
            _INSTANCE.reference,
            _DEFINITION.title,
            _INSTANCE.requester_name,
            _INSTANCE.created_at,
            _INSTANCE.completed_at,
            _INSTANCE.status_label,
        )
        .select_from(ProcessInstance.__table__)
        .join(ProcessDefinition.__table__, _DEFINITION.id == _INSTANCE.definition_id)
        .where(
            _INSTANCE.status.in_([InstanceStatus.COMPLETED, InstanceStatus.CANCELLED]),
            _INSTANCE.completed_at >= start,
            _INSTANCE.completed_at < end,
            in_my_lanes,
        )
        .order_by(_INSTANCE.completed_at, _INSTANCE.id)
        .execution_options(yield_per=batch)
    )
    for row in result:
        yield ClosedRow(row[0], row[1] or "", row[2], row[3], row[4], row[5], row[6])
