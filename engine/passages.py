"""Where requests wait, beyond the user tasks: one element_passage row each time a request passes a
timer (from the moment it starts waiting to the moment it fires) or an automatic step (service,
script or business-rule task, done in the same step).

The user tasks have their human_task rows; these rows are the same history for the other elements,
so that « Où les demandes attendent » (engine/waiting.py) gives the same figures for every element:
passed, waiting now, median and 90th percentile. Written by the Runner with the step's other rows
(engine/execution.py), without reading anything back. A timer that will never fire (its task was
done first, the request was cancelled or ended) is closed « cancelled », like an inbox row.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, bindparam, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, UTCDateTime, utcnow
from .runtime import TaskState

OPEN, COMPLETED, CANCELLED = "open", "completed", "cancelled"
_AUTOMATIC = {"ServiceTask": "service", "ScriptTask": "script", "BusinessRuleTask": "regle"}


class ElementPassage(Base):
    """One request passing one timer or automatic step (the user tasks have human_task)."""

    __tablename__ = "element_passage"
    __table_args__ = (
        Index("ix_element_passage_demarche_created", "demarche_key", "created_at"),
        Index("ix_element_passage_instance_state", "instance_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    demarche_key: Mapped[str] = mapped_column(String(100))
    element_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # timer, service, script, regle
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(20), default=OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


_TABLE = ElementPassage.__table__
_INSERT = _TABLE.insert()
#: Built once (their SQL cache keys are kept); the values given at execution form the SET clause.
_CLOSE_ALL = update(_TABLE).where(_TABLE.c.instance_id == bindparam("b_instance_id"), _TABLE.c.state == OPEN)
_CLOSE_SOME = _CLOSE_ALL.where(_TABLE.c.spiff_task_id.in_(bindparam("b_spiff_ids", expanding=True)))


def kind_of(spec: Any) -> str | None:
    """« timer », an automatic step's kind, or None (user tasks, gateways, other events)."""
    if getattr(spec, "bpmn_id", None) is None:
        return None
    definition = getattr(spec, "event_definition", None)
    if definition is not None and any(c.__name__ == "TimerEventDefinition" for c in type(definition).__mro__):
        return "timer"
    return next((_AUTOMATIC[c.__name__] for c in type(spec).__mro__ if c.__name__ in _AUTOMATIC), None)


class PassageLog:
    """The passages of one step on one request, written by `write` with the step's other rows.

    No read: the timers armed or cancelled in this step are those whose SpiffWorkflow state changed
    since the step began (`last_state_change`, kept in the stored workflow); a fired timer closes the
    open row written when it was armed. Statements per step: one INSERT of the new rows (armed timers,
    automatic steps) and one UPDATE per kind of closing (fired, cancelled) when there is one.
    """

    def __init__(self, instance: Any) -> None:
        self.instance = instance
        self.started = time.time()
        self.done: list[Any] = []

    def completed(self, task: Any) -> None:
        if kind_of(task.task_spec) is not None:
            self.done.append(task)

    def _row(self, task: Any, state: str, now: datetime) -> dict[str, Any]:
        spec = task.task_spec
        return {
            "instance_id": self.instance.id,
            "demarche_key": self.instance.definition.key,
            "element_id": spec.bpmn_id,
            "title": (spec.bpmn_name or spec.bpmn_id)[:200],
            "kind": kind_of(spec),
            "spiff_task_id": str(task.id),
            "state": state,
            "created_at": now,
            "completed_at": now if state == COMPLETED else None,
        }

    def _close(self, session: Session, state: str, spiff_ids: list[str] | None, now: datetime) -> int:
        """Close open rows of the request (those of `spiff_ids`, or all when None); the count closed."""
        values = {"b_instance_id": self.instance.id, "state": state, "completed_at": now}
        if spiff_ids is None:
            result = session.execute(_CLOSE_ALL, values)
        else:
            result = session.execute(_CLOSE_SOME, {**values, "b_spiff_ids": spiff_ids})
        return int(result.rowcount)  # type: ignore[attr-defined]

    def write(self, session: Session, workflow: Any, finished: bool) -> None:
        now = utcnow()
        changed = [
            t
            for t in workflow.get_tasks(state=TaskState.WAITING | TaskState.CANCELLED)
            if t.last_state_change >= self.started and kind_of(t.task_spec) == "timer"
        ]
        fired = [t for t in self.done if kind_of(t.task_spec) == "timer"]
        new = [self._row(t, COMPLETED, now) for t in self.done if t not in fired]
        new += [self._row(t, OPEN, now) for t in changed if t.state == TaskState.WAITING]
        if fired and self._close(session, COMPLETED, [str(t.id) for t in fired], now) < len(fired):
            # A timer armed and fired in the same step has no open row: written closed.
            closed = set(
                session.execute(
                    select(ElementPassage.spiff_task_id).where(
                        ElementPassage.instance_id == self.instance.id,
                        ElementPassage.spiff_task_id.in_([str(t.id) for t in fired]),
                    )
                ).scalars()
            )
            new += [self._row(t, COMPLETED, now) for t in fired if str(t.id) not in closed]
        cancelled = [str(t.id) for t in changed if t.state == TaskState.CANCELLED]
        if finished:  # a closed request waits on no timer any more
            self._close(session, CANCELLED, None, now)
        elif cancelled:
            self._close(session, CANCELLED, cancelled, now)
        if new:
            session.execute(_INSERT, new)
        self.done, self.started = [], time.time()
