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
