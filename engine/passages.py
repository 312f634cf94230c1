"""Where requests wait, beyond the user tasks: one element_passage row each time a request passes a
timer (from the moment it starts waiting to the moment it fires) or an automatic step (service,
script or business-rule task, done in the same step).

The user tasks have their human_task rows; these rows are the same history for the other elements,
so that « Où les demandes attendent » (engine/waiting.py) gives the same figures for every element:
passed, waiting now, median and 90th percentile. Written by the Runner with the step's other rows
(engine/execution.py): one INSERT for the step's new rows; the open timer rows of the request are
read (one SELECT) only when the request had or has a timer waiting. A timer that will never fire
(its task was done first, the request was cancelled) is closed « cancelled », like an inbox row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, select, update
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


def kind_of(spec: Any) -> str | None:
    """« timer », an automatic step's kind, or None (user tasks, gateways, other events)."""
    if getattr(spec, "bpmn_id", None) is None:
        return None
    definition = getattr(spec, "event_definition", None)
    if definition is not None and any(c.__name__ == "TimerEventDefinition" for c in type(definition).__mro__):
        return "timer"
    return next((_AUTOMATIC[c.__name__] for c in type(spec).__mro__ if c.__name__ in _AUTOMATIC), None)


class PassageLog:
    """The passages of one step on one request, written by `write` with the step's other rows."""

    def __init__(self, instance: Any) -> None:
        self.instance = instance
        self.had_timers = instance.next_timer_at is not None
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

    def write(self, session: Session, workflow: Any) -> None:
        now = utcnow()
        waiting = {
            str(t.id): t
            for t in workflow.get_tasks(state=TaskState.WAITING)
            if kind_of(t.task_spec) == "timer"
        }
        fired = {str(t.id) for t in self.done if kind_of(t.task_spec) == "timer"}
        open_rows: dict[str, int] = {}
        if self.had_timers or waiting or fired:
            open_rows = dict(
                session.execute(
                    select(ElementPassage.spiff_task_id, ElementPassage.id).where(
                        ElementPassage.instance_id == self.instance.id, ElementPassage.state == OPEN
                    )
                ).all()
            )
        new = [self._row(t, COMPLETED, now) for t in self.done if str(t.id) not in open_rows]
        new += [self._row(t, OPEN, now) for spiff_id, t in waiting.items() if spiff_id not in open_rows]
        closing = {
            COMPLETED: [row for spiff_id, row in open_rows.items() if spiff_id in fired],
            CANCELLED: [row for spiff_id, row in open_rows.items() if spiff_id not in fired | set(waiting)],
        }
        for state, ids in closing.items():
            if ids:
                session.execute(
                    update(_TABLE).where(_TABLE.c.id.in_(ids)).values(state=state, completed_at=now)
                )
        if new:
            session.execute(_TABLE.insert(), new)
        self.done = []
        self.had_timers = bool(waiting)
