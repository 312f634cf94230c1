"""`guichet demo`: the accounts, the démarches and two requests of the demo family, idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import api
from engine.models import HumanTask, HumanTaskState, InstanceStatus, ProcessInstance
from web.accounts.services import find_by_login
from web.cli import main
from web.extensions import db

pytestmark = pytest.mark.usefixtures("clock")  # the demo's due dates, invoices and sessions around « today »


def test_demo_loads_accounts_and_two_requests_and_a_second_run_changes_nothing(app):
    runner = app.test_cli_runner()
    first = runner.invoke(main, ["demo"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "famille   famille    / demo-famille-2026" in first.output
    second = runner.invoke(main, ["demo"], catch_exceptions=False)
    assert second.exit_code == 0, second.output

    with app.app_context():
        session = db.session()
        family = find_by_login(session, "famille")
        agent = find_by_login(session, "agent")
        assert family is not None
        assert agent is not None
        instances = api.instances_for(session, family.id)
        assert sorted((i.demarche_key, i.status, i.status_label) for i in instances) == [
            ("changement_telephone", InstanceStatus.COMPLETED, "Acceptée"),
            ("changement_telephone", InstanceStatus.RUNNING, "En cours d'instruction"),
            ("inscription_activite", InstanceStatus.COMPLETED, "Enregistrée"),
            ("inscription_activite", InstanceStatus.RUNNING, "En cours de validation par le service"),
            ("stationnement_resident", InstanceStatus.RUNNING, "En cours d'instruction"),
        ]
        assert session.execute(select(func.count()).select_from(ProcessInstance)).scalar_one() == 5
        # The resident parking card request waits for the Stationnement service, its carte grise sent.
        (parking,) = [i for i in instances if i.demarche_key == "stationnement_resident"]
        (parking_task,) = api.open_tasks_in_lane(session, parking, "Stationnement")
        assert parking_task.requester_name == family.display_name
        (card,) = api.documents_of(session, parking.id)
        assert (card.filename, card.mime) == ("carte-grise.pdf", "application/pdf")
        (waiting,) = (
            session.execute(
                select(HumanTask).where(HumanTask.state == HumanTaskState.OPEN, HumanTask.lane == "Accueil")
            )
            .scalars()
            .all()
        )
        assert waiting.lane == "Accueil"
        assert waiting.requester_name == family.display_name
        # The accepted change reached the account.
        assert family.telephone == "+33139000000"
        assert family.mobile == "+33612345678"


def test_demo_family_record_communication_agent_and_news(app):
    from web.actualites.models import Audience, NewsItem
    from web.famille.services import children_of

    runner = app.test_cli_runner()
    assert runner.invoke(main, ["demo"], catch_exceptions=False).exit_code == 0
    assert runner.invoke(main, ["demo"], catch_exceptions=False).exit_code == 0  # idempotent
    with app.app_context():
        session = db.session()
        family = find_by_login(session, "famille")
        children = children_of(session, family)
        assert [c.first_name for c in children] == ["Léa", "Hugo"]
        lea, hugo = ({e.activity.external_id for e in c.enrolments} for c in children)
        assert lea
        assert hugo
        assert not lea & hugo
        places = {e.activity.external_id: e.activity.facility for c in children for e in c.enrolments}
        assert places["CL-MERC"].name == "Centre de loisirs Mozart"  # the demo facilities, loaded first
        assert places["PERI-RABEL"] is None
        communication = find_by_login(session, "communication")
        assert communication is not None
        assert communication.groups == frozenset({"Communication"})
        audiences = [n.audience for n in session.scalars(select(NewsItem))]
        assert audiences.count(Audience.TOUS) == 3
        assert audiences.count(Audience.ACTIVITE) == 3
