"""A task's page and its submission: the data its form starts from, and completing it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from . import stored_messages as stored
from .access import task_for
from .assignment import refuse_if_claimed_by_other
from .db import utcnow
from .errors import Conflict
from .events import Actor, lane_label
from .execution import Guest, Runner, lock_instance, open_workflow
from .i18n import N_, _
from .instances import deadline_from
from .models import (
    REQUESTER_LANE,
    HumanTask,
    HumanTaskState,
    ProcessDefinition,
    ProcessInstance,
    Visibility,
)
from .runtime import TaskState
from .snapshots import pin
from .stored_messages import french


@dataclass(frozen=True)
class TaskView:
    """What a task page needs, without SpiffWorkflow objects."""

    id: int
    instance_id: int
    reference: str
    demarche_title: str
    title: str
    form_key: str
    lane: str
    status_label: str
    data: dict[str, Any]


def get_task(session: Session, task_id: int, user: Actor) -> TaskView:
    """Return an open task the user may act on, with the data its form starts from."""
    task = task_for(session, task_id, user)
    if task.state != HumanTaskState.OPEN:
        raise Conflict(_("Cette tâche a déjà été traitée."))
    pin(session, task)  # the form's completion (same request) finds it in the identity map, not in SQL
    instance = task.instance
    workflow = open_workflow(session, instance, user, read_only=True)
    spiff_task = workflow.get_task_from_id(UUID(task.spiff_task_id))
    return TaskView(
        id=task.id,
        instance_id=instance.id,
        reference=instance.reference or "",
        demarche_title=instance.definition.title,
        title=task.title,
        form_key=task.form_key,
        lane=task.lane,
        status_label=instance.status_label,
        data=dict(spiff_task.data),
    )


_TASKS = HumanTask.__table__
_TASK_STATE = select(_TASKS.c.state, _TASKS.c.assignee_id, _TASKS.c.assignee_name).where(
    _TASKS.c.id == bindparam("b_id")
)
#: Values given at execution form the SET clause.
_WRITE_TASK = update(_TASKS).where(_TASKS.c.id == bindparam("b_id"))


def complete(
    session: Session,
    task_id: int,
    user: Actor,
    data: dict[str, Any],
    *,
    public_comment: str | None = None,
    internal_comment: str | None = None,
    secrets: dict[str, Any] | None = None,
) -> HumanTask:
    """Complete a user task with the form's data and run the instance to its next wait.

    `secrets` (e.g. a password hash) reach the service tasks run by this call through their
    ServiceContext and are never written to the workflow. Raises NotFound, NotAllowed, Conflict
    (already completed, completed concurrently, or claimed by a colleague: engine/assignment.py),
    or ScriptError when the diagram fails; the caller must then roll back.
    """
    task = task_for(session, task_id, user)
    instance = lock_instance(session, task.instance_id)
    # Only the task's state and claim are read again: whoever held the lock may have changed them.
    state, assignee_id, assignee_name = session.execute(_TASK_STATE, {"b_id": task.id}).one()
    set_committed_value(task, "state", state)
    if task.state != HumanTaskState.OPEN:
        raise Conflict(
            _("Cette tâche a déjà été traitée ; la demande a avancé depuis l'ouverture de la page.")
        )
    refuse_if_claimed_by_other(assignee_id, assignee_name, user)
    workflow = open_workflow(session, instance, user, secrets)
    spiff_task = workflow.get_task_from_id(UUID(task.spiff_task_id))
    if spiff_task is None or spiff_task.state != TaskState.READY:
        raise Conflict(_("Cette tâche n'est plus à traiter."))
    now = utcnow()
    # The family sends its first step: the request is filed now, and its deadline counts from now.
    filing = task.lane == REQUESTER_LANE and instance.submitted_at is None
    deadline = deadline_from(now, instance.definition.max_duration) if filing else None
    spiff_task.data.update(data)
    if deadline is not None:  # the timers of engine/deadlines.py are dated from it
        spiff_task.data["date_limite"] = deadline.isoformat()
    spiff_task.run()
    done = {"state": HumanTaskState.COMPLETED, "completed_at": now, "completed_by_id": user.id}
    done["draft"] = None  # a sent task keeps no draft
    session.execute(_WRITE_TASK, {**done, "b_id": task.id})
    for key, value in done.items():
        set_committed_value(task, key, value)
    runner = Runner(session, instance, workflow, user)
    if filing:
        runner.set("submitted_at", now)
        runner.set("deadline_at", deadline)
    _record_completion(runner, task, user, public_comment, internal_comment)
    runner.advance()
    return task


_REQUESTER_TASKS = select(HumanTask).where(
    HumanTask.lane == REQUESTER_LANE, HumanTask.state == HumanTaskState.OPEN
)
#: A family's inbox, built once (its SQL cache key is kept): read at each of their pages.
_FAMILY_TASKS = _REQUESTER_TASKS.where(HumanTask.requester_id == bindparam("b_user_id")).order_by(
    HumanTask.created_at, HumanTask.id
)


def _guest_tasks(user: Guest) -> Any:
    """A visitor's inbox (a démarche without an account: signup, forgotten password)."""
    return (
        _REQUESTER_TASKS.join(ProcessInstance)
        .where(ProcessInstance.requester_id.is_(None), ProcessInstance.guest_key_hash == user.key_hash)
        .order_by(HumanTask.created_at, HumanTask.id)
    )


