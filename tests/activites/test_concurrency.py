"""Holding the rush: 200 concurrent requests for 20 places on SQLite and on the real PostgreSQL give
exactly 20 places, 180 on the waiting list with unique ranks; a child is never booked twice."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.activites.helpers import OPENS, make_activity, make_family
from web.activites.booking import BookingError, request_booking
from web.activites.models import ActivityBooking, ActivityOffer, ActivitySession, BookingStatus
from web.extensions import db

NOW = OPENS.replace(hour=9)


def _setup(app, families: int):
    with app.app_context():
        s = db.session()
        offer = make_activity(s, places=20)
        fams = [make_family(s, f"FAMILLE{n:03d}") for n in range(families)]
        s.commit()
        return offer.activity_id, [(f.family_records[0].id) for f in fams]


def _book(app, activity_id: int, record_id: int, barrier: threading.Barrier | None) -> str:
    from tests.activites.helpers import Family
    from web.famille.models import FamilyRecord

    with app.app_context():
        s = db.new_session()
        try:
            offer = s.get(ActivityOffer, activity_id)
            record = s.get(FamilyRecord, record_id)
            family = Family(None, [record])
            child_id, session_id = record.children[0].id, offer.sessions[0].id
            if barrier is not None:
                barrier.wait(timeout=60)
            result = request_booking(s, family, offer, child_id, [session_id], True)
            s.commit()
            return result.outcomes[0].status.value
        except (BookingError, IntegrityError) as error:
            s.rollback()
            return f"refus: {error}"
        finally:
            s.close()


def _rush(app, requests: int = 200):
    activity_id, records = _setup(app, requests)
    # The pool holds 15 connections (5 + 10 overflow): 10 threads start together at a barrier, the
    # others as soon as a worker is free; 32 threads keep the database busy all along.
    barrier = threading.Barrier(10)
    first = set(records[:10])
    with time_machine.travel(NOW, tick=False), ThreadPoolExecutor(max_workers=32) as pool:
        outcomes = list(
            pool.map(lambda r: _book(app, activity_id, r, barrier if r in first else None), records)
        )
    with app.app_context():
        s = db.session()
        rows = s.scalars(select(ActivityBooking).where(ActivityBooking.activity_id == activity_id)).all()
        placed = [b for b in rows if b.status == BookingStatus.PLACED]
        waiting = [b for b in rows if b.status == BookingStatus.WAITING]
        assert outcomes.count("inscrit") == 20, outcomes
        assert outcomes.count("attente") == requests - 20, outcomes
        assert len(placed) == 20
        assert len(waiting) == requests - 20
        assert sorted(b.place_no for b in placed) == list(range(1, 21))
        assert len({b.ticket for b in waiting}) == requests - 20
        session_row = s.scalars(
            select(ActivitySession).where(ActivitySession.activity_id == activity_id)
        ).one()
        assert session_row.allocated == 20
        # The same request twice: a French message, no second place.
        with time_machine.travel(NOW, tick=False):
            again = _book(app, activity_id, records[0], None)
        assert again.startswith("refus: Enfant1 est déjà inscrit(e)")
        count = s.scalar(select(func.count()).where(ActivityBooking.activity_id == activity_id))
        assert count == requests


def test_two_hundred_requests_for_twenty_places_on_sqlite(app):
    _rush(app)


@pytest.mark.postgres
def test_two_hundred_requests_for_twenty_places_on_postgresql(pg_app):
    _rush(pg_app)


def test_the_database_refuses_a_place_given_twice_and_a_child_twice(app):
    with app.app_context():
        s = db.session()
        offer = make_activity(s, places=2)
        family = make_family(s, "DOUBLE", children=2)
        kids = family.family_records[0].children
        sid = offer.sessions[0].id
        common = {
            "session_id": sid,
            "activity_id": offer.activity_id,
            "family_record_id": family.family_records[0].id,
            "request_ref": "X",
        }
        s.add(
            ActivityBooking(
                child_id=kids[0].id, child_slot=kids[0].id, place_no=1, status=BookingStatus.PLACED, **common
            )
        )
        s.flush()
        for row in (
            ActivityBooking(
                child_id=kids[1].id, child_slot=kids[1].id, place_no=1, status=BookingStatus.PLACED, **common
            ),
            ActivityBooking(
                child_id=kids[0].id, child_slot=kids[0].id, status=BookingStatus.WAITING, ticket=1, **common
            ),
        ):
            nested = s.begin_nested()
            s.add(row)
            with pytest.raises(IntegrityError):
                s.flush()
            nested.rollback()
        with pytest.raises(IntegrityError), s.begin_nested():
            s.execute(ActivitySession.__table__.update().where(ActivitySession.id == sid).values(allocated=3))
        s.rollback()
