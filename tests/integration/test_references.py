"""References DEM-<year>-<number>: sequential per year, unique under concurrent starts (SQLite, PostgreSQL),
and double submissions on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from engine import api, drafts
from engine.models import HumanTask, ProcessInstance
from tests.fixtures.app import csrf_token, login, on_postgresql
from tests.fixtures.integration import create_account
from tests.integration.test_double_submission import PHONES, at_once, twin
from web.extensions import db

STARTS = 12


def references(application) -> list[str]:
    with application.app_context():
        return sorted(db.session.execute(select(ProcessInstance.reference)).scalars())


def start_many_at_once(application, families) -> list[str]:
    """Each family starts « Changement de téléphones » at the same moment, in its own transaction."""

    def start(family):
        with application.app_context():
            session = db.new_session()
            try:
                instance = api.start(session, "changement_telephone", family)
                session.commit()
                return instance.reference
            finally:
                session.close()

    return at_once([lambda f=f: start(f) for f in families])


def test_references_follow_each_other_and_start_again_each_year(app, people):
    family = people["famille"]
    with time_machine.travel(datetime(2026, 12, 31, 22, 0, tzinfo=UTC), tick=False), app.app_context():
        session = db.session()
        made = [api.start(session, key, family).reference for key in ("changement_telephone",) * 3]
        session.commit()
    assert made == ["DEM-2026-000001", "DEM-2026-000002", "DEM-2026-000003"]
    with time_machine.travel(datetime(2027, 1, 1, 0, 5, tzinfo=UTC), tick=False), app.app_context():
        session = db.session()
        assert api.start(session, "changement_courriel", family).reference == "DEM-2027-000001"
        session.rollback()
        again = api.start(session, "changement_courriel", family).reference
        session.commit()
    if on_postgresql():  # the number was taken in its own transaction: the failed start left a gap
        assert again == "DEM-2027-000002"
    else:  # taken in the start's transaction: a rolled-back start gives its number back
        assert again == "DEM-2027-000001"


def test_concurrent_starts_get_distinct_consecutive_references_on_sqlite(app, make_user):
    families = [make_user("famille") for _ in range(4)]
    results = start_many_at_once(app, families)
    assert all(isinstance(r, str) for r in results), results
    year = datetime.now(UTC).year
    assert sorted(results) == [f"DEM-{year}-{n:06d}" for n in range(1, 5)]


# PostgreSQL ----------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_concurrent_starts_get_distinct_consecutive_references_on_postgresql(pg_app):
    families = [
        create_account(pg_app, username=f"pg-ref-{n}", prenom="Camille", nom=f"N{n}") for n in range(STARTS)
    ]
    results = start_many_at_once(pg_app, families)
    assert all(isinstance(r, str) for r in results), results
    year = datetime.now(UTC).year
    assert sorted(results) == [f"DEM-{year}-{n:06d}" for n in range(1, STARTS + 1)]
    assert references(pg_app) == sorted(results)


@pytest.mark.postgres
def test_a_start_in_progress_holds_up_only_its_own_familys_starts_on_postgresql(pg_app):
    """The reference is taken in its own short transaction and a family's starts are serialised by a
    lock of their own: while one family's start is not committed, another family's start goes through
    at once, and the same family's second start (a double click) waits for it. `lock_timeout` turns
    a wait into an error instead of a delay, so nothing here depends on timing."""
    first, second = (
        create_account(pg_app, username=f"pg-apart-{n}", prenom="Camille", nom=f"N{n}") for n in (1, 2)
    )
    with pg_app.app_context():
        in_progress, other, twin_start = db.new_session(), db.new_session(), db.new_session()
        try:
            held, _ = api.start_or_resume(in_progress, "changement_telephone", first)
            other.execute(text("SET LOCAL lock_timeout = '5s'"))
            started, resumed = api.start_or_resume(other, "changement_telephone", second)
            other.commit()
            assert not resumed
            assert started.reference != held.reference
            twin_start.execute(text("SET LOCAL lock_timeout = '50ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                api.start_or_resume(twin_start, "changement_telephone", first)
            twin_start.rollback()
            in_progress.commit()
            _, resumed = api.start_or_resume(twin_start, "changement_telephone", first)
            assert resumed  # once the first start is committed, the double click finds its draft
            twin_start.commit()
        finally:
            for session in (in_progress, other, twin_start):
                session.close()


@pytest.mark.postgres
def test_double_submissions_create_nothing_twice_on_postgresql(pg_app):
    family = create_account(pg_app, username="pg-double", prenom="Camille", nom="Martin")
    famille = pg_app.test_client()
    login(famille, family)
    for round_number in range(5):
        token = csrf_token(famille, "/demarches")
        url = "/demarches/changement_telephone/commencer"
        started = at_once(
            [
                lambda c=c, url=url, token=token: c.post(url, data={"csrf_token": token})
                for c in (famille, twin(pg_app, famille))
            ]
        )
        assert [getattr(r, "status_code", r) for r in started] == [302, 302], round_number
        assert started[0].headers["Location"] == started[1].headers["Location"]
        task_url = started[0].headers["Location"]
        token = csrf_token(famille, task_url)
        sent = at_once(
            [
                lambda c=c, url=task_url, token=token: c.post(url, data={**PHONES, "csrf_token": token})
                for c in (famille, twin(pg_app, famille))
            ]
        )
        assert [getattr(r, "status_code", r) for r in sent] == [302, 302], round_number
        assert sent[0].headers["Location"] == sent[1].headers["Location"]
    with pg_app.app_context():
        session = db.session()
        assert len(session.execute(select(ProcessInstance.id)).scalars().all()) == 5
        lanes = sorted(session.execute(select(HumanTask.lane)).scalars())
        assert lanes == ["Accueil"] * 5 + ["Famille"] * 5
        assert drafts.drafts_for(session, family.id) == []
