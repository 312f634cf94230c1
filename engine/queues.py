"""The agents' queues: filtered, searched, sorted and paginated SQL over `human_task`.

Never deserialises a workflow. What a queue filters, searches or sorts on lives on the
`human_task` row itself (denormalised when the row is written: `demarche_key`, `requester_name`,
`search_text`, `assignee_name`), so that a queue of 100,000 tasks is answered from one table and
its indexes; only the page's rows are joined to their instance and definition for display.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from .db import utcnow
from .models import HumanTask, HumanTaskState, InstanceStatus, ProcessDefinition, ProcessInstance

_TASK = HumanTask.__table__.c
_INSTANCE = ProcessInstance.__table__.c
_DEFINITION = ProcessDefinition.__table__.c


def normalise(text: str | None) -> str:
    """Lower case without accents: what the search compares (« Hélène » finds « helene »)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def search_text(reference: str | None, requester_name: str | None) -> str:
    """The `human_task.search_text` of a task: its reference and the family's name, normalised."""
    return normalise(f"{reference or ''} {requester_name or ''}".strip())[:400]


class Assignment(enum.StrEnum):
    """The « Attribuée à » filter."""

    ANY = ""
    ME = "moi"
    NOBODY = "personne"
    COLLEAGUE = "collegue"


class SortKey(enum.StrEnum):
    """The sortable columns (a whitelist: anything else is refused by the form)."""

    REFERENCE = "reference"
    DEMARCHE = "demarche"
    FAMILLE = "famille"
    RECUE = "recue"
    ECHEANCE = "echeance"
    STATUT = "statut"
    ATTRIBUEE = "attribuee"


#: Column of each sort key, and whether it may be NULL (NULLs always come last, both directions).
#: The reference follows the instance id (DEM-<year>-<id>), which sorts it correctly across years.
SORT_COLUMNS: dict[SortKey, tuple[Any, bool]] = {
    SortKey.REFERENCE: (_TASK.instance_id, False),
    SortKey.DEMARCHE: (_TASK.demarche_key, False),
    SortKey.FAMILLE: (_TASK.requester_name, False),
    SortKey.RECUE: (_TASK.created_at, False),
    SortKey.ECHEANCE: (_TASK.due_at, True),
    SortKey.STATUT: (_TASK.status_label, False),
    SortKey.ATTRIBUEE: (_TASK.assignee_name, True),
}


@dataclass(frozen=True)
class QueueQuery:
    """One queue view: which lanes, the filters, the sort and the page."""

    lanes: frozenset[str]
    agent_id: int | None = None
    demarche: str | None = None
    status_label: str | None = None
    overdue: bool = False
    assignment: Assignment = Assignment.ANY
    text: str = ""
    sort: SortKey = SortKey.RECUE
    descending: bool = False
    page: int = 1
    per_page: int = 50
    now: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class QueueRow:
    """One line of a queue, without SpiffWorkflow or ORM objects."""

    id: int
    instance_id: int
    reference: str
    demarche_title: str
    title: str
    requester_name: str
    created_at: datetime
    due_at: datetime | None
    status_label: str
    lane: str
    assignee_id: int | None
    assignee_name: str | None
    state: str = HumanTaskState.OPEN

    def is_overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at < now


