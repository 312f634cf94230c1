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

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from .db import utcnow
from .errors import Conflict
from .execution import Actor, add_event, lane_label, lock_instance
from .lint import REQUESTER_LANE
from .models import HumanTask, HumanTaskState, Visibility


class Policy(enum.StrEnum):
    NONE = "aucune"
    ROUND_ROBIN = "tour_de_role"
    LEAST_LOADED = "moins_charge"


POLICY_LABELS = {
    Policy.NONE: "Aucune (les agents prennent les tâches dans la file)",
    Policy.ROUND_ROBIN: "Tour de rôle",
    Policy.LEAST_LOADED: "Au moins chargé",
}


@dataclass(frozen=True)
class Candidate:
    """An agent who may receive a task: an enabled, present member of the group."""

    id: int
    name: str


#: (session, group name) -> (the group's policy, its available agents).
Directory = Callable[[Session, str], tuple[Policy, Sequence[Candidate]]]
_directory: Directory | None = None


def set_directory(directory: Directory | None) -> None:
    """Register who the agents of a group are (the web area that owns accounts calls this)."""
    global _directory
    _directory = directory


_OPEN = HumanTask.__table__
_LAST_ASSIGNED = (
    select(_OPEN.c.assignee_id)
    .where(_OPEN.c.lane == bindparam("b_lane"), _OPEN.c.assignee_id.is_not(None))
    .order_by(_OPEN.c.created_at.desc(), _OPEN.c.id.desc())
    .limit(1)
)


def _loads(session: Session, ids: Sequence[int]) -> dict[int, int]:
    rows = session.execute(
        select(_OPEN.c.assignee_id, func.count())
        .where(_OPEN.c.state == HumanTaskState.OPEN, _OPEN.c.assignee_id.in_(list(ids)))
        .group_by(_OPEN.c.assignee_id)
    ).all()
    return {assignee: count for assignee, count in rows}


def pick(
    policy: Policy, candidates: Sequence[Candidate], *, last: int | None, loads: dict[int, int]
) -> Candidate | None:
    """The policy's choice among the candidates (pure: the tests drive it directly too)."""
    if policy == Policy.NONE or not candidates:
        return None
    ordered = sorted(candidates, key=lambda c: c.id)
    if policy == Policy.ROUND_ROBIN:
        after = [c for c in ordered if last is not None and c.id > last]
        return after[0] if after else ordered[0]
    return min(ordered, key=lambda c: (loads.get(c.id, 0), c.id))


@dataclass
class Assigner:
    """Chooses the assignees of the tasks one step creates (several may appear at once)."""

    session: Session
    #: Lane -> the agent who got its last task in this step; agent -> tasks given in this step.
    given: dict[str, int] = field(default_factory=dict)
    extra_load: dict[int, int] = field(default_factory=dict)

    def choose(self, lane: str) -> Candidate | None:
        if _directory is None or not lane or lane == REQUESTER_LANE:
            return None
        policy, candidates = _directory(self.session, lane)
        if policy == Policy.NONE or not candidates:
            return None
        given, extra = self.given, self.extra_load
        last = given.get(lane)
        if last is None:
            last = self.session.execute(_LAST_ASSIGNED, {"b_lane": lane}).scalar_one_or_none()
        loads = _loads(self.session, [c.id for c in candidates]) if policy == Policy.LEAST_LOADED else {}
        for agent_id, count in extra.items():
            loads[agent_id] = loads.get(agent_id, 0) + count
        chosen = pick(Policy(policy), candidates, last=last, loads=loads)
        if chosen is not None:
            given[lane] = chosen.id
            extra[chosen.id] = extra.get(chosen.id, 0) + 1
        return chosen


def move_tasks_of(
    session: Session,
    agent_id: int,
    *,
    to: Candidate | None,
    actor: Actor | None,
    reason: str,
    lanes: frozenset[str] | None = None,
) -> list[HumanTask]:
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
        where = f"confiée à {target.name}" if target else f"remise dans la file du {lane_label(task.lane)}"
        add_event(
            session,
            task.instance,
            "task_reassigned",
            f"« {task.title} » {where} : {reason}",
            visibility=Visibility.INTERNAL,
            actor=actor,
            role=lane_label(task.lane),
        )
    session.flush()
    return list(tasks)


STALE_MESSAGE = (
    "La demande a avancé depuis l'ouverture de la page (décision ou prise en charge par un collègue, "
    "annulation par la famille ou échéance) : votre envoi n'a pas été enregistré. Voici son état actuel."
)


def check_current(session: Session, task_id: int, user: Actor, expected_version: int | None) -> None:
    """Refuse (Conflict) a submission made from a page older than the instance's last change.

    The page carries the instance's `lock_version` as it was when the page was rendered; the lock is
    taken first, so the comparison sees the committed state of any concurrent winner. Called in the
    same transaction, just before `api.complete` (which checks the task itself again).
    """
    from .api import may_act

    task = session.get(HumanTask, task_id)
    if task is None or expected_version is None or not may_act(user, task):
        return  # api.complete raises the right error (NotFound, NotAllowed)
    instance = lock_instance(session, task.instance_id)
    if instance.lock_version != expected_version:
        raise Conflict(STALE_MESSAGE)
