"""The database out of reach (issue 19, faults): the real PostgreSQL server stopped under the app.

Pages answer a French « Service momentanément indisponible » with a 503 (and Retry-After), a form
sent meanwhile writes nothing (its task stays open, no document, no history), and once the server is
started again the same app serves pages and takes the same form without being restarted.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from engine.documents import Document
from engine.models import HistoryEvent, HumanTask, HumanTaskState
from tests.fixtures.app import csrf_token, login, prepare_database
from tests.fixtures.integration import ADDRESS, create_account, proof, start_demarche, text
from tests.fixtures.postgres import PostgresServer
from web.extensions import db

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("clock")]

UNAVAILABLE = "Service momentanément indisponible"


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this module's own (the shared one must not be stopped)."""
    server = PostgresServer()
    yield server
    server.remove()


@pytest.fixture
def pg_down_app(app_factory, own_postgres: PostgresServer) -> Iterator[Flask]:
    application = app_factory(SQLALCHEMY_DATABASE_URI=own_postgres.url)
    prepare_database(application)
    yield application
    with application.app_context():
        db.engine.dispose()  # type: ignore[union-attr]


def written(app: Flask, task_id: int) -> tuple[str, int, int]:
    with app.app_context():
        task = db.session.get(HumanTask, task_id)
        assert task is not None
        documents = db.session.scalar(select(func.count()).select_from(Document))
        events = db.session.scalar(select(func.count()).where(HistoryEvent.instance_id == task.instance_id))
        return task.state, int(documents or 0), int(events or 0)


def test_pages_answer_503_in_french_nothing_is_half_written_and_the_app_recovers(pg_down_app, own_postgres):
    app = pg_down_app
    family = create_account(app, username="famille-panne", prenom="Camille", nom="Panne")
    client = app.test_client()
    login(client, family)
    task_id = start_demarche(client)
    page = f"/taches/{task_id}"
    token = csrf_token(client, page)
    before = written(app, task_id)
    assert before[0] == HumanTaskState.OPEN

    own_postgres.stop()
    try:
        listing = client.get("/demarches")
        assert listing.status_code == 503
        assert listing.headers["Retry-After"] == "30"
        assert UNAVAILABLE in text(listing)
        sent = client.post(page, data={**ADDRESS, **proof(), "csrf_token": token})
        assert sent.status_code == 503
        assert UNAVAILABLE in text(sent)
        assert client.get("/sante").status_code == 503  # the load balancer's view agrees
    finally:
        own_postgres.start()

    assert client.get("/demarches").status_code == 200  # no restart: the pool reconnects by itself
    assert written(app, task_id) == before  # the form sent during the outage left nothing
    sent = client.post(page, data={**ADDRESS, **proof(), "csrf_token": token})
    assert sent.status_code == 302, text(sent)[:300]
    state, documents, events = written(app, task_id)
    assert (state, documents) == (HumanTaskState.COMPLETED, before[1] + 1)
    assert events > before[2]


def test_a_connection_idle_while_the_server_restarted_is_replaced_before_use(
    pg_down_app, own_postgres, monkeypatch
):
    """A restart during a quiet moment: the pooled connection that sat idle is pinged and replaced,
    so the first request after it is served (no 503)."""
    app = pg_down_app
    client = app.test_client()
    assert client.get("/demarches").status_code == 200  # a pooled connection, now dead after the restart
    own_postgres.stop()
    own_postgres.start()
    monkeypatch.setattr("web.extensions.PING_AFTER_IDLE", 0.0)  # « idle for long enough », without waiting
    assert client.get("/demarches").status_code == 200


def test_a_connection_in_steady_use_is_not_pinged_at_each_request(pg_down_app, monkeypatch):
    """The ping is a round trip: only a connection that sat idle gets one, not one per request."""
    app = pg_down_app
    with app.app_context():
        dialect = db.engine.dialect  # type: ignore[union-attr]
    pings: list[object] = []
    real_ping = dialect.do_ping

    def counted_ping(connection):
        pings.append(connection)
        return real_ping(connection)

    monkeypatch.setattr(dialect, "do_ping", counted_ping)
    client = app.test_client()
    for _ in range(5):
        assert client.get("/demarches").status_code == 200
    assert pings == []
    monkeypatch.setattr("web.extensions.PING_AFTER_IDLE", 0.0)
    assert client.get("/demarches").status_code == 200
    assert len(pings) == 1
