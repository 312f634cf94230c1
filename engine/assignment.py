"""Who handles an agent task: claim (« Prendre en charge »), release, assign to a colleague, bulk claim.

Each operation runs like `api.complete`: inside the caller's transaction, under the instance's lock
(`lock_instance`), with the task's row read again once the lock is held, and the instance's
`lock_version` bumped by a guarded UPDATE. Of two agents claiming the same task at the same time,
the second waits for the first's commit, then sees the task taken and gets `Conflict` with the new
state (« déjà prise en charge par … »); nothing of the loser is written. Every change writes one
internal timeline entry with the agent's name.

Rule for completing: a task claimed by a colleague cannot be completed (`api.complete` raises
Conflict); an agent takes it over explicitly with `assign(task, to_agent=themself)`, which the
timeline records (« Attribuée à … par … »).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from . import stored_messages as stored
from .db import utcnow
from .errors import Conflict, EngineError, NotAllowed, NotFound
from .events import Actor, event_values
from .execution import WRITE_INSTANCE, lock_instance
from .i18n import _
from .models import REQUESTER_LANE, HistoryEvent, HumanTask, HumanTaskState, Visibility
from .stored_messages import french

_TASKS = HumanTask.__table__
_READ_CLAIM = select(_TASKS.c.state, _TASKS.c.assignee_id, _TASKS.c.assignee_name).where(
    _TASKS.c.id == bindparam("b_id")
)
#: Values given at execution form the SET clause; matches only if nobody changed the claim meanwhile.
_WRITE_CLAIM = update(_TASKS).where(
    _TASKS.c.id == bindparam("b_id"),
    _TASKS.c.state == HumanTaskState.OPEN,
)
_INSERT_EVENT = HistoryEvent.__table__.insert()

UNASSIGNED = object()


def agent_task(session: Session, task_id: int, agent: Actor) -> HumanTask:
    """An agent task of one of the agent's groups; NotFound otherwise (unknown, a family's task, another
    service's task: its existence is not revealed, as on the dossier)."""
    task = session.get(HumanTask, task_id)
    if task is None or task.lane == REQUESTER_LANE or task.lane not in agent.groups:
        raise NotFound(_("Cette tâche n'existe pas."))
    return task


def _locked_state(session: Session, task: HumanTask) -> tuple[str, int | None, str | None]:
    """Take the instance's lock, then read the task's state and claim as committed by the winner."""
    lock_instance(session, task.instance_id)
    state, assignee_id, assignee_name = session.execute(_READ_CLAIM, {"b_id": task.id}).one()
    for key, value in (("state", state), ("assignee_id", assignee_id), ("assignee_name", assignee_name)):
        set_committed_value(task, key, value)
    if state != HumanTaskState.OPEN:
        raise Conflict(_("Cette tâche a déjà été traitée : elle n'est plus à prendre en charge."))
    return state, assignee_id, assignee_name


def _write(
    session: Session,
    task: HumanTask,
    agent: Actor,
    assignee: Actor | None,
    label: str,
    event_type: str,
) -> None:
    """Set the claim, write the timeline entry and bump the instance's version, or raise Conflict."""
    instance = task.instance
    now = utcnow()
    values: dict[str, Any] = {
        "assignee_id": assignee.id if assignee else None,
        "assignee_name": assignee.display_name[:150] if assignee else None,
        "claimed_at": now if assignee else None,
    }
    written = session.execute(
        _WRITE_CLAIM.where(
            _TASKS.c.assignee_id.is_(None)
            if task.assignee_id is None
            else _TASKS.c.assignee_id == task.assignee_id
        ),
        {**values, "b_id": task.id},
    )
    if written.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_("Cette tâche a changé entre-temps ; rechargez la page."))
    for key, value in values.items():
        set_committed_value(task, key, value)
    version = instance.lock_version
    guarded = session.execute(
        WRITE_INSTANCE,
        {"updated_at": now, "lock_version": version + 1, "b_id": instance.id, "b_version": version},
    )
    if guarded.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_("Cette demande a été modifiée entre-temps ; rechargez la page."))
    set_committed_value(instance, "lock_version", version + 1)
    set_committed_value(instance, "updated_at", now)
    session.execute(
        _INSERT_EVENT,
        [
            event_values(
                instance.id,
                event_type,
                label,
                visibility=Visibility.INTERNAL,
                actor=agent,
                role=f"Service {task.lane}",
            )
        ],
    )


