"""Door: a service's requests whatever their state — « En attente de la famille » and the search."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine import queue_choices, service_requests
from engine.models import REQUESTER_LANE
from engine.queue_choices import TabCounts
from engine.service_requests import RequestRow, services_of

__all__ = [
    "RequestRow",
    "TabCounts",
    "search_requests",
    "services_of",
    "tab_counts",
    "waiting_for_family",
]


def waiting_for_family(
    session: Session, lanes: frozenset[str], limit: int = 200
) -> tuple[list[RequestRow], int]:
    """Filed requests of these services waiting for the family's answer, and their count."""
    return service_requests.waiting_for_family(session, lanes, REQUESTER_LANE, limit)


def tab_counts(session: Session, lanes: frozenset[str], agent_id: int | None) -> TabCounts:
    """The numbers of the queue's tabs (open tasks per lane, « Mes tâches ») and of « En attente de
    la famille », in one statement."""
    return queue_choices.tab_counts(session, lanes, agent_id, REQUESTER_LANE)


def search_requests(session: Session, lanes: frozenset[str], text: str, limit: int = 50) -> list[RequestRow]:
    """The service's requests whatever their state, by reference or family name."""
    return service_requests.search_requests(session, lanes, text, limit)
