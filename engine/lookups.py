"""Reads the web areas need beyond a page of the door, each one query, each returning views.

They act for the town, not for a user (delivery hooks, digests, service operations, the demo):
the caller has already decided who may see what.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .events import Actor
from .models import REQUESTER_LANE, HumanTask, HumanTaskState, InstanceStatus, ProcessInstance
from .services import ServiceContext
from .snapshots import InboxTask, InstanceView, inbox_tasks, instance_view
from .viewed import row_of


def request_of(session: Session, instance_id: int) -> InstanceView | None:
    """The request of this id, if it still exists (no access check: the caller acts for the town)."""
    instance = session.get(ProcessInstance, instance_id)
    return instance_view(session, instance) if instance is not None else None


def family_task_open(session: Session, instance_id: int) -> bool:
    """True when the family has a step of this request to fill in (an ask-for-information loop)."""
    found = session.execute(
        select(HumanTask.id).where(
            HumanTask.instance_id == instance_id,
            HumanTask.state == HumanTaskState.OPEN,
            HumanTask.lane == REQUESTER_LANE,
        )
    ).first()
    return found is not None


def agent_inbox(session: Session, lanes: Collection[str], agent_id: int) -> list[InboxTask]:
    """Open tasks of these groups or claimed by the agent, oldest first (the daily digest)."""
    rows = session.execute(
        select(HumanTask)
        .where(
            HumanTask.state == HumanTaskState.OPEN,
            HumanTask.lane.in_(sorted(lanes)) | (HumanTask.assignee_id == agent_id),
        )
        .order_by(HumanTask.created_at, HumanTask.id)
    ).scalars()
    return inbox_tasks(session, rows, keep=False)  # the digest job reads every agent's: not pinned


def open_tasks_in_lane(session: Session, instance: InstanceView, lane: str) -> list[InboxTask]:
    """The request's open tasks of one lane, oldest first."""
    rows = session.execute(
        select(HumanTask)
        .where(
            HumanTask.instance_id == instance.id,
            HumanTask.lane == lane,
            HumanTask.state == HumanTaskState.OPEN,
        )
        .order_by(HumanTask.created_at, HumanTask.id)
    ).scalars()
    return inbox_tasks(session, rows)


def latest_running_request(session: Session, requester_id: int, candidates: Select) -> InstanceView | None:
    """Among `candidates` — a select of (request id, rank) —, the requester's running request of
    highest rank (one query: the candidates are joined as a subquery)."""
    ranked = candidates.subquery()
    request_id, rank = list(ranked.c)[:2]
    instance = session.execute(
        select(ProcessInstance)
        .join(ranked, request_id == ProcessInstance.id)
        .where(ProcessInstance.requester_id == requester_id, ProcessInstance.status == InstanceStatus.RUNNING)
        .order_by(rank.desc())
        .limit(1)
    ).scalar_one_or_none()
    return instance_view(session, instance) if instance is not None else None


def service_context(session: Session, instance: InstanceView, actor: Actor | None = None) -> ServiceContext:
    """What a service operation receives, to run one outside a diagram (e.g. « renvoyer le lien »)."""
    return ServiceContext(session, row_of(session, instance), actor)
