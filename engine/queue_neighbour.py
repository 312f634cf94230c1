"""« Dossier suivant / précédent »: the task after or before another in a filtered, sorted queue."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from .queues import _TASK, SORT_COLUMNS, QueueQuery, _conditions, _order


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
    # In ascending order (NULLs first), the rows strictly after or before (value, task_id):
    if value is None:
        after = or_(column.is_not(None), and_(column.is_(None), _TASK.id > task_id))
        before = and_(column.is_(None), _TASK.id < task_id)
    else:
        after = or_(column > value, and_(column == value, _TASK.id > task_id))
        before = or_(column < value, and_(column == value, _TASK.id < task_id))
        if nullable:
            before = or_(before, column.is_(None))
    condition = after if forward != query.descending else before
    return session.execute(
        select(_TASK.id)
        .where(*_conditions(query), condition)
        .order_by(*_order(query, reverse=not forward))
        .limit(1)
    ).scalar_one_or_none()
