"""The door's requests and tasks as frozen views: the internals return rows, these return views.

Each function calls the internal one (same checks, same queries) and turns its rows into views
(engine/snapshots.py); the functions that take a request accept the `InstanceView` the door gave.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import access, assignment, data, dossier, drafts, events, instances, tasks
from .events import Actor
from .models import HumanTask, ProcessInstance, Visibility
from .snapshots import InboxTask, InstanceView, inbox_task, inbox_tasks, instance_view


def row_of(session: Session, instance: InstanceView | ProcessInstance) -> ProcessInstance:
    """The row of a view the door handed out (found in the identity map: `pin` keeps it there)."""
    if isinstance(instance, ProcessInstance):
        return instance
    row = session.get(ProcessInstance, instance.id)
    assert row is not None  # the view was built from this row in the same session  # noqa: S101
    return row


def get_instance(session: Session, instance_id: int, user: Actor) -> InstanceView:
    """A request the user may see: the family's own, or one with a task in the agent's groups."""
    return instance_view(session, access.get_instance(session, instance_id, user))


def reread(session: Session, instance: InstanceView) -> InstanceView:
    """The request of a view already handed out, as it is now (after `complete`, say): no access check."""
    return instance_view(session, row_of(session, instance))


def reload(session: Session, instance: InstanceView) -> InstanceView:
    """The request as committed by others (after a rollback): read again from the database."""
    row = row_of(session, instance)
    session.refresh(row)
    return instance_view(session, row)


def start(
    session: Session, demarche_key: str, requester: Actor, data: dict[str, Any] | None = None
) -> InstanceView:
    """Start the latest published version of a démarche and run it to its first wait."""
    return instance_view(session, instances.start(session, demarche_key, requester, data))


def start_or_resume(session: Session, demarche_key: str, requester: Actor) -> tuple[InstanceView, bool]:
    """Start a démarche, or return the family's draft of it; True when a draft was resumed."""
    instance, resumed = drafts.start_or_resume(session, demarche_key, requester)
    return instance_view(session, instance), resumed


def cancel(session: Session, instance_id: int, user: Actor, reason: str | None = None) -> InstanceView:
    """The family withdraws its own running request (see engine.instances.cancel)."""
    return instance_view(session, instances.cancel(session, instance_id, user, reason))


def discard(session: Session, instance: InstanceView) -> None:
    """Delete an instance and everything of it (an abandoned signup draft)."""
    instances.discard(session, row_of(session, instance))


def tasks_for(session: Session, user: Actor) -> list[InboxTask]:
    """The family's (or the guest's) open tasks in their own démarches, Famille lane."""
    return inbox_tasks(session, tasks.tasks_for(session, user))


def queue_for(
    session: Session, groups: frozenset[str], filters: tasks.QueueFilters | None = None
) -> tuple[list[InboxTask], int]:
    """Open agent tasks of the given groups, oldest first, one page, plus the total count."""
    rows, total = tasks.queue_for(session, groups, filters)
    return inbox_tasks(session, rows), total


def agent_task(session: Session, task_id: int, agent: Actor) -> InboxTask:
    """An agent task of one of the agent's groups; NotFound (unknown, family task) or NotAllowed."""
    return inbox_task(session, assignment.agent_task(session, task_id, agent))


def claim(session: Session, task_id: int, agent: Actor) -> InboxTask:
    """« Prendre en charge » (see engine.assignment.claim)."""
    return inbox_task(session, assignment.claim(session, task_id, agent))


def release(session: Session, task_id: int, agent: Actor) -> InboxTask:
    """« Remettre dans la file » (see engine.assignment.release)."""
    return inbox_task(session, assignment.release(session, task_id, agent))


def assign(
    session: Session,
    task_id: int,
    agent: Actor,
    to_agent: Actor,
    *,
    expected_assignee_id: int | object | None = assignment.UNASSIGNED,
) -> InboxTask:
    """« Attribuer à » a colleague (see engine.assignment.assign)."""
    row = assignment.assign(session, task_id, agent, to_agent, expected_assignee_id=expected_assignee_id)
    return inbox_task(session, row)


def open_tasks(session: Session, instance: InstanceView) -> list[InboxTask]:
    """The request's open inbox rows (any lane), oldest first."""
    return inbox_tasks(session, dossier.open_tasks(session, row_of(session, instance)))


def current_elements(session: Session, instance: InstanceView) -> list[str]:
    """BPMN ids of the elements the request waits on (its open user tasks), for the diagram."""
    return dossier.current_elements(session, row_of(session, instance))


def instance_data(session: Session, instance: InstanceView, user: Actor) -> dict[str, Any]:
    """The data the family submitted, as the workflow holds it now (see engine.dossier)."""
    return dossier.instance_data(session, row_of(session, instance), user)


def current_data(session: Session, instance: InstanceView, user: Actor) -> dict[str, Any]:
    """The data of the request's most recently completed step ({} once erased at the end)."""
    return data.current_data(session, row_of(session, instance), user)


def lane_form_keys(session: Session, instance: InstanceView, lane: str) -> list[str]:
    """The formKeys of the user tasks of `lane` in the request's diagram, in document order."""
    return data.lane_form_keys(row_of(session, instance), lane)


def bpmn_of(session: Session, instance: InstanceView) -> str:
    """The BPMN text of the version the request runs on (running requests keep their version)."""
    return row_of(session, instance).definition.bpmn_xml


def tasks_by_id(session: Session, task_ids: Sequence[int]) -> list[InboxTask]:
    """The inbox rows of these ids (one query), in no particular order; unknown ids are left out."""
    rows = session.execute(select(HumanTask).where(HumanTask.id.in_(list(task_ids)))).scalars()
    return inbox_tasks(session, rows)


def complete(
    session: Session,
    task_id: int,
    user: Actor,
    data: dict[str, Any],
    *,
    public_comment: str | None = None,
    internal_comment: str | None = None,
    secrets: dict[str, Any] | None = None,
) -> None:
    """Complete a task and run the workflow to its next wait (see engine.tasks.complete)."""
    tasks.complete(
        session,
        task_id,
        user,
        data,
        public_comment=public_comment,
        internal_comment=internal_comment,
        secrets=secrets,
    )


def save_draft(session: Session, task_id: int, user: Actor, fields: dict[str, list[str]]) -> None:
    """Keep what was typed on an open task, unvalidated (see engine.drafts.save_draft)."""
    drafts.save_draft(session, task_id, user, fields)


def add_internal_comment(session: Session, instance_id: int, user: Actor, text: str) -> None:
    """« Ajouter un commentaire interne » (see engine.dossier.add_internal_comment)."""
    dossier.add_internal_comment(session, instance_id, user, text)


def add_event(
    session: Session,
    instance: InstanceView | ProcessInstance,
    event_type: str,
    label: str,
    *,
    visibility: Visibility = Visibility.PUBLIC,
    comment: str | None = None,
    actor: Actor | None = None,
    role: str | None = None,
) -> None:
    """Append one entry to a request's timeline (see engine.events.add_event)."""
    events.add_event(
        session, instance, event_type, label, visibility=visibility, comment=comment, actor=actor, role=role
    )
