"""Who may see a request and act on a task: the checks every entry of the door goes through."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import NotFound
from .events import Actor
from .execution import Guest, is_requester
from .i18n import _
from .models import REQUESTER_LANE, HumanTask, ProcessInstance


def may_act(user: Actor, task: HumanTask) -> bool:
    """The requester acts in the Famille lane; agents act in the lanes of their groups."""
    if task.lane == REQUESTER_LANE:
        # Once a guest's démarche belongs to an account (signup), only that account may act on it.
        if isinstance(user, Guest) and task.instance.requester_id is not None:
            return False
        return is_requester(user, task.instance)
    return task.lane in user.groups


def task_for(session: Session, task_id: int, user: Actor) -> HumanTask:
    """Load a task the user may act on. Nobody learns that a task they may not act on exists: another
    family's task and another service's task are both NotFound (404), like the dossier behind them."""
    task = session.get(HumanTask, task_id)
    if task is not None and may_act(user, task):
        return task
    raise NotFound(_("Cette tâche n'existe pas."))


def get_instance(session: Session, instance_id: int, user: Actor) -> ProcessInstance:
    """An instance the user may see: the family's own, or one with a task in the agent's groups."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(_("Cette demande n'existe pas."))
    if is_requester(user, instance):
        return instance
    if user.groups:
        in_my_lanes = session.execute(
            select(HumanTask.id)
            .where(HumanTask.instance_id == instance_id, HumanTask.lane.in_(sorted(user.groups)))
            .limit(1)
        ).first()
        if in_my_lanes:
            return instance
    raise NotFound(_("Cette demande n'existe pas."))
