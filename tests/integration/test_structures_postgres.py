"""Facilities on a real PostgreSQL: the CHECK constraints of the migration and the accent-insensitive,
wildcard-safe search (escaped LIKE)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from tests.integration.test_structures import facility, names
from web.extensions import db
from web.structures.models import Closure, OpeningRange

pytestmark = pytest.mark.postgres


def test_search_and_filters_on_postgresql(pg_app):
    facility(pg_app, "Médiathèque Jules-Verne", "bibliotheque", "Europe")
    facility(pg_app, "École 100% nature", "ecole", "Centre")
    facility(pg_app, "Gymnase Richet", "equipement_sportif", "Europe")
    client = pg_app.test_client()
    assert names(client.get("/structures?q=MEDIATHEQUE")) == ["Médiathèque Jules-Verne"]
    assert names(client.get("/structures?q=100%25")) == ["École 100% nature"]
    assert names(client.get("/structures?q=_")) == []
    assert names(client.get("/structures?quartier=Europe&type=equipement_sportif")) == ["Gymnase Richet"]


@pytest.mark.parametrize(
    "row",
    [
        lambda fid: OpeningRange(facility_id=fid, weekday=0, start_minute=720, end_minute=480),
        lambda fid: OpeningRange(facility_id=fid, weekday=7, start_minute=480, end_minute=720),
        lambda fid: OpeningRange(facility_id=fid, weekday=0, start_minute=480, end_minute=1500),
        lambda fid: Closure(
            facility_id=fid, start_date=date(2027, 1, 2), end_date=date(2027, 1, 1), reason="x"
        ),
    ],
)
def test_the_database_refuses_impossible_hours_and_closures(pg_app, row):
    facility_id = facility(pg_app)
    with pg_app.app_context():
        session = db.session()
        session.add(row(facility_id))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
