"""Builders of activities, sessions and families for the booking tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from web.activites.models import ActivityOffer, ActivitySession, FamilyQuotient
from web.famille.models import Activity, ActivityKind, Child, FamilyRecord

OPENS = datetime.fromisoformat("2027-01-11T07:30:00+00:00")  # lundi 11 janvier 2027, 8 h 30 à Paris


def make_activity(
    session: Session,
    code: str = "CL-HIVER",
    *,
    places: int = 20,
    sessions: int = 1,
    fair: int = 0,
    **offer: Any,
) -> ActivityOffer:
    activity = Activity(
        external_id=code, name=f"Activité {code}", kind=ActivityKind.CENTRE_DE_LOISIRS, service="Enfance"
    )
    session.add(activity)
    session.flush()
    offer.setdefault("opens_at", OPENS)
    offer.setdefault("closes_at", OPENS + timedelta(days=20))
    made = ActivityOffer(
        activity_id=activity.id, fair_minutes=fair, price_cents=offer.pop("price_cents", 1200), **offer
    )
    session.add(made)
    for n in range(sessions):
        start = date(2027, 2, 15) + timedelta(days=7 * n)
        session.add(
            ActivitySession(
                activity_id=activity.id, label=f"Semaine {n + 1}", starts_on=start,
                ends_on=start + timedelta(days=4), weekdays="0,1,2,3,4", places=places,
                allocated=0, tickets=0,
            )
        )  # fmt: skip
    session.flush()
    session.expire(made)
    return made


@dataclass
class Family:
    """A family account as request_booking sees it (records_of reads `family_records`)."""

    id: int | None
    family_records: list[FamilyRecord]
    is_authenticated: bool = True
    is_staff: bool = False


def make_family(
    session: Session,
    name: str,
    *,
    user_id: int | None = None,
    children: int = 1,
    born: date = date(2018, 5, 1),
    quotient: int | None = None,
    class_name: str = "CE1",
) -> Family:
    record = FamilyRecord(service="Enfance", name=name)
    session.add(record)
    session.flush()
    for n in range(children):
        session.add(
            Child(
                family_record_id=record.id,
                last_name=name,
                first_name=f"Enfant{n + 1}",
                birth_date=born,
                class_name=class_name,
            )
        )
    if quotient is not None:
        session.add(FamilyQuotient(family_record_id=record.id, quotient=quotient, resident=True))
    session.flush()
    return Family(user_id, [record])