def tasks_for(session: Session, user: Actor) -> Sequence[HumanTask]:
    """The family's (or the guest's) open tasks in their own démarches, Famille lane."""
    if not isinstance(user, Guest):
        return session.execute(_FAMILY_TASKS, {"b_user_id": user.id}).scalars().all()
    return session.execute(_guest_tasks(user)).scalars().all()


#: The first of a family's open tasks in one request, by id (built once).
_NEXT_FAMILY_TASK = (
    _FAMILY_TASKS.with_only_columns(HumanTask.id)
    .where(HumanTask.instance_id == bindparam("b_instance_id"))
    .limit(1)
)


def next_task_in(session: Session, user: Actor, instance_id: int) -> int | None:
    """The first of `tasks_for(user)` in one request, by id: where the family goes after a step,
    without loading its whole inbox."""
    if not isinstance(user, Guest):
        values = {"b_user_id": user.id, "b_instance_id": instance_id}
        return session.execute(_NEXT_FAMILY_TASK, values).scalar()
    query = _guest_tasks(user).with_only_columns(HumanTask.id).where(HumanTask.instance_id == instance_id)
    return session.execute(query.limit(1)).scalar()


@dataclass(frozen=True)
class QueueFilters:
    demarche: str | None = None
    assigned_to: int | None = None
    page: int = 1
    per_page: int = 50


def queue_for(
    session: Session, groups: frozenset[str], filters: QueueFilters | None = None
) -> tuple[Sequence[HumanTask], int]:
    """Open agent tasks of the given groups, oldest first, one page, plus the total count."""
    filters = filters or QueueFilters()
    conditions = [HumanTask.state == HumanTaskState.OPEN, HumanTask.lane.in_(sorted(groups))]
    if filters.assigned_to is not None:
        conditions.append(HumanTask.assignee_id == filters.assigned_to)
    query = select(HumanTask).where(*conditions)
    if filters.demarche:
        query = (
            query.join(ProcessInstance)
            .join(ProcessDefinition)
            .where(ProcessDefinition.key == filters.demarche)
        )
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page = max(filters.page, 1)
    rows = (
        session.execute(
            query.order_by(HumanTask.created_at, HumanTask.id)
            .offset((page - 1) * filters.per_page)
            .limit(filters.per_page)
        )
        .scalars()
        .all()
    )
    return rows, total


def _record_completion(
    runner: Runner,
    task: HumanTask,
    user: Actor,
    public_comment: str | None,
    internal_comment: str | None,
) -> None:
    """The timeline entries of a completed task: « traitée », then the comments sent with it."""
    role = lane_label(task.lane)
    runner.add_event(
        "task_completed",
        french(stored.TASK_DONE, title=task.title),
        visibility=Visibility.INTERNAL,
        actor=user,
        role=role,
    )
    if public_comment:
        runner.add_event(
            "comment_added",
            N_("Message de la famille") if task.lane == REQUESTER_LANE else N_("Message du service"),
            comment=public_comment,
            actor=user,
            role=role,
        )
    if internal_comment:
        runner.add_event(
            "comment_added",
            N_("Commentaire interne"),
            comment=internal_comment,
            visibility=Visibility.INTERNAL,
            actor=user,
            role=role,
        )
