"""Two processes run the timer job over 1,000 due timers: each timer fires exactly once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import api
from engine.db import utcnow
from engine.execution import Guest
from engine.models import InstanceStatus, ProcessInstance
from tests.fixtures.app import base_config
from web import migrate
from web.app import create_app, lint_context
from web.extensions import db

from .helpers import run_side_by_side

TIMERS = 1000
DIAGRAM = Path(__file__).parent / "data" / "minuteur.bpmn"  # start, a 1-second timer, a script, end


def start_instances(app, count: int) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        session = db.new_session()
        api.deploy(session, DIAGRAM.read_bytes(), "tests", lint_context())
        session.commit()
        for _ in range(count):
            api.start(session, "minuteur", Guest.new())
        session.commit()
        last = session.execute(
            select(ProcessInstance.next_timer_at).order_by(ProcessInstance.id.desc())
        ).scalar()
        session.close()
    while utcnow() <= last:
        time.sleep(0.1)  # every timer due before the workers start


def check_each_fired_once(app, done: list[int]) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        session = db.new_session()
        statuses = session.execute(
            select(ProcessInstance.status)
            .join(ProcessInstance.definition)
            .where(ProcessInstance.definition.has(key="minuteur"))
        ).scalars()
        assert set(statuses) == {InstanceStatus.COMPLETED}
        session.close()
    # Each worker counts the instances it advanced past the due check made under the instance's lock:
    # a timer fired by both would be counted twice.
    assert sum(done) == TIMERS


def config(url: str) -> dict[str, object]:
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret-key", "SCHEDULER_ENABLED": False}


@pytest.mark.slow
def test_two_processes_fire_each_due_timer_once_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'timers.sqlite3'}"
    app = create_app(base_config(tmp_path, url))
    with app.app_context():
        migrate.upgrade(db.engine)
    start_instances(app, TIMERS)
    done = run_side_by_side(tmp_path, config(url), "timers")
    check_each_fired_once(app, done)


@pytest.mark.slow
@pytest.mark.postgres
def test_two_processes_fire_each_due_timer_once_on_postgresql(tmp_path, pg_app, postgres_url):
    start_instances(pg_app, TIMERS)
    done = run_side_by_side(tmp_path, config(postgres_url), "timers")
    check_each_fired_once(pg_app, done)
    assert all(count > 0 for count in done), done  # SKIP LOCKED: both took their share
