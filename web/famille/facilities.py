"""The town's activities on the page of the facility where they are held (web/structures/activities.py).

Imported by web/famille/views.py, so the provider is registered whenever the families' pages are.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.structures.activities import ActivityLink, activity_provider

from .models import Activity


@activity_provider
def activities_at(session: Session, facility_id: int) -> list[ActivityLink]:
    """The activities linked to the facility (CSV column « structure »), by name."""
    activities = session.scalars(
        select(Activity).where(Activity.facility_id == facility_id).order_by(Activity.name, Activity.id)
    )
    return [ActivityLink(a.name, None, f"{a.kind_label} ({a.service})") for a in activities]
