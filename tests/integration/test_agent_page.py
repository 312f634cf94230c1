"""One agents' page: /taches/<id> leads to the dossier, which carries the queue's filter everywhere.

The claim box and « Dossier précédent / suivant » are on the dossier page; a decision goes back to
the filtered queue; the old POST path to /taches/<id> decides like the dossier, with the stale-form
guard when a version is posted.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.autoassign import STALE_MESSAGE
from engine.models import HistoryEvent, HumanTask, HumanTaskState, ProcessInstance
from tests.fixtures.app import csrf_token
from tests.fixtures.integration import decide, file_address_change, html, post_form, snapshot, text
from web.extensions import db

FILTER = "file=Accueil&q=martin&tri=echeance&ordre=desc"


def version_of(app, instance_id: int) -> int:
    with app.app_context():
        return db.session.get(ProcessInstance, instance_id).lock_version


def test_an_agent_opening_a_task_lands_on_the_dossier_with_the_queue_filter(app, people, client_for):
    filed = file_address_change(app, client_for(people["famille"]))
    agent = client_for(people["accueil"])
    # Filter keys are kept; the page number and anything unknown are not.
    opened = agent.get(f"/taches/{filed.agent_task_id}?{FILTER}&page=3&evil=%3Cx%3E")
    assert opened.status_code == 302
    assert opened.headers["Location"] == (
        f"/agents/dossiers/{filed.instance_id}?tache={filed.agent_task_id}&{FILTER}"
    )
    page = agent.get(opened.headers["Location"])
    assert page.status_code == 200
    doc = html(page)
    # Everything of item 3 on one page: data, documents, full timeline, diagram, decision form.
    assert doc.xpath("//dl[@data-dossier-data]")
    assert "facture-energie.pdf" in text(page)
    assert doc.xpath("//section[@aria-labelledby='historique-titre']//ol[@class='timeline']")
    assert doc.get_element_by_id("diagramme").get("data-current") == "instruction"
    (form,) = doc.xpath("//form[@data-decision]")
    assert form.get("action") == (
        f"/agents/dossiers/{filed.instance_id}/taches/{filed.agent_task_id}?{FILTER}"
    )
    # « ← Tâches à traiter » goes back to the same filtered queue.
    assert doc.xpath("//a[normalize-space()='← Tâches à traiter']/@href") == [f"/agents/?{FILTER}"]
    # Another service: 404 (its existence is not revealed), like a family's task; before any redirect.
    other = client_for(people["etat_civil"])
    assert other.get(f"/taches/{filed.agent_task_id}").status_code == 404
    assert agent.get("/taches/999999").status_code == 404


def test_claim_box_and_previous_next_on_the_dossier(app, people, client_for):
    filed = file_address_change(app, client_for(people["famille"]))
    agent = client_for(people["accueil"])
    url = f"/agents/dossiers/{filed.instance_id}?tache={filed.agent_task_id}&{FILTER}"
    page = agent.get(url)
    box = html(page).xpath("//section[@class='claim-box']")[0]
    assert "Attribuée à personne." in box.text_content()
    assert box.xpath(".//nav[@aria-label='Navigation dans la file']//a/@href") == [
        f"/agents/taches/{filed.agent_task_id}/precedent?{FILTER}",
        f"/agents/taches/{filed.agent_task_id}/suivant?{FILTER}",
    ]
    (retour,) = box.xpath(".//input[@name='retour']/@value")
    assert retour == url
    # « Prendre en charge » comes back to the dossier, filter kept.
    claimed = post_form(
        agent, url, {"retour": retour}, action=f"/agents/taches/{filed.agent_task_id}/prendre"
    )
    assert claimed.status_code == 302
    assert claimed.headers["Location"] == url
    page = agent.get(url)
    assert "Vous avez pris en charge cette tâche." in text(page)
    assert html(page).xpath("//button[normalize-space()='Remettre dans la file']")
    # « Attribuer… » returns to the dossier too.
    (assign,) = html(page).xpath("//section[@class='claim-box']//a[normalize-space()='Attribuer…']/@href")
    form = agent.get(assign)
    assert html(form).xpath("//main//input[@name='retour']/@value") == [url]
    # The only dossier of the queue: « Dossier suivant » says it was the last one.
    end = agent.get(f"/agents/taches/{filed.agent_task_id}/suivant?{FILTER}")
    assert end.headers["Location"] == f"/agents/?{FILTER}"


def test_next_dossier_opens_the_neighbour_s_dossier(app, people, client_for):
    first = file_address_change(app, client_for(people["famille"]))
    second = file_address_change(app, client_for(people["autre_famille"]))
    agent = client_for(people["accueil"])
    moved = agent.get(f"/agents/taches/{first.agent_task_id}/suivant?file=Accueil")
    assert moved.headers["Location"] == (
        f"/agents/dossiers/{second.instance_id}?tache={second.agent_task_id}&file=Accueil"
    )
    page = agent.get(moved.headers["Location"])
    assert second.reference in text(page)
    back = agent.get(f"/agents/taches/{second.agent_task_id}/precedent?file=Accueil")
    assert back.headers["Location"].startswith(f"/agents/dossiers/{first.instance_id}?tache=")


def test_a_decision_goes_back_to_the_filtered_queue(app, people, client_for):
    filed = file_address_change(app, client_for(people["famille"]))
    agent = client_for(people["accueil"])
    url = f"/agents/dossiers/{filed.instance_id}?tache={filed.agent_task_id}&{FILTER}"
    doc = html(agent.get(url))
    (form,) = doc.xpath("//form[@data-decision]")
    version = form.xpath(".//input[@name='version']/@value")[0]
    response = post_form(
        agent,
        url,
        {"decision": "acceptee", "motif": "", "commentaire_interne": "", "version": version},
        action=form.get("action"),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/agents/?{FILTER}"
    queue = text(agent.get(response.headers["Location"]))
    assert f"Demande {filed.reference} : décision « Accepter la demande » enregistrée." in queue
    # The dossier, opened again from the queue's link, shows the task treated and no form.
    after = agent.get(url)
    assert "cette tâche n'est plus à traiter" in text(after)
    assert not html(after).xpath("//form[@data-decision]")
    assert html(after).xpath("//nav[@aria-label='Navigation dans la file']")  # still moves on


def test_an_internal_comment_keeps_the_queue_filter(app, people, client_for):
    filed = file_address_change(app, client_for(people["famille"]))
    agent = client_for(people["accueil"])
    url = f"/agents/dossiers/{filed.instance_id}?tache={filed.agent_task_id}&{FILTER}"
    (action,) = html(agent.get(url)).xpath("//form[contains(@action, '/commentaires')]/@action")
    response = post_form(agent, url, {"commentaire": "Vu au guichet."}, action=action)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{url}#historique-titre"


def test_a_stale_version_posted_to_the_task_url_gets_409_and_nothing_written(app, people, client_for):
    filed = file_address_change(app, client_for(people["famille"]))
    agent = client_for(people["accueil"])
    old = version_of(app, filed.instance_id)
    # A colleague claims then releases the task: the request's version moves on.
    colleague = client_for(people["accueil2"])
    for step in ("prendre", "remettre"):
        done = post_form(colleague, "/agents/", {}, action=f"/agents/taches/{filed.agent_task_id}/{step}")
        assert done.status_code == 302
    assert version_of(app, filed.instance_id) != old
    before = snapshot(app)
    token = csrf_token(agent, "/agents/")
    typed = "Refus tapé avant le rechargement (b7e1)."
    response = agent.post(
        f"/taches/{filed.agent_task_id}",
        data={
            "decision": "refusee",
            "motif": typed,
            "commentaire_interne": "",
            "version": str(old),
            "csrf_token": token,
        },
    )
    assert response.status_code == 409
    body = text(response)
    assert STALE_MESSAGE in body
    assert typed in body  # nothing typed is lost
    assert snapshot(app) == before  # nothing half-applied
    # The page is the dossier in its current state, with a fresh form carrying the new version.
    (version,) = html(response).xpath("//form[@data-decision]//input[@name='version']/@value")
    assert int(version) == version_of(app, filed.instance_id)
    # The current version (or none: older pages, bookmarks) is accepted.
    accepted = agent.post(
        f"/taches/{filed.agent_task_id}",
        data={"decision": "acceptee", "motif": "", "version": version, "csrf_token": token},
    )
    assert accepted.status_code == 302
    assert accepted.headers["Location"] == "/agents/"
    with app.app_context():
        assert db.session.get(HumanTask, filed.agent_task_id).state == HumanTaskState.COMPLETED


def test_bad_input_on_the_task_url_shows_the_dossier_with_french_messages(app, people, client_for):
    filed = file_address_change(app, client_for(people["famille"]))
    agent = client_for(people["accueil"])
    before = snapshot(app)
    response = decide(agent, filed.agent_task_id, "refusee", "", "garde ce texte")
    assert response.status_code == 400
    doc = html(response)
    assert doc.xpath("//dl[@data-dossier-data]")  # the dossier, not another page
    assert doc.get_element_by_id("motif-erreur").text_content().strip()
    assert doc.get_element_by_id("commentaire_interne").text_content().strip() == "garde ce texte"
    assert snapshot(app) == before
    with app.app_context():
        completions = db.session.execute(
            select(HistoryEvent).where(HistoryEvent.event_type == "task_completed")
        ).all()
        assert len(completions) == 1  # the family's own step only


def test_the_former_request_page_leads_to_the_dossier(app, people, client_for):
    """Older reminder and escalation mails linked /agents/demandes/<id>: it leads to the dossier."""
    filed = file_address_change(app, client_for(people["famille"]))
    opened = client_for(people["accueil"]).get(f"/agents/demandes/{filed.instance_id}")
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"/agents/dossiers/{filed.instance_id}"
    assert client_for(people["etat_civil"]).get(f"/agents/demandes/{filed.instance_id}").status_code == 404