@dataclass(frozen=True)
class QueuePage:
    rows: Sequence[QueueRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


_ROW_COLUMNS = (
    _TASK.id,
    _TASK.instance_id,
    _INSTANCE.reference,
    _DEFINITION.title,
    _TASK.title,
    _TASK.requester_name,
    _TASK.created_at,
    _TASK.due_at,
    _TASK.status_label,
    _TASK.lane,
    _TASK.assignee_id,
    _TASK.assignee_name,
    _TASK.state,
)


def _conditions(query: QueueQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [_TASK.state == HumanTaskState.OPEN]
    lanes = sorted(query.lanes)
    if not lanes:
        conditions.append(false())
    elif len(lanes) == 1:
        conditions.append(_TASK.lane == lanes[0])  # lets SQLite walk a (lane, state, column) index
    else:
        conditions.append(_TASK.lane.in_(lanes))
    if query.demarche:
        conditions.append(_TASK.demarche_key == query.demarche)
    if query.status_label:
        conditions.append(_TASK.status_label == query.status_label)
    if query.overdue:
        conditions.append(_TASK.due_at < query.now)
    if query.assignment == Assignment.ME:
        conditions.append(_TASK.assignee_id == query.agent_id)
    elif query.assignment == Assignment.NOBODY:
        conditions.append(_TASK.assignee_id.is_(None))
    elif query.assignment == Assignment.COLLEAGUE:
        conditions.append(_TASK.assignee_id.is_not(None))
        if query.agent_id is not None:
            conditions.append(_TASK.assignee_id != query.agent_id)
    words = normalise(query.text).split()
    for word in words[:5]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(_TASK.search_text.like(f"%{escaped}%", escape="\\"))
    return conditions


def _order(query: QueueQuery, *, reverse: bool = False) -> list[Any]:
    column, nullable = SORT_COLUMNS[query.sort]
    descending = query.descending != reverse
    order: list[Any] = []
    if nullable:
        # NULLs last in the page's order (whatever the direction), first in the reversed one.
        nulls_last = column.is_(None)
        order.append(nulls_last.desc() if reverse else nulls_last)
    order.append(column.desc() if descending else column.asc())
    order.append(_TASK.id.desc() if descending else _TASK.id.asc())
    return order


def _rows_statement(query: QueueQuery) -> Select[Any]:
    return (
        select(*_ROW_COLUMNS)
        .select_from(HumanTask.__table__)
        .join(ProcessInstance.__table__, _INSTANCE.id == _TASK.instance_id)
        .join(ProcessDefinition.__table__, _DEFINITION.id == _INSTANCE.definition_id)
        .where(*_conditions(query))
    )


def queue_page(session: Session, query: QueueQuery) -> QueuePage:
    """One page of the queue, and how many tasks match the filters."""
    total = session.execute(
        select(func.count()).select_from(HumanTask.__table__).where(*_conditions(query))
    ).scalar_one()
    pages = max(1, -(-total // query.per_page))
    page = min(max(query.page, 1), pages)
    result = session.execute(
        _rows_statement(query)
        .order_by(*_order(query))
        .offset((page - 1) * query.per_page)
        .limit(query.per_page)
    )
    return QueuePage([QueueRow(*row) for row in result], total, page, query.per_page)


def iter_queue(session: Session, query: QueueQuery, batch: int = 1000) -> Iterator[QueueRow]:
    """Every task of the filtered queue in its order (exports), read `batch` rows at a time."""
    result = session.execute(
        _rows_statement(query).order_by(*_order(query)).execution_options(yield_per=batch)
    )
    for row in result:
        yield QueueRow(*row)


def queue_counts(session: Session, lanes: frozenset[str], agent_id: int | None) -> dict[str, int]:
    """Open tasks per lane, plus « Mes tâches » under the key "" (the tabs' numbers)."""
    counts = {lane: 0 for lane in lanes}
    if not lanes:
        return {"": 0}
    rows = session.execute(
        select(_TASK.lane, func.count())
        .where(_TASK.state == HumanTaskState.OPEN, _TASK.lane.in_(sorted(lanes)))
        .group_by(_TASK.lane)
    ).all()
    counts.update({lane: count for lane, count in rows})
    counts[""] = session.execute(
        select(func.count()).where(
            _TASK.assignee_id == agent_id,
            _TASK.state == HumanTaskState.OPEN,
            _TASK.lane.in_(sorted(lanes)),
        )
    ).scalar_one()
    return counts


def status_labels(session: Session, lanes: frozenset[str]) -> list[str]:
    """The statuses of the open tasks of these lanes (choices of the « Statut » filter)."""
    if not lanes:
        return []
    return list(
        session.execute(
            select(_TASK.status_label)
            .where(_TASK.state == HumanTaskState.OPEN, _TASK.lane.in_(sorted(lanes)))
            .distinct()
            .order_by(_TASK.status_label)
        ).scalars()
    )


def neighbour(session: Session, query: QueueQuery, task_id: int, *, forward: bool = True) -> int | None:
    """The task after (or before) `task_id` in the filtered, sorted queue, or None at its end.

    Keyset navigation from the task's own sort value: it works even when the task has left the
    queue meanwhile (treated, claimed by someone else), so « Dossier suivant » still moves on.
    """
    column, nullable = SORT_COLUMNS[query.sort]
    current = session.execute(select(column).where(_TASK.id == task_id)).first()
    if current is None:
        return None
    value = current[0]
    # "Later" in the page's order for a column compared in the query's direction.
    ascending = not query.descending

    def later(col: Any, bound: Any) -> ColumnElement[bool]:
        return col > bound if ascending else col < bound  # type: ignore[no-any-return]

    def earlier(col: Any, bound: Any) -> ColumnElement[bool]:
        return col < bound if ascending else col > bound  # type: ignore[no-any-return]

    if forward:
        if value is None:
            condition = and_(column.is_(None), later(_TASK.id, task_id))
        else:
            condition = or_(later(column, value), and_(column == value, later(_TASK.id, task_id)))
            if nullable:
                condition = or_(condition, column.is_(None))
    elif value is None:
        condition = or_(column.is_not(None), and_(column.is_(None), earlier(_TASK.id, task_id)))
    else:
        condition = or_(earlier(column, value), and_(column == value, earlier(_TASK.id, task_id)))
        if nullable:
            condition = and_(condition, column.is_not(None))
    return session.execute(
        select(_TASK.id)
        .where(*_conditions(query), condition)
        .order_by(*_order(query, reverse=not forward))
        .limit(1)
    ).scalar_one_or_none()


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
