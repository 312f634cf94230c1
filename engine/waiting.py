"""Where requests wait: per element of a démarche, how many passed, how many wait, and for how long.

Computed from the history rows: human_task for the user tasks (one row per time a request reached
one) and element_passage for the timers and the automatic steps (engine/passages.py), the same two
queries on each: one grouped COUNT for the figures and one narrow SELECT of the durations of
completed rows, both filtered on the denormalised `demarche_key` (plus the version through the
instance) and the period (elements reached in it; indexes ix_human_task_demarche_created and
ix_element_passage_demarche_created). The database computes each duration in seconds; medians and
90th percentiles are taken by nearest rank in Python over those numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .i18n import N_, _
from .models import HumanTask, HumanTaskState, ProcessDefinition, ProcessInstance
from .passages import ElementPassage


@dataclass(frozen=True)
class ElementFigures:
    element_id: str
    title: str
    passed: int
    waiting: int
    median: timedelta | None
    p90: timedelta | None
    kind: str = "user"  # user, timer, service, script, regle (engine/passages.py)


#: What the figures' table says of each kind of element (translate where shown: `_(KIND_LABELS[k])`).
KIND_LABELS = {
    "user": N_("Tâche"),
    "timer": N_("Minuteur"),
    "service": N_("Étape automatique"),
    "script": N_("Étape automatique"),
    "regle": N_("Étape automatique"),
}


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


def _filters(
    table: Any, key: str, version: int | None, since: datetime | None, until: datetime | None
) -> list[object]:
    conditions: list[object] = [table.demarche_key == key]
    if since is not None:
        conditions.append(table.created_at >= since)
    if until is not None:
        conditions.append(table.created_at < until)
    if version is not None:
        definition = (
            select(ProcessDefinition.id)
            .where(ProcessDefinition.key == key, ProcessDefinition.version == version)
            .scalar_subquery()
        )
        instances = select(ProcessInstance.id).where(ProcessInstance.definition_id == definition)
        conditions.append(table.instance_id.in_(instances))
    return conditions


def element_figures(
    session: Session,
    key: str,
    *,
    version: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ElementFigures]:
    """The figures of every element reached in the period (user tasks, timers, automatic steps), in
    the order they were first reached."""
    figures: dict[str, _Tally] = {}
    durations: dict[str, list[timedelta]] = {}
    for table, name_column, kind_column in (
        (HumanTask, HumanTask.task_name, None),
        (ElementPassage, ElementPassage.element_id, ElementPassage.kind),
    ):
        _tally(session, table, name_column, kind_column, _filters(table, key, version, since, until), figures)
        conditions = _filters(table, key, version, since, until)
        for name, seconds in session.execute(
            select(name_column, _seconds_between(session, table.created_at, table.completed_at)).where(
                *conditions, table.state == HumanTaskState.COMPLETED, table.completed_at.is_not(None)
            )
        ):
            durations.setdefault(name, []).append(timedelta(seconds=float(seconds)))
    result = []
    for name, tally in sorted(figures.items(), key=lambda item: item[1].first):
        spans = sorted(durations.get(name, []))
        result.append(
            ElementFigures(
                name,
                tally.title,
                tally.passed,
                tally.waiting,
                percentile(spans, 0.5),
                percentile(spans, 0.9),
                tally.kind,
            )
        )
    return result


def _tally(
    session: Session,
    table: Any,
    name_column: Any,
    kind_column: Any,
    conditions: list[object],
    figures: dict[str, _Tally],
) -> None:
    """Add the grouped counts of one history table (passed: completed; waiting: open)."""
    columns = [name_column, func.max(table.title), table.state, func.count(), func.min(table.created_at)]
    if kind_column is not None:
        columns.append(func.max(kind_column))
    counts = session.execute(select(*columns).where(*conditions).group_by(name_column, table.state)).all()
    for name, title, state, count, first, *element_kind in counts:
        tally = figures.setdefault(name, _Tally(title, first, element_kind[0] if element_kind else "user"))
        tally.first = min(tally.first, first)
        if state == HumanTaskState.COMPLETED:
            tally.passed += count
        elif state == HumanTaskState.OPEN:
            tally.waiting += count


@dataclass
class _Tally:
    title: str
    first: datetime
    kind: str = "user"
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
    """« 2 j 3 h », « 45 min », « moins d'une minute », « — » (in the reader's language)."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return _("moins d'une minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        if hours:
            return _("%(days)s j %(hours)s h", days=days, hours=hours)
        return _("%(days)s j", days=days)
    if hours:
        return (
            _(
                "%(hours)s h %(minutes)s min",
                hours=hours,
                minutes=mins,
            )
            if mins
            else _("%(hours)s h", hours=hours)
        )
    return _("%(minutes)s min", minutes=mins)


def find_request(session: Session, key: str, reference: str) -> tuple[int, int] | None:
    """(instance id, version number) of the request of `key` with this reference, if any."""
    row = session.execute(
        select(ProcessInstance.id, ProcessDefinition.version)
        .join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessDefinition.key == key, ProcessInstance.reference == reference)
    ).first()
    return (row[0], row[1]) if row else None
