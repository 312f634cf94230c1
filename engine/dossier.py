"""What the agents' dossier page reads from an instance, and its internal comments (Flask-free)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .access import get_instance
from .errors import NotAllowed
from .events import Actor, add_event, lane_label
from .execution import open_workflow
from .i18n import _
from .models import HistoryEvent, HumanTask, HumanTaskState, ProcessInstance, Visibility
from .runtime import TaskState


def instance_data(session: Session, instance: ProcessInstance, user: Actor) -> dict[str, Any]:
    """The data the family submitted, as the workflow holds it now (empty once erased at the end).

    The data of the most advanced task is taken: a READY task if any (what its form starts from),
    else the last completed one.
    """
    if not instance.serialization:
        return {}
    workflow = open_workflow(session, instance, user, read_only=True)
    for state in (TaskState.READY, TaskState.COMPLETED):
        tasks = workflow.get_tasks(state=state)
        if tasks:
            latest = max(tasks, key=lambda t: t.last_state_change)
            return dict(latest.data)
    return {}


def open_tasks(session: Session, instance: ProcessInstance) -> list[HumanTask]:
    """The instance's open inbox rows (any lane), oldest first."""
    return list(
        session.execute(
            select(HumanTask)
            .where(HumanTask.instance_id == instance.id, HumanTask.state == HumanTaskState.OPEN)
            .order_by(HumanTask.created_at, HumanTask.id)
        ).scalars()
    )


def current_elements(session: Session, instance: ProcessInstance) -> list[str]:
    """BPMN ids of the elements the instance waits on (its open user tasks), for the diagram."""
    return [task.task_name for task in open_tasks(session, instance)]


def role_on(session: Session, instance: ProcessInstance, user: Actor) -> str:
    """« Service X » for the user's group that has (had) a task on this instance."""
    lanes = session.execute(
        select(HumanTask.lane).where(HumanTask.instance_id == instance.id).order_by(HumanTask.id.desc())
    ).scalars()
    for lane in lanes:
        if lane in user.groups:
            return lane_label(lane)
    return lane_label(sorted(user.groups)[0]) if user.groups else "Agent"


def add_internal_comment(session: Session, instance_id: int, user: Actor, text: str) -> HistoryEvent:
    """« Ajouter un commentaire interne » at any time: an internal timeline entry, never public.

    It does not change the instance (nor its lock_version): a colleague's note does not make an
    open decision form stale.
    """
    instance = get_instance(session, instance_id, user)
    if not user.groups:
        raise NotAllowed(_("Seuls les agents d'un service peuvent commenter une demande."))
    text = text.strip()
    event = add_event(
        session,
        instance,
        "comment_added",
        "Commentaire interne",
        comment=text,
        visibility=Visibility.INTERNAL,
        actor=user,
        role=role_on(session, instance, user),
    )
    session.flush()
    return event
