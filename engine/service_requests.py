"""A service's requests whatever their state (issue 10 item 6): « En attente de la famille » and
« Trouver une demande »."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, exists, func, select
from sqlalchemy.orm import Session

from .models import (
    REQUESTER_LANE,
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
)
from .queues import normalise

_TASK = HumanTask.__table__.c
_INSTANCE = ProcessInstance.__table__.c
_DEFINITION = ProcessDefinition.__table__.c


@dataclass(frozen=True)
class RequestRow:
    """A request the service handled or handles: for « En attente de la famille » and the search."""

    instance_id: int
    reference: str
    demarche_title: str
    requester_name: str
    status: str
    status_label: str
    submitted_at: datetime | None
    updated_at: datetime
    #: Since when the family's open task waits (« En attente de la famille » only).
    waiting_since: datetime | None = None


def _of_service(lanes: frozenset[str]) -> ColumnElement[bool]:
    """The instance had (or has) a task in one of these lanes: it is one of the service's requests."""
    inner = HumanTask.__table__.alias("service_task")
    return exists().where(inner.c.instance_id == _INSTANCE.id, inner.c.lane.in_(sorted(lanes)))


def _request_columns() -> tuple[Any, ...]:
    return (
        _INSTANCE.id,
        _INSTANCE.reference,
        _DEFINITION.title,
        _INSTANCE.requester_name,
        _INSTANCE.status,
        _INSTANCE.status_label,
        _INSTANCE.submitted_at,
        _INSTANCE.updated_at,
    )


def _waiting_conditions(lanes: frozenset[str], family_lane: str) -> list[ColumnElement[bool]]:
    return [
        _TASK.lane == family_lane,
        _TASK.state == HumanTaskState.OPEN,
        _INSTANCE.status == InstanceStatus.RUNNING,
        _INSTANCE.submitted_at.is_not(None),
        _of_service(lanes),
    ]


def waiting_for_family(
    session: Session, lanes: frozenset[str], family_lane: str, limit: int = 200
) -> tuple[list[RequestRow], int]:
    """Filed requests of these services whose open task is the family's (« Demander des compléments »),
    the longest waiting first; and how many there are."""
    if not lanes:
        return [], 0
    conditions = _waiting_conditions(lanes, family_lane)
    base = (
        select(*_request_columns(), _TASK.created_at)
        .select_from(HumanTask.__table__)
        .join(ProcessInstance.__table__, _INSTANCE.id == _TASK.instance_id)
        .join(ProcessDefinition.__table__, _DEFINITION.id == _INSTANCE.definition_id)
        .where(*conditions)
    )
    rows = [
        RequestRow(r[0], r[1] or "", r[2], r[3], r[4], r[5], r[6], r[7], r[8])
        for r in session.execute(base.order_by(_TASK.created_at, _TASK.id).limit(limit))
    ]
    return rows, count_waiting_for_family(session, lanes, family_lane)


def waiting_count(lanes: frozenset[str], family_lane: str) -> ScalarSelect[int]:
    """How many filed requests of these services wait for the family (a scalar subquery)."""
    return (
        select(func.count())
        .select_from(HumanTask.__table__)
        .join(ProcessInstance.__table__, _INSTANCE.id == _TASK.instance_id)
        .where(*_waiting_conditions(lanes, family_lane))
        .scalar_subquery()
    )


def count_waiting_for_family(session: Session, lanes: frozenset[str], family_lane: str) -> int:
    if not lanes:
        return 0
    return session.execute(select(waiting_count(lanes, family_lane))).scalar_one()


def search_requests(session: Session, lanes: frozenset[str], text: str, limit: int = 50) -> list[RequestRow]:
    """The service's requests, open or closed, whose reference or family name holds every word
    (accents and case ignored, like the queue's search), the most recent first."""
    words = normalise(text).split()[:5]
    if not lanes or not words:
        return []
    conditions = [_TASK.lane.in_(sorted(lanes))]
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(_TASK.search_text.like(f"%{escaped}%", escape="\\"))
    matching = select(_TASK.instance_id).where(*conditions).distinct()
    rows = session.execute(
        select(*_request_columns())
        .select_from(ProcessInstance.__table__)
        .join(ProcessDefinition.__table__, _DEFINITION.id == _INSTANCE.definition_id)
        .where(_INSTANCE.id.in_(matching))
        .order_by(_INSTANCE.id.desc())
        .limit(limit)
    )
    return [RequestRow(r[0], r[1] or "", r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows]


def services_of(session: Session, instance_id: int) -> list[str]:
    """The agents' groups (lanes other than the family's) that have or had a task of the request."""
    rows = session.execute(
        select(HumanTask.lane)
        .where(HumanTask.instance_id == instance_id, HumanTask.lane != REQUESTER_LANE)
        .group_by(HumanTask.lane)
        .order_by(func.min(HumanTask.id))
    ).scalars()
    return list(rows)
