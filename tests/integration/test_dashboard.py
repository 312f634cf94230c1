"""« Mes demandes » filters, the request page's live state (JSON) and « Annuler ma demande », through HTTP."""

from __future__ import annotations

import json

from engine.models import HumanTask, HumanTaskState, InstanceStatus, ProcessInstance
from tests.fixtures.app import csrf_token
from tests.fixtures.integration import decide, file_address_change, html, post_form, start_demarche, text
from web.accounts.sessions import SEEN_AT
from web.extensions import db

PUBLIC_MESSAGE = "Votre adresse est enregistrée."
INTERNAL_COMMENT = "Appel au bailleur : RAS (note interne)"
REASON = "Finalement je ne déménage pas."


def references(response):
    return [a.text_content().strip() for a in html(response).xpath("//table//tbody/tr/td[1]/a")]


def current_filter(response):
    return [a.text_content().strip() for a in html(response).xpath("//nav//a[@aria-current='page']")]


def test_my_requests_filters(app, people, client_for):
    famille = client_for(people["famille"])
    agent = client_for(people["accueil"])
    done = file_address_change(app, famille)
    assert decide(agent, done.agent_task_id, "acceptee", PUBLIC_MESSAGE).status_code == 302
    running = file_address_change(app, famille)
    other = file_address_change(app, client_for(people["autre_famille"]))

    everything = famille.get("/mes-demandes")
    assert everything.status_code == 200
    assert references(everything) == [running.reference, done.reference]  # newest first
    assert current_filter(everything) == ["Toutes"]
    headers = [th.text_content().strip() for th in html(everything).xpath("//thead//th")]
    assert headers[:5] == ["Référence", "Démarche", "Déposée le", "Statut", "Échéance"]
    links = {
        a.text_content().strip(): a.get("href")
        for a in html(everything).xpath("//nav[@aria-label='Filtrer mes demandes']//a")
    }
    assert links == {
        "En cours": "/mes-demandes?etat=en-cours",
        "Terminées": "/mes-demandes?etat=terminees",
        "Toutes": "/mes-demandes",
    }

    in_progress = famille.get("/mes-demandes?etat=en-cours")
    assert references(in_progress) == [running.reference]
    assert current_filter(in_progress) == ["En cours"]
    assert "En cours d'instruction" in text(in_progress)

    finished = famille.get("/mes-demandes?etat=terminees")
    assert references(finished) == [done.reference]
    assert current_filter(finished) == ["Terminées"]
    assert "Acceptée" in text(finished)
    assert other.reference not in text(finished) + text(everything)

    # A cancelled request is finished too; an unknown filter shows everything.
    assert (
        post_form(
            famille,
            f"/mes-demandes/{running.instance_id}",
            {},
            action=f"/mes-demandes/{running.instance_id}/annuler",
        ).status_code
        == 302
    )
    assert references(famille.get("/mes-demandes?etat=en-cours")) == []
    assert "Vous n'avez aucune demande en cours." in text(famille.get("/mes-demandes?etat=en-cours"))
    assert references(famille.get("/mes-demandes?etat=terminees")) == [running.reference, done.reference]
    assert references(famille.get("/mes-demandes?etat=nimporte")) == [running.reference, done.reference]


def test_the_state_endpoint_gives_the_public_timeline_to_the_family_only(app, people, client_for):
    famille = client_for(people["famille"])
    agent = client_for(people["accueil"])
    filed = file_address_change(app, famille)
    url = f"/mes-demandes/{filed.instance_id}/etat"

    before = famille.get(url)
    assert before.status_code == 200
    assert before.mimetype == "application/json"
    assert before.headers["Cache-Control"] == "no-store"
    assert before.json["status"] == "running"
    assert before.json["status_label"] == "En cours d'instruction"

    assert decide(agent, filed.agent_task_id, "acceptee", PUBLIC_MESSAGE, INTERNAL_COMMENT).status_code == 302
    after = famille.get(url)
    state = after.json
    assert state["status"] == "completed"
    assert state["status_label"] == "Acceptée"
    assert state["running"] is False
    assert state["updated_at"] > before.json["updated_at"]
    assert [(e["label"], e["role"]) for e in state["events"]][-2:] == [
        ("Message du service", "Service Accueil"),
        ("Acceptée", "Service Accueil"),
    ]
    assert PUBLIC_MESSAGE in [e["comment"] for e in state["events"]]
    assert set(state["events"][0]) == {"date", "datetime", "type", "label", "role", "comment"}
    # Never an internal event, an internal comment or an agent's name.
    body = after.get_data(as_text=True)
    assert INTERNAL_COMMENT not in body
    assert "traitée" not in body  # the internal « … » traitée events
    assert people["accueil"].display_name not in json.dumps(state, ensure_ascii=False)
    # The same events as the page's timeline, in the same order.
    page = html(famille.get(f"/mes-demandes/{filed.instance_id}"))
    assert [li.xpath(".//time")[0].text_content() for li in page.xpath("//ol[@class='timeline']/li")] == [
        e["date"] for e in state["events"]
    ]

    # Another family gets the French 404 page; an agent the 403 of the family pages; a visitor the login.
    other = client_for(people["autre_famille"]).get(url)
    assert other.status_code == 404
    assert other.mimetype == "text/html"
    assert PUBLIC_MESSAGE not in other.get_data(as_text=True)
    assert agent.get(url).status_code == 403
    assert app.test_client().get(url).status_code == 302
    assert famille.get("/mes-demandes/999999/etat").status_code == 404


