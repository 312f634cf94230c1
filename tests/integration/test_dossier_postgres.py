"""Automatic assignment, absences and the stale-form guard on a real PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from engine import api
from engine.autoassign import check_current
from engine.errors import Conflict
from engine.models import HistoryEvent, HumanTask, ProcessInstance
from tests.fixtures.integration import ADDRESS
from tests.integration.test_postgres import pg_people  # noqa: F401  (fixture)
from web.accounts.models import AgentGroup, User
from web.admin import services
from web.extensions import db

pytestmark = pytest.mark.postgres


def file(session, famille) -> HumanTask:
    instance = api.start(session, "changement_adresse", famille)
    (own,) = [t for t in api.tasks_for(session, famille) if t.instance_id == instance.id]
    api.complete(session, own.id, famille, ADDRESS)
    session.commit()
    return session.execute(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.lane == "Accueil")
    ).scalar_one()


def test_round_robin_absence_and_stale_version_on_postgresql(pg_app, pg_people):  # noqa: F811  (pg_people)
    famille, first, second = pg_people["famille"], pg_people["accueil"], pg_people["accueil2"]
    with pg_app.app_context():
        session = db.session()
        session.execute(
            update(AgentGroup).where(AgentGroup.name == "Accueil").values(assignment_policy="tour_de_role")
        )
        session.commit()
        try:
            tasks = [file(session, famille) for _ in range(3)]
            assert [t.assignee_id for t in tasks] == [first.id, second.id, first.id]
            # The first agent goes away, delegating to the second: both of their tasks move.
            agent = session.get(User, first.id)
            _, moved = services.mark_absent(
                session, agent, actor=agent, mode="collegue", delegate=session.get(User, second.id)
            )
            session.commit()
            assert sorted(t.id for t in moved) == sorted([tasks[0].id, tasks[2].id])
            assert {session.get(HumanTask, t.id).assignee_id for t in tasks} == {second.id}
            assert (
                session.execute(
                    select(HistoryEvent.label).where(HistoryEvent.event_type == "task_reassigned")
                )
                .scalars()
                .all()
            )
            # A page rendered before the last change of the instance is refused, nothing written.
            instance = session.get(ProcessInstance, tasks[1].instance_id)
            stale = instance.lock_version - 1
            with pytest.raises(Conflict):
                check_current(session, tasks[1].id, session.get(User, second.id), stale)
            session.rollback()
            check_current(session, tasks[1].id, session.get(User, second.id), instance.lock_version)
            session.rollback()
        finally:
            session.execute(
                update(AgentGroup).where(AgentGroup.name == "Accueil").values(assignment_policy="aucune")
            )
            session.commit()
