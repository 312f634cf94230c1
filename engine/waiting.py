"""Where requests wait: per user task of a démarche, how many passed, how many wait, and for how long.

Computed from the human_task rows only (one row per time a request reached a user task): one
grouped COUNT for the figures and one narrow SELECT of the durations of completed rows, both
filtered on the denormalised `demarche_key` (plus the version through the instance) and the period
(tasks opened in it; index ix_human_task_demarche_created). The database computes each duration in
seconds; medians and 90th percentiles are taken by nearest rank in Python over those numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import HumanTask, HumanTaskState, ProcessDefinition, ProcessInstance


@dataclass(frozen=True)
class ElementFigures:
    element_id: str
    title: str
    passed: int
    waiting: int
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True)
class PathStep:
    element_id: str
    title: str
    lane: str
    opened_at: datetime
    closed_at: datetime | None
    state: str


def percentile(values: list[timedelta], fraction: float) -> timedelta | None:
    """Nearest-rank percentile of sorted values (None when empty)."""
    if not values:
        return None
    rank = max(1, math.ceil(fraction * len(values)))
    return values[rank - 1]


def _seconds_between(session: Session, start: Any, end: Any) -> Any:
    """end - start in seconds, computed by the database (no datetime object per row in Python)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _filters(key: str, version: int | None, since: datetime | None, until: datetime | None) -> list[object]:
    conditions: list[object] = [HumanTask.demarche_key == key]
    if since is not None:
        conditions.append(HumanTask.created_at >= since)
    if until is not None:
        conditions.append(HumanTask.created_at < until)
    if version is not None:
        definition = (
            select(ProcessDefinition.id)
            .where(ProcessDefinition.key == key, ProcessDefinition.version == version)
            .scalar_subquery()
        )
        instances = select(ProcessInstance.id).where(ProcessInstance.definition_id == definition)
        conditions.append(HumanTask.instance_id.in_(instances))
    return conditions


def element_figures(
    session: Session,
    key: str,
    *,
    version: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ElementFigures]:
    """The figures of every user task reached in the period, in the order they were first reached."""
    conditions = _filters(key, version, since, until)
    counts = session.execute(
        select(
            HumanTask.task_name,
            func.max(HumanTask.title),
            HumanTask.state,
            func.count(),
            func.min(HumanTask.created_at),
        )
        .where(*conditions)
        .group_by(HumanTask.task_name, HumanTask.state)
    ).all()
    durations: dict[str, list[timedelta]] = {}
    for name, seconds in session.execute(
        select(
            HumanTask.task_name, _seconds_between(session, HumanTask.created_at, HumanTask.completed_at)
        ).where(*conditions, HumanTask.state == HumanTaskState.COMPLETED, HumanTask.completed_at.is_not(None))
    ):
        durations.setdefault(name, []).append(timedelta(seconds=float(seconds)))
    figures: dict[str, _Tally] = {}
    for name, title, state, count, first in counts:
        tally = figures.setdefault(name, _Tally(title, first))
        tally.first = min(tally.first, first)
        if state == HumanTaskState.COMPLETED:
            tally.passed += count
        elif state == HumanTaskState.OPEN:
            tally.waiting += count
    result = []
    for name, tally in sorted(figures.items(), key=lambda item: item[1].first):
        spans = sorted(durations.get(name, []))
        result.append(
            ElementFigures(
                name, tally.title, tally.passed, tally.waiting, percentile(spans, 0.5), percentile(spans, 0.9)
            )
        )
    return result


@dataclass
class _Tally:
    title: str
    first: datetime
    passed: int = 0
    waiting: int = 0


def request_path(session: Session, instance_id: int) -> list[PathStep]:
    """The user tasks one request reached, in order, with the open ones (its current position)."""
    rows = session.execute(
        select(
            HumanTask.task_name,
            HumanTask.title,
            HumanTask.lane,
            HumanTask.created_at,
            HumanTask.completed_at,
            HumanTask.state,
        )
        .where(HumanTask.instance_id == instance_id)
        .order_by(HumanTask.created_at, HumanTask.id)
    ).all()
    return [PathStep(*row) for row in rows]


def human_duration(value: timedelta | None) -> str:
    """« 2 j 3 h », « 45 min », « moins d'une minute », « — » (French, for tables and overlays)."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return "moins d'une minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} j {hours} h" if hours else f"{days} j"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def find_request(session: Session, key: str, reference: str) -> tuple[int, int] | None:
    """(instance id, version number) of the request of `key` with this reference, if any."""
    row = session.execute(
        select(ProcessInstance.id, ProcessDefinition.version)
        .join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessDefinition.key == key, ProcessInstance.reference == reference)
    ).first()
    return (row[0], row[1]) if row else None
