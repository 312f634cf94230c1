"""Facilities: search, hours as families read them, open or closed now (Europe/Paris), agents' changes.

Services only flush: the request's one commit is web/core/transaction.py's.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow
from forms.structures import WEEKDAYS, minutes_fr
from web.core.i18n import SOURCE, _, current_language

from .models import Closure, Facility, FacilityKind, OpeningRange

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
#: Closures shown on the public page: those not yet over.
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def fold(text: str) -> str:
    """Lower case without accents: « Médiathèque Jules-Verne » → « mediatheque jules-verne »."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def day_fr(day: date) -> str:
    """« 24 décembre 2026 » (« 1er » for the first day of a month); « 24 December 2026 » in English."""
    if current_language() != SOURCE:
        return format_date(day, "d MMMM y", locale=Locale.parse(current_language()))
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


# Reading -------------------------------------------------------------------------------------------


def search(
    session: Session, query: str = "", kind: str = "", area: str = "", *, archived: bool = False
) -> Sequence[Facility]:
    """Facilities whose name contains `query` (accents and case ignored), of a type and an area."""
    statement = select(Facility).order_by(Facility.search_name)
    if not archived:
        statement = statement.where(Facility.archived_at.is_(None))
    folded = fold(query)
    if folded:
        escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(Facility.search_name.like(f"%{escaped}%", escape="\\"))
    if kind in {k.value for k in FacilityKind}:
        statement = statement.where(Facility.kind == FacilityKind(kind))
    if area:
        statement = statement.where(Facility.area == area)
    return session.execute(statement).scalars().all()


def areas(session: Session) -> list[str]:
    """The quartiers and secteurs of the facilities families can see, for the filter."""
    rows = session.execute(
        select(Facility.area).where(Facility.archived_at.is_(None), Facility.area != "").distinct()
    ).scalars()
    return sorted(rows, key=fold)


def get_public(session: Session, facility_id: int) -> Facility | None:
    """A facility families may see (None when unknown or archived)."""
    facility = session.get(Facility, facility_id)
    return facility if facility is not None and facility.archived_at is None else None


@dataclass(frozen=True)
class DayHours:
    weekday: int
    name: str
    text: str  # « 8 h 30 – 12 h, 13 h 30 – 17 h » or « Fermé »
    is_today: bool


def weekly_hours(facility: Facility, today: date | None = None) -> list[DayHours]:
    """The seven days as families read them: « Lundi : 8 h 30 – 12 h, 13 h 30 – 17 h »."""
    by_day: dict[int, list[str]] = {}
    for opening in facility.openings:
        by_day.setdefault(opening.weekday, []).append(
            f"{minutes_fr(opening.start_minute)} – {minutes_fr(opening.end_minute)}"
        )
    weekday_today = today.weekday() if today else -1
    return [
        DayHours(day, str(WEEKDAYS[day]), ", ".join(by_day.get(day, [])) or _("Fermé"), day == weekday_today)
        for day in range(7)
    ]


def ranges_of_day(facility: Facility, weekday: int) -> list[tuple[int, int]]:
    return [(o.start_minute, o.end_minute) for o in facility.openings if o.weekday == weekday]


def upcoming_closures(facility: Facility, today: date) -> list[Closure]:
    """Closures not over yet, first first."""
    return [c for c in facility.closures if c.end_date >= today]


def closure_text(closure: Closure) -> str:
    """« Fermé exceptionnellement du 21 décembre 2026 au 3 janvier 2027 » (or « le … » for one day)."""
    if closure.start_date == closure.end_date:
        return _("Fermé exceptionnellement le %(day)s", day=day_fr(closure.start_date))
    return _(
        "Fermé exceptionnellement du %(start)s au %(end)s",
        start=day_fr(closure.start_date),
        end=day_fr(closure.end_date),
    )


@dataclass(frozen=True)
class OpenStatus:
    is_open: bool
    text: str


def paris_now(now: datetime | None = None) -> datetime:
    return (now or utcnow()).astimezone(PARIS)


def status_now(facility: Facility, now: datetime | None = None) -> OpenStatus:
    """Open or closed at this moment in Europe/Paris, with what comes next today, in French."""
    local = paris_now(now)
    today = local.date()
    for closure in facility.closures:
        if closure.start_date <= today <= closure.end_date:
            return OpenStatus(
                False, _("Fermé exceptionnellement aujourd'hui (%(reason)s)", reason=closure.reason)
            )
    minute = local.hour * 60 + local.minute
    ranges = ranges_of_day(facility, today.weekday())
    if not ranges:
        return OpenStatus(False, _("Fermé aujourd'hui"))
    for start, end in ranges:
        if start <= minute < end:
            return OpenStatus(True, _("Ouvert en ce moment, jusqu'à %(time)s", time=minutes_fr(end)))
    later = [start for start, _ in ranges if start > minute]
    if later:
        return OpenStatus(
            False, _("Fermé en ce moment, ouvre aujourd'hui à %(time)s", time=minutes_fr(later[0]))
        )
    return OpenStatus(False, _("Fermé pour aujourd'hui"))


def map_url(facility: Facility) -> str:
    """A search on OpenStreetMap's site: a link only, the page loads nothing from it."""
    query = f"{facility.address}, {facility.postal_code} {facility.commune}"
    return "https://www.openstreetmap.org/search?" + urlencode({"query": query})


# Writing (agents of the facilities' group) ---------------------------------------------------------


@dataclass(frozen=True)
class FacilityData:
    name: str
    kind: str
    address: str
    postal_code: str
    commune: str
    area: str
    phone: str | None
    email: str | None
    website: str | None
    description: str
    services: str
    openings: list[tuple[int, int, int]]  # (weekday, start minute, end minute)


def save_facility(session: Session, data: FacilityData, facility: Facility | None = None) -> Facility:
    """Create a facility, or replace the fields and the weekly hours of `facility`; flush."""
    if facility is None:
        facility = Facility()
        session.add(facility)
    facility.name = data.name
    facility.search_name = fold(data.name)
    facility.kind = FacilityKind(data.kind)
    facility.address = data.address
    facility.postal_code = data.postal_code
    facility.commune = data.commune
    facility.area = data.area
    facility.phone = data.phone or None
    facility.email = data.email or None
    facility.website = data.website or None
    facility.description = data.description
    facility.services = data.services
    facility.openings = [
        OpeningRange(weekday=weekday, start_minute=start, end_minute=end)
        for weekday, start, end in data.openings
    ]
    facility.updated_at = utcnow()
    session.flush()
    return facility


def set_archived(session: Session, facility: Facility, archived: bool) -> None:
    """Archive (hide from families) or restore a facility; flush."""
    facility.archived_at = utcnow() if archived else None
    session.flush()


def add_closure(session: Session, facility: Facility, start: date, end: date, reason: str) -> Closure:
    closure = Closure(start_date=start, end_date=end, reason=reason)
    facility.closures.append(closure)
    session.flush()
    return closure


def remove_closure(session: Session, facility: Facility, closure_id: int) -> bool:
    """Remove one closure of `facility`; False when it is not one of its closures."""
    for closure in facility.closures:
        if closure.id == closure_id:
            facility.closures.remove(closure)
            session.flush()
            return True
    return False
