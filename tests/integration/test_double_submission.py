"""Second submissions: a double click, the back button then « Envoyer » again, two POSTs at once.

The second one lands on the request's page with « Votre demande a déjà été envoyée. » and nothing is
created twice, on SQLite here and on PostgreSQL in test_references.py.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.models import HistoryEvent, HumanTask, ProcessInstance
from tests.fixtures.app import csrf_token
from tests.fixtures.integration import post_form, start_demarche, text
from web.extensions import db

PHONES = {"telephone": "01 23 45 67 89", "mobile": "06 12 34 56 78"}
ROUNDS = 5


def twin(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second client with the same session cookie: the same browser sending a second request."""
    name = app.config["SESSION_COOKIE_NAME"]
    other = app.test_client()
    other.set_cookie(name, client.get_cookie(name).value)
    return other


def at_once(requests: list[Callable[[], Any]]) -> list[Any]:
    """Run the requests in threads released together by a barrier; returns their results in order."""
    barrier = threading.Barrier(len(requests))
    results: list[Any] = [None] * len(requests)

    def run(index: int) -> None:
        barrier.wait(30)
        try:
            results[index] = requests[index]()
        except Exception as exc:  # reported by the caller's assertions
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def facts(app: Flask) -> dict[str, Any]:
    with app.app_context():
        session = db.session()
        return {
            "instances": session.execute(select(ProcessInstance.id)).scalars().all(),
            "tasks": Counter(session.execute(select(HumanTask.lane)).scalars()),
            "completions": Counter(
                session.execute(
                    select(HistoryEvent.instance_id).where(HistoryEvent.event_type == "task_completed")
                ).scalars()
            ),
        }


def instance_of(app: Flask, task_id: int) -> int:
    with app.app_context():
        return db.session.get(HumanTask, task_id).instance_id


def test_a_stale_form_sent_again_lands_on_the_request(app, people, client_for):
    famille = client_for(people["famille"])
    task_id = start_demarche(famille, "changement_telephone")
    token = csrf_token(famille, f"/taches/{task_id}")
    first = famille.post(f"/taches/{task_id}", data={**PHONES, "csrf_token": token})
    instance_id = instance_of(app, task_id)
    assert first.headers["Location"] == f"/mes-demandes/{instance_id}"
    # The back button shows the same form; « Envoyer ma demande » again, with its old token.
    second = famille.post(f"/taches/{task_id}", data={**PHONES, "csrf_token": token})
    assert second.status_code == 302
    assert second.headers["Location"] == f"/mes-demandes/{instance_id}"
    page = text(famille.get(second.headers["Location"]))
    assert "Votre demande a déjà été envoyée." in page
    assert facts(app) == {
        "instances": [instance_id],
        "tasks": Counter({"Famille": 1, "Accueil": 1}),
        "completions": Counter({instance_id: 1}),
    }


def test_a_draft_button_on_a_sent_form_also_lands_on_the_request(app, people, client_for):
    famille = client_for(people["famille"])
    task_id = start_demarche(famille, "changement_telephone")
    token = csrf_token(famille, f"/taches/{task_id}")
    famille.post(f"/taches/{task_id}", data={**PHONES, "csrf_token": token})
    again = famille.post(f"/taches/{task_id}", data={**PHONES, "csrf_token": token, "action": "brouillon"})
    assert again.headers["Location"] == f"/mes-demandes/{instance_of(app, task_id)}"
    with app.app_context():
        assert db.session.get(HumanTask, task_id).draft is None


def test_two_posts_of_the_same_form_at_once_complete_it_once(app, people, client_for):
    famille = client_for(people["famille"])
    for round_number in range(ROUNDS):
        task_id = start_demarche(famille, "changement_telephone")
        token = csrf_token(famille, f"/taches/{task_id}")
        clients = [famille, twin(app, famille)]
        responses = at_once(
            [
                lambda c=c, url=f"/taches/{task_id}", token=token: c.post(
                    url, data={**PHONES, "csrf_token": token}
                )
                for c in clients
            ]
        )
        instance_id = instance_of(app, task_id)
        assert [getattr(r, "status_code", r) for r in responses] == [302, 302], round_number
        assert {r.headers["Location"] for r in responses} == {f"/mes-demandes/{instance_id}"}
    found = facts(app)
    assert len(found["instances"]) == ROUNDS
    assert found["tasks"] == Counter({"Famille": ROUNDS, "Accueil": ROUNDS})
    assert set(found["completions"].values()) == {1}


def test_a_double_click_on_commencer_starts_one_demarche(app, people, client_for):
    famille = client_for(people["famille"])
    token = csrf_token(famille, "/demarches")
    url = "/demarches/changement_telephone/commencer"
    clients = [famille, twin(app, famille)]
    responses = at_once([lambda c=c: c.post(url, data={"csrf_token": token}) for c in clients])
    assert [getattr(r, "status_code", r) for r in responses] == [302, 302]
    assert responses[0].headers["Location"] == responses[1].headers["Location"]
    assert len(facts(app)["instances"]) == 1


def test_an_agent_still_gets_the_conflict_page(app, people, client_for):
    """Agents work from their queue: a decision sent twice says so (409), as before."""
    famille = client_for(people["famille"])
    task_id = start_demarche(famille, "changement_telephone")
    post_form(famille, f"/taches/{task_id}", PHONES)
    agent = client_for(people["accueil"])
    with app.app_context():
        (agent_task,) = db.session.execute(select(HumanTask.id).where(HumanTask.lane == "Accueil")).scalars()
    token = csrf_token(agent, f"/taches/{agent_task}")
    data = {"decision": "acceptee", "motif": "", "commentaire_interne": "", "csrf_token": token}
    assert agent.post(f"/taches/{agent_task}", data=data).status_code == 302
    again = agent.post(f"/taches/{agent_task}", data=data)
    assert again.status_code == 409
    assert "Cette tâche a déjà été traitée" in text(again)


def test_a_stale_form_of_a_cancelled_request_says_it_is_no_longer_to_do(app, people, client_for):
    famille = client_for(people["famille"])
    task_id = start_demarche(famille, "changement_telephone")
    token = csrf_token(famille, f"/taches/{task_id}")
    instance_id = instance_of(app, task_id)
    response = post_form(
        famille, f"/mes-demandes/{instance_id}", {"motif": ""}, action=f"/mes-demandes/{instance_id}/annuler"
    )
    assert response.status_code == 302
    again = famille.post(f"/taches/{task_id}", data={**PHONES, "csrf_token": token})
    assert again.headers["Location"] == f"/mes-demandes/{instance_id}"
    page = text(famille.get(again.headers["Location"]))
    assert "Cette étape n'est plus à faire : la demande a été annulée ou close entre-temps." in page
    assert "Votre demande a déjà été envoyée." not in page
    assert facts(app)["completions"] == Counter()
