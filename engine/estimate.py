"""The expected completion date of a request, computed from the live queue on each view.

For the request's open agent task, in its lane (the service):

- `typical`: the median time from creation to completion of the last N completed agent tasks of
  the same démarche in that lane (all versions); `default` when there are fewer than 3;
- `pace`: the lane's recent throughput, the time between the oldest and the newest of its last N
  completions (every démarche) divided by N − 1; none with fewer than 3 completions;
- `ahead`: the lane's open tasks created before this one.

expected = max(task created + typical, now + (ahead + 1) × pace), never before `now` and never
after the instance's deadline (the démarche's maximum duration): the family is never promised
later than the rule allows. Past the deadline, or once escalated, the request is late (`is_late`).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from .models import (
    REQUESTER_LANE,
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
)
from .snapshots import InstanceView

MIN_SAMPLES = 3


@dataclass(frozen=True)
class Estimate:
    expected_at: datetime
    ahead: int
    typical: timedelta
    pace: timedelta
    samples: int
    is_capped: bool  # the computation went past the deadline: the deadline is shown
    is_late: bool  # the deadline itself is past


def _open_agent_task(session: Session, instance_id: int) -> HumanTask | None:
    return (
        session.execute(
            select(HumanTask)
            .where(
                HumanTask.instance_id == instance_id,
                HumanTask.state == HumanTaskState.OPEN,
                HumanTask.lane != REQUESTER_LANE,
            )
            .order_by(HumanTask.created_at, HumanTask.id)
            .limit(1)
        )
        .scalars()
        .first()
    )


def expected_completion(
    session: Session,
    instance: ProcessInstance | InstanceView,
    now: datetime,
    *,
    history_size: int = 20,
    default: timedelta = timedelta(days=3),
) -> Estimate | None:
    """The expected completion date of a running request waiting for an agent; None otherwise
    (finished, or waiting for the family itself)."""
    if instance.status != InstanceStatus.RUNNING:
        return None
    task = _open_agent_task(session, instance.id)
    if task is None:
        return None
    ahead = _tasks_ahead(session, task)
    done = HumanTask.state == HumanTaskState.COMPLETED
    turnarounds = session.execute(
        select(HumanTask.created_at, HumanTask.completed_at)
        .join(ProcessInstance, HumanTask.instance_id == ProcessInstance.id)
        .join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(
            done,
            HumanTask.lane == task.lane,
            HumanTask.completed_at.is_not(None),
            ProcessDefinition.key == instance.definition.key,
        )
        .order_by(HumanTask.completed_at.desc())
        .limit(history_size)
    ).all()
    samples = len(turnarounds)
    if samples >= MIN_SAMPLES:
        typical = statistics.median(completed - created for created, completed in turnarounds)
    else:
        typical = default
    pace = _pace(session, task.lane, history_size)
    expected = max(task.created_at + typical, now + (ahead + 1) * pace, now)
    deadline = instance.deadline_at
    is_capped = deadline is not None and expected > deadline
    if is_capped:
        expected = deadline  # type: ignore[assignment]
    return Estimate(
        expected_at=expected,
        ahead=ahead,
        typical=typical,
        pace=pace,
        samples=samples,
        is_capped=is_capped,
        is_late=(deadline is not None and deadline <= now) or task.escalated_at is not None,
    )


def _tasks_ahead(session: Session, task: HumanTask) -> int:
    """Open tasks of the same lane created before this one (the queue's order)."""
    return session.execute(
        select(func.count())
        .select_from(HumanTask)
        .where(
            HumanTask.lane == task.lane,
            HumanTask.state == HumanTaskState.OPEN,
            or_(
                HumanTask.created_at < task.created_at,
                and_(HumanTask.created_at == task.created_at, HumanTask.id < task.id),
            ),
        )
    ).scalar_one()


def _pace(session: Session, lane: str, history_size: int) -> timedelta:
    """The lane's mean time between two completed tasks, over the last `history_size` (0 when too few)."""
    done = HumanTask.state == HumanTaskState.COMPLETED
    completions = (
        session.execute(
            select(HumanTask.completed_at)
            .where(done, HumanTask.lane == lane, HumanTask.completed_at.is_not(None))
            .order_by(HumanTask.completed_at.desc())
            .limit(history_size)
        )
        .scalars()
        .all()
    )
    return (
        (completions[0] - completions[-1]) / (len(completions) - 1)
        if len(completions) >= MIN_SAMPLES
        else timedelta(0)
    )