def claim(session: Session, task_id: int, agent: Actor) -> HumanTask:
    """« Prendre en charge »: the task becomes the agent's.

    Raises NotFound (also another service's task), Conflict (already treated, or already taken,
    by a colleague or by the agent: no second timeline entry).
    """
    task = agent_task(session, task_id, agent)
    _state, assignee_id, assignee_name = _locked_state(session, task)
    if assignee_id == agent.id:
        raise Conflict(_("Vous avez déjà pris en charge cette tâche."))
    if assignee_id is not None:
        name = assignee_name or _("un collègue")
        raise Conflict(_("Cette tâche est déjà prise en charge par %(name)s.", name=name))
    _write(session, task, agent, agent, french(stored.CLAIMED, name=agent.display_name), "task_claimed")
    return task


def release(session: Session, task_id: int, agent: Actor) -> HumanTask:
    """« Remettre dans la file »: the agent gives back a task they had taken.

    Raises NotFound (also another service's task), NotAllowed (taken by a colleague: only they, or an
    assignment, may move it), Conflict (already treated, or nobody's task anymore).
    """
    task = agent_task(session, task_id, agent)
    _state, assignee_id, assignee_name = _locked_state(session, task)
    if assignee_id is None:
        raise Conflict(_("Cette tâche n'est attribuée à personne : elle est déjà dans la file."))
    if assignee_id != agent.id:
        raise NotAllowed(
            _(
                "Cette tâche est prise en charge par %(name)s : seule cette personne peut la remettre "
                "dans la file.",
                name=assignee_name or _("un collègue"),
            )
        )
    _write(session, task, agent, None, french(stored.RELEASED, name=agent.display_name), "task_released")
    return task


def assign(
    session: Session,
    task_id: int,
    agent: Actor,
    to_agent: Actor,
    *,
    expected_assignee_id: int | object | None = UNASSIGNED,
) -> HumanTask:
    """« Attribuer à »: give the task to a colleague of its service (or take it over oneself).

    `expected_assignee_id` is who the agent saw holding the task: if it changed meanwhile the
    assignment is refused with the new state (Conflict). Raises NotFound (also another service's task),
    NotAllowed (`to_agent` not a member of the task's service), Conflict.
    """
    task = agent_task(session, task_id, agent)
    if task.lane not in to_agent.groups:
        raise NotAllowed(
            _(
                "%(name)s ne fait pas partie du service %(lane)s : une tâche ne peut être attribuée "
                "qu'à un agent de son service.",
                name=to_agent.display_name,
                lane=task.lane,
            )
        )
    _state, assignee_id, assignee_name = _locked_state(session, task)
    if expected_assignee_id is not UNASSIGNED and expected_assignee_id != assignee_id:
        held_by = _("prise en charge par %(name)s", name=assignee_name)
        now_held = held_by if assignee_name else _("attribuée à personne")
        raise Conflict(_("Cette tâche a changé entre-temps : elle est maintenant %(state)s.", state=now_held))
    if assignee_id == to_agent.id:
        raise Conflict(_("Cette tâche est déjà attribuée à %(name)s.", name=to_agent.display_name))
    _write(
        session,
        task,
        agent,
        to_agent,
        french(stored.ASSIGNED, to=to_agent.display_name, by=agent.display_name),
        "task_assigned",
    )
    return task


@dataclass
class BulkResult:
    """What « Prendre en charge la sélection » did: the tasks taken, and why the others were not."""

    claimed: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def bulk_claim(session: Session, task_ids: Iterable[int], agent: Actor) -> BulkResult:
    """Claim each task; one taken meanwhile (or unknown, or of another service) is reported, not fatal.

    A refused claim has written nothing but its lock's no-op (its checks all come before its
    writes), so no savepoint is needed, which pysqlite would mishandle. Instances are locked in
    ascending id order, so two overlapping bulk claims never deadlock on PostgreSQL: the second
    waits for the first, then finds the shared tasks taken.
    """
    result = BulkResult()
    tasks: list[tuple[int, int]] = []
    for task_id in sorted(set(task_ids)):
        task = session.get(HumanTask, task_id)
        tasks.append((task.instance_id if task is not None else 0, task_id))
    for _lane, task_id in sorted(tasks):
        try:
            claim(session, task_id, agent)
            result.claimed.append(task_id)
        except EngineError as exc:
            result.refused.append((task_id, exc.message))
    return result


def refuse_if_claimed_by_other(assignee_id: int | None, assignee_name: str | None, user: Actor) -> None:
    """`api.complete`'s rule, checked under the lock: a colleague's task is not completed behind them."""
    if assignee_id is not None and assignee_id != user.id:
        raise Conflict(
            _(
                "Cette tâche est prise en charge par %(name)s : vous ne pouvez pas la traiter. Pour la "
                "reprendre, attribuez-la-vous depuis la page de la tâche.",
                name=assignee_name or _("un collègue"),
            )
        )
