"""Timeline entries (history_event rows) and the role names a family reads in them."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from . import stored_messages as stored
from .db import utcnow
from .i18n import N_
from .models import REQUESTER_LANE, HistoryEvent, ProcessInstance, Visibility
from .snapshots import InstanceView
from .stored_messages import french


class Actor(Protocol):
    """Who acts: a family member (the requester), a guest visitor, or an agent with groups."""

    @property
    def id(self) -> int | None: ...

    @property
    def display_name(self) -> str: ...

    @property
    def groups(self) -> frozenset[str]: ...


def lane_label(lane: str | None) -> str:
    """The role name a family sees for a lane ("Service Accueil")."""
    if not lane or lane == REQUESTER_LANE:
        return french(N_("Famille"))
    return french(stored.SERVICE_ROLE, lane=lane)


def event_values(
    instance_id: int,
    event_type: str,
    label: str,
    *,
    visibility: Visibility = Visibility.PUBLIC,
    comment: str | None = None,
    actor: Actor | None = None,
    role: str | None = None,
) -> dict[str, Any]:
    """The columns of one history_event row."""
    return {
        "instance_id": instance_id,
        "created_at": utcnow(),
        "event_type": event_type,
        "visibility": visibility,
        "label": label[:300],
        "comment": comment,
        "actor_id": actor.id if actor else None,
        "actor_name": actor.display_name if actor else None,
        "actor_role": role,
    }


def add_event(
    session: Session,
    instance: ProcessInstance | InstanceView,
    event_type: str,
    label: str,
    *,
    visibility: Visibility = Visibility.PUBLIC,
    comment: str | None = None,
    actor: Actor | None = None,
    role: str | None = None,
) -> HistoryEvent:
    """Append one timeline entry (event types are `subject_past_tense_verb`).

    Inside a step, `Runner.add_event` buffers the rows instead and writes them in one INSERT.
    """
    event = HistoryEvent(
        **event_values(
            instance.id, event_type, label, visibility=visibility, comment=comment, actor=actor, role=role
        )
    )
    session.add(event)
    return event
