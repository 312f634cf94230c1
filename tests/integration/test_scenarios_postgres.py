"""The scenario runner on the real PostgreSQL (issue 17, point 4): every shipped case passes there and
leaves nothing behind in any table, before and after the commit that follows the run."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.db import Base
from web.extensions import db
from web.studio.scenario_services import WORKFLOWS, run_all

pytestmark = pytest.mark.postgres

SHIPPED = sorted(p.name.removesuffix(".scenarios.json") for p in WORKFLOWS.glob("*.scenarios.json"))


def _every_table(session) -> dict[str, int]:
    return {
        table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in Base.metadata.sorted_tables
    }


def test_the_shipped_cases_pass_on_postgresql_and_leave_nothing_behind(pg_app):
    assert len(SHIPPED) >= 7
    with pg_app.app_context():
        session = db.session()
        before = _every_table(session)
        assert before["process_definition"] > 0  # the shipped démarches are deployed
        played = 0
        for key in SHIPPED:
            xml = (WORKFLOWS / f"{key}.bpmn").read_text(encoding="utf-8")
            results = run_all(session, key, xml)
            assert results, key
            for result in results:
                assert result.ok, (key, result.name, result.problems)
            played += len(results)
        assert _every_table(session) == before
        session.commit()  # what the studio's request does after the run: still nothing new
        assert _every_table(session) == before
        assert played >= len(SHIPPED)


@pytest.mark.usefixtures("clock")
def test_waiting_figures_of_timers_and_automatic_steps_on_postgresql(pg_app):
    from datetime import timedelta

    import time_machine

    from engine import api
    from tests.fixtures.integration import create_account
    from web.accounts.models import User
    from web.scheduler import run_timers

    family = create_account(pg_app, username="pg-attente", nom="Roux")
    with pg_app.app_context():
        session = db.session()
        requester = session.get(User, family.id)
        instance = api.start(session, "changement_telephone", requester)
        (task,) = api.tasks_for(session, requester)
        api.complete(session, task.id, requester, {"telephone": None, "mobile": "+33600000009"})
        session.commit()
        deadline, armed = instance.deadline_at, instance.created_at
    fired = deadline - timedelta(days=3) + timedelta(minutes=1)
    with time_machine.travel(fired):
        assert run_timers(pg_app) == 1  # the reminder fires; the deadline timer still waits
    with pg_app.app_context():
        figures = {f.element_id: f for f in api.element_figures(db.session(), "changement_telephone")}
    reminder = next(f for f in figures.values() if f.kind == "timer" and f.passed == 1)
    assert reminder.waiting == 0
    assert reminder.median is not None
    assert abs(reminder.median - (fired - armed)) < timedelta(minutes=5)  # armed at the submission
    assert [f.waiting for f in figures.values() if f.kind == "timer" and f.passed == 0] == [1]
    assert any(f.kind == "service" and f.passed == 1 for f in figures.values())  # the agents reminded
