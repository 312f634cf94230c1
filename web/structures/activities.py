"""The hook through which another area lists the activities held at a facility (its detail page).

The facilities area owns no activity: the area that does (the families' activities, issue 12 point 1)
registers a provider at import time::

    from web.structures.activities import ActivityLink, activity_provider

    @activity_provider
    def activities_at(session, facility_id):
        return [ActivityLink("Centre de loisirs du mercredi", url_for(...), "Mercredi 8 h – 18 h")]

The detail page shows « Activités proposées ici » with every link the providers return, and nothing
when they return none (or when no provider is registered).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ActivityLink:
    """One activity as the facility page lists it."""

    title: str
    url: str | None = None
    detail: str = ""


Provider = Callable[[Session, int], list[ActivityLink]]
PROVIDERS: list[Provider] = []


def activity_provider(provider: Provider) -> Provider:
    """Register a function (session, facility id) → activities held there; returns it unchanged."""
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    return provider


def activities_at(session: Session, facility_id: int) -> list[ActivityLink]:
    """Every activity the registered providers list for the facility, in registration order."""
    return [link for provider in PROVIDERS for link in provider(session, facility_id)]
