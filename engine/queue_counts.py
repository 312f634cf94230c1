"""Capped counts of the agents' queues: the tabs' numbers and a filtered queue's total.

Counting a queue exactly reads every one of its index entries: at 100,000 open tasks that is
7 ms on SQLite and 15–35 ms on PostgreSQL (docs/performance.md, « The queue at 100,000 on
PostgreSQL, second pass »), for a number nobody reads digit by digit. A count stops at
`COUNT_CAP` + 1 rows instead (0.2 ms): up to `COUNT_CAP` it is exact, beyond it the page says
« plus de 1 000 ». A page further than the cap (page 200 of a big queue) counts up to itself
plus one row, so that its « Page suivante » is right.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Label, ScalarSelect, Select, bindparam, func, select
from sqlalchemy.orm import Session

from .models import HumanTask, HumanTaskState

_TASK = HumanTask.__table__.c

#: Counts stop here: the tabs and totals show « plus de 1 000 » beyond.
COUNT_CAP = 1000


def capped(conditions: Sequence[ColumnElement[bool]], cap: int) -> ScalarSelect[int]:
    """How many open tasks match `conditions`, counting `cap` + 1 rows at most (a scalar subquery)."""
    found = select(_TASK.id).where(*conditions).limit(cap + 1).subquery()
    return select(func.count()).select_from(found).scalar_subquery()


def capped_count(session: Session, conditions: Sequence[ColumnElement[bool]], cap: int) -> tuple[int, bool]:
    """(count, more): the exact count up to `cap`, else (`cap`, True) for « plus de `cap` »."""
    counted = session.execute(select(capped(conditions, cap))).scalar_one()
    return (cap, True) if counted > cap else (counted, False)


def counts_columns(ordered: tuple[str, ...], cap: int, nobody: bool) -> list[Label[int]]:
    """The tabs' capped counts as labelled scalar subqueries: one per lane (in `ordered`'s order),
    then « Mes tâches », whose agent is the bound parameter `agent_id` (nobody's tasks if `nobody`).

    Each lane's count is an equality on (lane, state), which walks that index on SQLite and
    PostgreSQL alike; the scalar subqueries make one round trip of them."""
    open_ = _TASK.state == HumanTaskState.OPEN
    columns = [capped([_TASK.lane == lane, open_], cap).label(f"n{i}") for i, lane in enumerate(ordered)]
    who = _TASK.assignee_id.is_(None) if nobody else _TASK.assignee_id == bindparam("agent_id")
    return [*columns, capped([who, open_, _TASK.lane.in_(ordered)], cap).label("mine")]


@lru_cache(maxsize=256)
def _counts_statement(ordered: tuple[str, ...], cap: int, nobody: bool) -> Select[Any]:
    """Built once per set of lanes: a page's tabs cost the statement's execution only (building it
    and its SQLAlchemy cache key took longer than SQLite's answer)."""
    return select(*counts_columns(ordered, cap, nobody))


def read_counts(row: Sequence[int], ordered: tuple[str, ...]) -> dict[str, int]:
    """The counts of `counts_columns` by lane, « Mes tâches » under the key ""."""
    counts = dict(zip(ordered, row[: len(ordered)], strict=True))
    counts[""] = row[len(ordered)]
    return counts


def queue_counts(
    session: Session, lanes: frozenset[str], agent_id: int | None, cap: int = COUNT_CAP
) -> dict[str, int]:
    """Open tasks per lane, plus « Mes tâches » under the key "" (the tabs' numbers), in one statement.

    Each count stops at `cap` + 1: a value above `cap` means « plus de `cap` » (`count_label` in the
    web layer).
    """
    ordered = tuple(sorted(lanes))
    if not ordered:
        return {"": 0}
    statement = _counts_statement(ordered, cap, agent_id is None)
    return read_counts(session.execute(statement, {"agent_id": agent_id}).one(), ordered)


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` rows fill (at least one, an empty queue's)."""
    return max(1, -(-total // per_page))
