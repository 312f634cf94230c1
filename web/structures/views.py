"""Public pages: « Structures de la ville » (search, filters) and a facility's page."""

from __future__ import annotations

from flask import abort, render_template, request

from web.extensions import db

from . import bp, services
from .activities import activities_at
from .models import KIND_LABELS, FacilityKind


@bp.get("/structures")
def index() -> str:
    """Every facility families can see, searchable by name and filterable by type and area."""
    session = db.session()
    query = request.args.get("q", "").strip()[:100]
    kind = request.args.get("type", "")
    kind = kind if kind in {k.value for k in FacilityKind} else ""
    all_areas = services.areas(session)
    area = request.args.get("quartier", "")
    area = area if area in all_areas else ""
    facilities = services.search(session, query, kind, area)
    now = services.paris_now()
    return render_template(
        "structures/index.html",
        facilities=facilities,
        statuses={f.id: services.status_now(f, now) for f in facilities},
        query=query,
        kind=kind,
        area=area,
        kinds=KIND_LABELS,
        areas=all_areas,
        filtered=bool(query or kind or area),
    )


@bp.get("/structures/<int:facility_id>")
def show(facility_id: int) -> str:
    """A facility's page: hours of the week, closures to come, open now, contact, services, activities."""
    session = db.session()
    facility = services.get_public(session, facility_id)
    if facility is None:
        abort(404)
    now = services.paris_now()
    closures = services.upcoming_closures(facility, now.date())
    return render_template(
        "structures/show.html",
        facility=facility,
        hours=services.weekly_hours(facility, now.date()),
        status=services.status_now(facility, now),
        closures=[(c, services.closure_text(c)) for c in closures],
        map_url=services.map_url(facility),
        activities=activities_at(session, facility.id),
    )
