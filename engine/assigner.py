"""Who receives a new agent task: the group's policy and its available agents (Flask-free).

`Runner.sync_tasks` asks an `Assigner` for every agent task a step opens; the web area that owns
accounts registers the *directory* of groups with `set_directory` (see engine/autoassign.py).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from .i18n import N_
from .models import REQUESTER_LANE, HumanTask, HumanTaskState


class Policy(enum.StrEnum):
    NONE = "aucune"
    ROUND_ROBIN = "tour_de_role"
    LEAST_LOADED = "moins_charge"


#: Translate where shown: `_(POLICY_LABELS[policy])`.
POLICY_LABELS = {
    Policy.NONE: N_("Aucune (les agents prennent les tâches dans la file)"),
    Policy.ROUND_ROBIN: N_("Tour de rôle"),
    Policy.LEAST_LOADED: N_("Au moins chargé"),
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
