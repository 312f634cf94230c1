"""Automatic assignment of new agent tasks, absences, and the stale-form guard (Flask-free).

The engine knows tasks, not people: which agents belong to a group, which of them are absent and
which policy the group chose live in the web area that owns accounts. That area registers a
*directory* with `set_directory`; when `Runner.sync_tasks` creates the inbox row of an agent task it
asks `choose_assignee`, which applies the group's policy:

- ``aucune``: the task waits in the group's queue, unassigned;
- ``tour_de_role`` (round robin): the available agent after the one who got the group's last
  assigned task, by account id, wrapping around;
- ``moins_charge`` (least loaded): the available agent with the fewest open assigned tasks, ties
  broken by account id.

Absent agents are never offered by the directory. `move_tasks_of` hands an absent agent's open tasks
to a colleague or back to the group, with an internal timeline entry on each request.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import stored_messages as stored
from .access import may_act
from .assigner import POLICY_LABELS, Candidate, Directory, Policy, pick, set_directory
from .db import utcnow
from .errors import Conflict
from .events import Actor, add_event, lane_label
from .execution import lock_instance
from .i18n import N_, _
from .models import HumanTask, HumanTaskState, Visibility
from .snapshots import InboxTask, inbox_tasks
from .stored_messages import french

__all__ = ["POLICY_LABELS", "Candidate", "Directory", "Policy", "pick", "set_directory"]


def move_tasks_of(
    session: Session,
    agent_id: int,
    *,
    to: Candidate | None,
    actor: Actor | None,
    reason: str,
    lanes: frozenset[str] | None = None,
) -> list[InboxTask]:
    """Move the agent's open assigned tasks to `to` (a colleague) or back to their group (None).

    Only tasks in `lanes` move when given (a delegate receives only the tasks of the groups they
    share with the absent agent; the others go back to their group). Each move writes an internal
    timeline entry naming the agents. Returns the tasks moved.
    """
    tasks = (
        session.execute(
            select(HumanTask)
            .where(HumanTask.assignee_id == agent_id, HumanTask.state == HumanTaskState.OPEN)
            .order_by(HumanTask.id)
        )
        .scalars()
        .all()
    )
    for task in tasks:
        target = to if (to is not None and (lanes is None or task.lane in lanes)) else None
        session.execute(
            update(HumanTask)
            .where(HumanTask.id == task.id)
            .values(
                assignee_id=target.id if target else None,
                assignee_name=target.name if target else None,  # the queues' denormalised copy
                claimed_at=utcnow() if target else None,
            ),
            execution_options={"synchronize_session": "evaluate"},
        )
        if target is not None:
            label = french(stored.REASSIGNED, title=task.title, name=target.name, reason=reason)
        else:
            label = french(stored.REQUEUED, title=task.title, role=lane_label(task.lane), reason=reason)
        add_event(
            session,
            task.instance,
            "task_reassigned",
            label,
            visibility=Visibility.INTERNAL,
            actor=actor,
            role=lane_label(task.lane),
        )
    session.flush()
    return inbox_tasks(session, tasks)


#: Translate where shown: `_(STALE_MESSAGE)`.
STALE_MESSAGE = N_(
    "La demande a avancé depuis l'ouverture de la page (décision ou prise en charge par un collègue, "
    "annulation par la famille ou échéance) : votre envoi n'a pas été enregistré. Voici son état actuel."
)


def check_current(session: Session, task_id: int, user: Actor, expected_version: int | None) -> None:
    """Refuse (Conflict) a submission made from a page older than the instance's last change.

    The page carries the instance's `lock_version` as it was when the page was rendered; the lock is
    taken first, so the comparison sees the committed state of any concurrent winner. Called in the
    same transaction, just before `api.complete` (which checks the task itself again).
    """
    task = session.get(HumanTask, task_id)
    if task is None or expected_version is None or not may_act(user, task):
        return  # api.complete raises the right error (NotFound, NotAllowed)
    instance = lock_instance(session, task.instance_id)
    if instance.lock_version != expected_version:
        raise Conflict(_(STALE_MESSAGE))
