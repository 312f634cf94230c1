"""« Votre demande sera traitée vers le … » on the family's request page and in its live JSON state."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from engine import api
from engine.models import ProcessInstance
from tests.fixtures.integration import text
from web.accounts.models import User
from web.core.presentation import date_fr
from web.delais.services import LATE_MESSAGE
from web.extensions import db

PHONES = {"telephone": "+33123456789", "mobile": None}


def file_request(app, family) -> tuple[int, int]:
    with app.app_context():
        session = db.session()
        user = session.get(User, family.id)
        instance = api.start(session, "changement_telephone", user)
        (task,) = api.tasks_for(session, user)
        api.complete(session, task.id, user, dict(PHONES))
        session.commit()
        (agent_task,), _ = api.queue_for(session, frozenset({"Accueil"}))
        return instance.id, agent_task.id


def test_the_request_page_and_its_state_show_the_expected_date(app, make_user, client_for):
    family = make_user("famille")
    agent = make_user("agent", groups=["Accueil"])
    instance_id, task_id = file_request(app, family)
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        expected = date_fr(instance.created_at + timedelta(days=3), False)  # no history: 3 days
    client = client_for(family)
    page = text(client.get(f"/mes-demandes/{instance_id}"))
    assert f"Votre demande sera traitée vers le {expected}." in page
    state = client.get(f"/mes-demandes/{instance_id}/etat").get_json()
    assert state["estimate"]["text"] == f"Votre demande sera traitée vers le {expected}."
    assert state["estimate"]["late"] is False

    with app.app_context():
        session = db.session()
        api.complete(session, task_id, session.get(User, agent.id), {"decision": "acceptee"})
        session.commit()
    assert client.get(f"/mes-demandes/{instance_id}/etat").get_json()["estimate"] is None
    assert "sera traitée vers le" not in text(client.get(f"/mes-demandes/{instance_id}"))


def test_past_the_maximum_duration_the_family_reads_that_it_is_late(app, make_user, client_for):
    family = make_user("famille")
    instance_id, _ = file_request(app, family)
    with app.app_context():
        deadline = db.session.get(ProcessInstance, instance_id).deadline_at
    with time_machine.travel(deadline + timedelta(hours=1)):
        client = client_for(family)  # logged in then: a session ends after 30 idle minutes
        state = client.get(f"/mes-demandes/{instance_id}/etat").get_json()
    assert state["estimate"] == {
        "date": date_fr(deadline, False),
        "datetime": deadline.isoformat(),
        "text": LATE_MESSAGE,
        "late": True,
    }
