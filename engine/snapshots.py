"""Frozen views of the engine's rows: what the door hands out instead of ORM objects (Flask-free).

A view is built from a row already loaded (the instance joins its definition, a task its instance
and definition), so building it never costs a query. The row itself is kept alive in the session
(`pin`) for the rest of the unit of work: the next door call that takes the view's id finds it in
the session's identity map instead of reading it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from .models import HumanTask, InstanceStatus, ProcessDefinition, ProcessInstance

_PINNED = "guichet.pinned_rows"


def pin(session: Session, row: Any) -> None:
    """Keep a row referenced until the session ends (the identity map only holds weak references)."""
    session.info.setdefault(_PINNED, []).append(row)


@dataclass(frozen=True)
class DefinitionView:
    """One published version of a démarche, without its BPMN text."""

    id: int
    key: str
    version: int
    title: str
    max_duration: str | None
    description: str
    sha256: str
    created_at: datetime
    is_published: bool


def definition_view(definition: ProcessDefinition) -> DefinitionView:
    return DefinitionView(
        definition.id,
        definition.key,
        definition.version,
        definition.title,
        definition.max_duration,
        definition.description,
        definition.sha256,
        definition.created_at,
        definition.is_published,
    )


@dataclass(frozen=True)
class InstanceView:
    """A request (a running or finished démarche) as the pages show it."""

    id: int
    reference: str | None
    definition: DefinitionView
    requester_id: int | None
    requester_name: str
    status: InstanceStatus
    status_label: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    deadline_at: datetime | None
    completed_at: datetime | None
    #: The optimistic version the agents' decision form carries (`check_current`).
    lock_version: int
    #: False once the workflow's JSON is emptied (`effacerDonneesALaFin`) or for a draft never saved.
    has_data: bool

    @property
    def demarche_key(self) -> str:
        return self.definition.key

    @property
    def demarche_title(self) -> str:
        return self.definition.title

    @property
    def running(self) -> bool:
        return self.status == InstanceStatus.RUNNING


def instance_view(session: Session, instance: ProcessInstance) -> InstanceView:
    """The view of a loaded instance (its definition is joined: no query)."""
    pin(session, instance)
    return InstanceView(
        id=instance.id,
        reference=instance.reference,
        definition=definition_view(instance.definition),
        requester_id=instance.requester_id,
        requester_name=instance.requester_name,
        status=InstanceStatus(instance.status),
        status_label=instance.status_label,
        created_at=instance.created_at,
        updated_at=instance.updated_at,
        submitted_at=instance.submitted_at,
        deadline_at=instance.deadline_at,
        completed_at=instance.completed_at,
        lock_version=instance.lock_version,
        has_data=bool(instance.serialization),
    )


@dataclass(frozen=True)
class InboxTask:
    """One row of the inbox (`human_task`): a family's open step or an agent's task, with its request."""

    id: int
    instance_id: int
    task_name: str
    title: str
    form_key: str
    lane: str
    state: str
    status_label: str
    requester_id: int | None
    requester_name: str
    assignee_id: int | None
    assignee_name: str | None
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    reminded_at: datetime | None
    escalated_at: datetime | None
    #: « Enregistrer le brouillon » was used on this step.
    has_draft: bool
    reference: str
    demarche_key: str
    demarche_title: str

    def is_overdue(self, now: datetime) -> bool:
        return self.escalated_at is not None or (self.due_at is not None and self.due_at < now)


def inbox_task(session: Session, task: HumanTask, *, keep: bool = True) -> InboxTask:
    """The view of a loaded task (its instance and definition are joined: no query); `keep=False` for
    long read-only lists that no later door call is given (the row is not pinned)."""
    if keep:
        pin(session, task)
    definition = task.instance.definition
    return InboxTask(
        id=task.id,
        instance_id=task.instance_id,
        task_name=task.task_name,
        title=task.title,
        form_key=task.form_key,
        lane=task.lane,
        state=task.state,
        status_label=task.status_label,
        requester_id=task.requester_id,
        requester_name=task.requester_name,
        assignee_id=task.assignee_id,
        assignee_name=task.assignee_name,
        created_at=task.created_at,
        due_at=task.due_at,
        completed_at=task.completed_at,
        reminded_at=task.reminded_at,
        escalated_at=task.escalated_at,
        has_draft=bool(task.draft),
        reference=task.instance.reference or "",
        demarche_key=definition.key,
        demarche_title=definition.title,
    )


def inbox_tasks(session: Session, tasks: Any, *, keep: bool = True) -> list[InboxTask]:
    return [inbox_task(session, task, keep=keep) for task in tasks]
