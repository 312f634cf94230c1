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
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, false, func, select
from sqlalchemy.orm import Session

from .db import utcnow
from .models import HumanTask, HumanTaskState, ProcessDefinition, ProcessInstance
from .queue_counts import COUNT_CAP, capped_count, page_count

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


#: Column of each sort key, and whether it may be NULL. NULLs (no deadline, nobody's task) sort
#: first in ascending order and last in descending order: SQLite's own order, stated explicitly for
#: PostgreSQL, so that SQLite walks the (lane, state, column) index instead of sorting the queue.
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
    #: The total is counted up to here (engine/queue_counts.py), or up to the page asked for.
    count_cap: int = COUNT_CAP


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
    #: Set by the reminder and escalation boundary timers (engine/deadlines.py).
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None

    def is_overdue(self, now: datetime) -> bool:
        return self.escalated_at is not None or (self.due_at is not None and self.due_at < now)


@dataclass(frozen=True)
class QueuePage:
    """One page. `more`: the count stopped at `total` and more tasks match (« plus de 1 000 »);
    the number of pages is then unknown (None) and `has_next` says whether a next page exists."""

    rows: Sequence[QueueRow]
    total: int
    page: int
    per_page: int
    more: bool = False

    @property
    def pages(self) -> int | None:
        return None if self.more else page_count(self.total, self.per_page)

    @property
    def has_next(self) -> bool:
        return self.more or self.page * self.per_page < self.total


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
    _TASK.reminded_at,
    _TASK.escalated_at,
)


def _conditions(query: QueueQuery, bound: bool = False) -> list[ColumnElement[bool]]:
    """The filter's conditions; `bound`: the values as bound parameters (`_shape`)."""

    def value(name: str, actual: Any) -> Any:
        return bindparam(name) if bound and actual is not None else actual

    conditions: list[ColumnElement[bool]] = [_TASK.state == HumanTaskState.OPEN]
    lanes = sorted(query.lanes)
    if not lanes:
        conditions.append(false())
    elif len(lanes) == 1:
        conditions.append(_TASK.lane == lanes[0])  # lets SQLite walk a (lane, state, column) index
    else:
        conditions.append(_TASK.lane.in_(lanes))
    if query.demarche:
        conditions.append(_TASK.demarche_key == value("demarche", query.demarche))
    if query.status_label:
        conditions.append(_TASK.status_label == value("status", query.status_label))
    if query.overdue:
        conditions.append(_TASK.due_at < value("now", query.now))
    if query.assignment == Assignment.ME:
        conditions.append(_TASK.assignee_id == value("agent", query.agent_id))
    elif query.assignment == Assignment.NOBODY:
        conditions.append(_TASK.assignee_id.is_(None))
    elif query.assignment == Assignment.COLLEAGUE:
        conditions.append(_TASK.assignee_id.is_not(None))
        if query.agent_id is not None:
            conditions.append(_TASK.assignee_id != value("agent", query.agent_id))
    words = normalise(query.text).split()
    for word in words[:5]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(_TASK.search_text.like(f"%{escaped}%", escape="\\"))
    return conditions


def _order(query: QueueQuery, *, reverse: bool = False, source: Any = None) -> list[Any]:
    """ORDER BY terms of the query's sort; `source` is a CTE with columns `sort` and `id`."""
    column, nullable = SORT_COLUMNS[query.sort]
    task_id = _TASK.id
    if source is not None:
        column, task_id = source.c.sort, source.c.id
    descending = query.descending != reverse
    if descending:
        first = column.desc().nulls_last() if nullable else column.desc()
        return [first, task_id.desc()]
    return [column.asc().nulls_first() if nullable else column.asc(), task_id.asc()]


def _rows_statement(query: QueueQuery, bound: bool = False) -> Select[Any]:
    return (
        select(*_ROW_COLUMNS)
        .select_from(HumanTask.__table__)
        .join(ProcessInstance.__table__, _INSTANCE.id == _TASK.instance_id)
        .join(ProcessDefinition.__table__, _DEFINITION.id == _INSTANCE.definition_id)
        .where(*_conditions(query, bound))
    )


def page_ids(query: QueueQuery, page: int, extra: int = 0) -> Select[Any]:
    """The ids of one page (and `extra` more), from `human_task` alone: one walk of the sort's
    (lane, state, column, id) index, stopping after the page (tests/integration/test_queue_plans.py
    checks the plans)."""
    return (
        select(_TASK.id)
        .where(*_conditions(query))
        .order_by(*_order(query))
        .offset((page - 1) * query.per_page)
        .limit(query.per_page + extra)
    )


def queue_page(
    session: Session, query: QueueQuery, *, total: int | None = None, more: bool = False
) -> QueuePage:
    """One page of the queue, and how many tasks match the filters (counted up to a cap).

    A deferred join: the page's ids are chosen from `human_task` alone (its indexes cover the
    filter and the sort), then only those rows are joined to their instance and definition.
    Joining first would look up every matching instance before sorting. `total` may be given when
    the caller already counted the same tasks (an unfiltered tab: its count; `more` when that count
    stopped at the cap, which answers for the pages up to the cap). The count
    stops past max(`count_cap`, the rows up to this page) (engine/queue_counts.py): `more` is then
    set, and the page asked for exists.
    """
    cap = max(query.count_cap, max(query.page, 1) * query.per_page)
    if query.text.strip() and session.get_bind().dialect.name == "sqlite":
        ids, total, page = _search_ids(session, query)
        more = total > cap
        total = min(total, cap)
    elif more and total is not None and total >= cap:  # the caller's capped count answers
        page = max(query.page, 1)
        ids, total = _page_ids(session, query, page), cap
    else:
        ids, total, page, more = _ids_and_total(session, query, None if more else total, cap)
    if not ids:
        return QueuePage([], total, page, query.per_page, more)
    shape, params = _shape(query)
    if shape is None:
        result = session.execute(_rows_statement(query).where(_TASK.id.in_(ids)))
    else:
        result = session.execute(_bound_rows(shape), {**params, "ids": ids})
    found = {row[0]: QueueRow(*row) for row in result}
    rows = [found[task_id] for task_id in ids if task_id in found]
    return QueuePage(rows, total, page, query.per_page, more)


