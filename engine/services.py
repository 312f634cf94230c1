"""What a BPMN service operation receives: a typed context bound to the step's transaction.

The operation (a function in `web/<area>/operations.py` registered with `engine.registry.service`)
reads the request through the methods below and writes its own domain rows through `session`; it
only flushes, the caller of the step commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from . import deadlines, events
from .models import ProcessInstance, Visibility
from .snapshots import InboxTask, InstanceView, instance_view


@dataclass
class ServiceContext:
    """The open session, the instance, who acted, and what the calling task holds."""

    session: Session
    # The mapped row: the engine's own. Service operations (web/) read the request through the
    # properties below and `view` (a frozen InstanceView), never through the row (issue 9).
    _row: ProcessInstance
    actor: events.Actor | None = None
    # Values given to complete() for this call only (e.g. a password hash): never stored in the workflow.
    secrets: dict[str, Any] = field(default_factory=dict)
    # A copy of the calling task's data (what the forms completed so far hold).
    data: dict[str, Any] = field(default_factory=dict)
    # The lane of the calling service task (None outside lanes).
    lane: str | None = None

    @property
    def instance_id(self) -> int:
        return self._row.id

    @property
    def requester_id(self) -> int | None:
        """The family's account (None for a guest's démarche not yet tied to an account)."""
        return self._row.requester_id

    @requester_id.setter
    def requester_id(self, value: int | None) -> None:
        """Tie the démarche to an account (signup) or untie it (purge); written at the end of the step."""
        self._row.requester_id = value

    @property
    def reference(self) -> str:
        return self._row.reference or ""

    @property
    def demarche_key(self) -> str:
        return self._row.definition.key

    @property
    def demarche_title(self) -> str:
        return self._row.definition.title

    @property
    def deadline_at(self) -> datetime | None:
        return self._row.deadline_at

    @property
    def view(self) -> InstanceView:
        """The request as the door shows it (a frozen view, for mail templates and hooks)."""
        return instance_view(self.session, self._row)

    def secret(self, name: str, default: Any = None) -> Any:
        return self.secrets.get(name, default)

    def add_event(
        self,
        event_type: str,
        label: str,
        *,
        visibility: Visibility = Visibility.PUBLIC,
        comment: str | None = None,
        role: str | None = None,
    ) -> None:
        """Append one entry to the request's timeline."""
        events.add_event(
            self.session, self._row, event_type, label, visibility=visibility, comment=comment, role=role
        )

    def flag_open_agent_tasks(self, column: str, now: datetime) -> list[InboxTask]:
        """Stamp `reminded_at` / `escalated_at` on the request's open agent tasks (engine.deadlines)."""
        return deadlines.flag_open_agent_tasks(self.session, self._row.id, column, now)