def test_polling_does_not_keep_an_idle_session_alive(app, people, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    with famille.session_transaction() as flask_session:
        flask_session[SEEN_AT] -= 600
        seen = flask_session[SEEN_AT]
    assert famille.get(f"/mes-demandes/{filed.instance_id}/etat").status_code == 200
    with famille.session_transaction() as flask_session:
        assert flask_session[SEEN_AT] == seen
    famille.get(f"/mes-demandes/{filed.instance_id}")  # a real page view is activity
    with famille.session_transaction() as flask_session:
        assert flask_session[SEEN_AT] > seen


def test_the_request_page_loads_live_js_without_inline_code(app, people, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    doc = html(famille.get(f"/mes-demandes/{filed.instance_id}"))
    assert [s.get("src") for s in doc.xpath("//script")][-1] == "/static/js/live.js"
    assert doc.xpath("//script[@src='/static/js/live.js'][@defer]")
    (live,) = doc.xpath("//*[@data-live-url]")
    assert live.get("data-live-url") == f"/mes-demandes/{filed.instance_id}/etat"
    assert live.get("data-live-interval") == "5"
    assert doc.xpath("//*[@aria-live='polite'][@data-live-announce]")
    assert not doc.xpath("//script[not(@src)] | //style | //*[@style]")
    script = app.test_client().get("/static/js/live.js")
    assert script.status_code == 200
    source = script.get_data(as_text=True)
    script.close()
    assert "announcePrefix" in source  # the words come from the page, in its language
    assert live.get("data-announce-prefix") == "Statut mis à jour : "
    # Only the request page polls.
    listing = html(famille.get("/mes-demandes"))
    assert not listing.xpath("//script[@src='/static/js/live.js']")


def test_the_family_cancels_through_the_form(app, people, client_for):
    famille = client_for(people["famille"])
    agent = client_for(people["accueil"])
    filed = file_address_change(app, famille)
    page_url = f"/mes-demandes/{filed.instance_id}"
    page = famille.get(page_url)
    (form,) = html(page).xpath("//form[.//button[normalize-space()='Annuler ma demande']]")
    assert form.get("method") == "post"
    assert form.get("action") == f"{page_url}/annuler"
    assert form.xpath(".//input[@name='csrf_token']")
    assert form.xpath(".//textarea[@name='motif']")
    assert "Instruire la demande" in text(agent.get("/agents/"))

    # Without the CSRF token nothing happens.
    assert famille.post(f"{page_url}/annuler", data={"motif": REASON}).status_code == 400
    # Another family cannot cancel it (404), an agent neither (403).
    intruder = client_for(people["autre_famille"])
    token = csrf_token(intruder, "/mes-demandes")
    assert intruder.post(f"{page_url}/annuler", data={"motif": "x", "csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(ProcessInstance, filed.instance_id).status == InstanceStatus.RUNNING

    response = post_form(famille, page_url, {"motif": REASON}, action=f"{page_url}/annuler")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(page_url)
    after = famille.get(page_url)
    assert f"Votre demande {filed.reference} est annulée." in text(after)
    doc = html(after)
    assert doc.xpath("//span[@data-live-status]")[0].text_content().strip() == "Annulée"
    (last,) = doc.xpath("//ol[@class='timeline']/li[last()]")
    assert "Demande annulée par la famille" in last.text_content()
    assert "— Famille" in last.text_content()
    assert last.xpath(".//blockquote")[0].text_content().strip() == REASON
    assert not doc.xpath("//button[normalize-space()='Annuler ma demande']")  # hidden once not running

    # The agent's task left the queue, and is closed as cancelled.
    assert "Instruire la demande" not in text(agent.get("/agents/"))
    dossier = agent.get(f"/taches/{filed.agent_task_id}", follow_redirects=True)
    assert dossier.status_code == 200
    assert "cette tâche n'est plus à traiter" in text(dossier)
    assert not html(dossier).xpath("//form[@data-decision]")
    with app.app_context():
        assert db.session.get(HumanTask, filed.agent_task_id).state == HumanTaskState.CANCELLED

    # A second cancel (a stale page, a double click) is a French 409 page, and changes nothing.
    token = csrf_token(famille, "/mes-demandes")
    again = famille.post(f"{page_url}/annuler", data={"motif": REASON, "csrf_token": token})
    assert again.status_code == 409
    assert again.mimetype == "text/html"
    assert html(again).get("lang") == "fr"
    assert "Cette demande n'est plus en cours : elle ne peut plus être annulée." in text(again)
    assert text(famille.get(page_url)).count("Demande annulée par la famille") == 1


def test_a_too_long_reason_is_refused_with_a_french_message(app, people, client_for):
    famille = client_for(people["famille"])
    task_id = start_demarche(famille)
    with app.app_context():
        instance_id = db.session.get(HumanTask, task_id).instance_id
    page_url = f"/mes-demandes/{instance_id}"
    refused = post_form(famille, page_url, {"motif": "x" * 1001}, action=f"{page_url}/annuler")
    assert refused.status_code == 400
    assert "Le motif ne doit pas dépasser 1000 caractères." in text(refused)
    assert html(refused).xpath("//title")[0].text_content().startswith("Erreur – ")
    with app.app_context():
        assert db.session.get(ProcessInstance, instance_id).status == InstanceStatus.RUNNING