def _shape(query: QueueQuery) -> tuple[QueueQuery | None, dict[str, Any]]:
    """What the text of a query's statements depends on (its values replaced by stand-ins: the key
    of the statements built once, `_bound_ids` and `_bound_rows`), and the values as bound
    parameters. Building a statement and its SQLAlchemy cache key cost more than SQLite's answer
    for a page. None for a search (its words vary)."""
    if query.text.strip():
        return None, {}
    agent = None if query.agent_id is None else 0
    shape = QueueQuery(
        query.lanes, agent, query.demarche and "?", query.status_label and "?", query.overdue,
        query.assignment, "", query.sort, query.descending, 1, 0, _EPOCH, 0,
    )  # fmt: skip
    names = ("demarche", "status", "now", "agent")
    values = (query.demarche, query.status_label, query.now, query.agent_id)
    return shape, {name: value for name, value in zip(names, values, strict=True) if value is not None}


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=512)
def _bound_ids(shape: QueueQuery) -> Select[Any]:
    statement = select(_TASK.id).where(*_conditions(shape, bound=True)).order_by(*_order(shape))
    return statement.offset(bindparam("offset")).limit(bindparam("limit"))


@lru_cache(maxsize=512)
def _bound_rows(shape: QueueQuery) -> Select[Any]:
    return _rows_statement(shape, bound=True).where(_TASK.id.in_(bindparam("ids", expanding=True)))


def _page_ids(session: Session, query: QueueQuery, page: int, extra: int = 0) -> list[int]:
    """The ids of `page_ids(query, page, extra)`, its statement built once per shape (`_shape`)."""
    shape, params = _shape(query)
    if shape is None:
        return list(session.execute(page_ids(query, page, extra)).scalars())
    limits = {"offset": (page - 1) * query.per_page, "limit": query.per_page + extra}
    return list(session.execute(_bound_ids(shape), {**params, **limits}).scalars())


def _ids_and_total(
    session: Session, query: QueueQuery, total: int | None, cap: int
) -> tuple[list[int], int, int, bool]:
    """(ids, total, page shown, more). A page that is not full tells the total by itself (a rare
    search, a small filter); a page past the cap reads one row more instead of counting (« plus de
    10 000 » on page 200); otherwise the count runs (up to the cap), and a page past the end shows
    the last one."""
    page = max(query.page, 1)
    if total is not None:
        page = min(page, page_count(total, query.per_page))
        return _page_ids(session, query, page), total, page, False
    deep = page * query.per_page >= query.count_cap  # past the cap: one row more tells « more »
    ids = _page_ids(session, query, page, 1 if deep else 0)
    if deep and len(ids) > query.per_page:
        return ids[: query.per_page], page * query.per_page, page, True
    if 0 < len(ids) < query.per_page or (not ids and page == 1) or (deep and ids):
        return ids, (page - 1) * query.per_page + len(ids), page, False
    total, more = capped_count(session, _conditions(query), cap)
    last = page_count(total, query.per_page)
    if page > last:
        page = last
        ids = _page_ids(session, query, page)
    return ids, total, page, more


def _search_ids(session: Session, query: QueueQuery) -> tuple[list[int], int, int]:
    """(the page's task ids, how many tasks match, the page shown) for a search, on SQLite.

    The matches are few and spread over the whole queue. Walking the sort's index would read every
    row to find them; a materialised CTE scans the covering filter index once, and the page is
    sorted among the matches only. A page past the end shows the last page. (PostgreSQL reads the
    matches from the trigram index of `search_text`, when pg_trgm is installed, and counts them
    up to the cap like any filter: see `queue_page`.)
    """
    column, _ = SORT_COLUMNS[query.sort]
    matches = (
        select(_TASK.id.label("id"), column.label("sort"))
        .where(*_conditions(query))
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )

    # One statement: the page's ids and, beside each, how many tasks matched.
    def search_page(page: int) -> list[Any]:
        return list(
            session.execute(
                select(matches.c.id, func.count().over())
                .order_by(*_order(query, source=matches))
                .offset((page - 1) * query.per_page)
                .limit(query.per_page)
            ).all()
        )

    page = max(query.page, 1)
    found_rows = search_page(page)
    if found_rows:
        total = found_rows[0][1]
    else:  # no match, or a page past the end: count, and show the last page
        total = session.execute(select(func.count()).select_from(matches)).scalar_one()
        last = page_count(total, query.per_page)
        if page > last and total:
            page = last
            found_rows = search_page(page)
        else:
            page = min(page, last)
    return [row[0] for row in found_rows], total, page


def iter_queue(session: Session, query: QueueQuery, batch: int = 1000) -> Iterator[QueueRow]:
    """Every task of the filtered queue in its order (exports), read `batch` rows at a time."""
    result = session.execute(
        _rows_statement(query).order_by(*_order(query)).execution_options(yield_per=batch)
    )
    for row in result:
        yield QueueRow(*row)
