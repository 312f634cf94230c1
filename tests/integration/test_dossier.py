"""The agent's dossier page: family, data, full timeline, open task form, internal comments, stale forms."""

from __future__ import annotations

import json

from sqlalchemy import select

from engine.models import HistoryEvent, HumanTask, HumanTaskState, ProcessInstance
from tests.fixtures.app import csrf_token
from tests.fixtures.integration import ADDRESS, decide, file_address_change, html, post_form, snapshot, text
from web.extensions import db

COMMENT = "Appel de la famille : justificatif reçu par courrier (note interne 7f3c)."


def dossier_url(instance_id: int) -> str:
    return f"/agents/dossiers/{instance_id}"


def test_the_dossier_shows_family_data_timeline_task_and_diagram_container(app, people, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    agent = client_for(people["accueil"])
    page = agent.get(dossier_url(filed.instance_id))
    assert page.status_code == 200
    doc = html(page)
    body = text(page)
    assert filed.reference in body
    family = doc.xpath("//section[@aria-labelledby='famille-titre']")[0].text_content()
    assert people["famille"].display_name in family
    assert people["famille"].email in family
    data = doc.xpath("//dl[@data-dossier-data]")[0]
    labels = [dt.text_content() for dt in data.xpath("dt")]
    values = [dd.text_content() for dd in data.xpath("dd")]
    assert labels == [
        "Numéro et libellé de la voie",
        "Complément d'adresse",
        "Code postal",
        "Commune",
        "Date d'effet",
    ]
    assert values[:4] == list(ADDRESS.values())
    assert values[4]  # the date d'effet, in French
    documents = doc.xpath("//section[contains(@class, 'documents')]")[0].text_content()
    assert "facture-energie.pdf" in documents
    for internal_key in ("demandeur_id", "reference", "adresse_ligne1"):
        assert internal_key not in data.text_content()
    # The open task's form, with the version guard, posts to the dossier page.
    form = doc.xpath("//form[@data-decision]")[0]
    assert form.get("action") == f"/agents/dossiers/{filed.instance_id}/taches/{filed.agent_task_id}"
    with app.app_context():
        version = db.session.get(ProcessInstance, filed.instance_id).lock_version
    assert form.xpath(".//input[@name='version']/@value") == [str(version)]
    assert {i.get("value") for i in form.xpath(".//input[@name='decision']")} == {
        "acceptee",
        "refusee",
        "complement",
    }
    # The diagram: the instance's own version, the current task named for the script and in text.
    diagram = doc.get_element_by_id("diagramme")
    assert diagram.get("data-current") == "instruction"
    assert "« Instruire la demande »" in body
    xml = agent.get(diagram.get("data-xml-url"))
    assert xml.status_code == 200
    assert xml.mimetype == "application/xml"
    assert b'id="instruction"' in xml.data
    scripts = doc.xpath("//script/@src")
    assert any(s.endswith("vendor/bpmn-js/bpmn-navigated-viewer.production.min.js") for s in scripts)
    assert all(script.get("src") for script in doc.xpath("//script"))  # no inline script (CSP)


def test_another_service_gets_404_on_the_dossier_its_diagram_and_its_forms(app, people, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    other = client_for(people["etat_civil"])
    before = snapshot(app)
    for url in [dossier_url(filed.instance_id), dossier_url(filed.instance_id) + "/diagramme.bpmn"]:
        response = other.get(url)
        assert response.status_code == 404
        assert filed.reference not in response.get_data(as_text=True)
    token = csrf_token(other, "/agents/")
    for url, data in [
        (f"{dossier_url(filed.instance_id)}/taches/{filed.agent_task_id}", {"decision": "acceptee"}),
        (f"{dossier_url(filed.instance_id)}/commentaires", {"commentaire": "Intrus"}),
    ]:
        response = other.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 404
    assert snapshot(app) == before
    # A family never reaches the back office.
    assert famille.get(dossier_url(filed.instance_id)).status_code == 403


def test_deciding_from_the_dossier_page_records_the_agent_and_the_service(app, people, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    agent = client_for(people["accueil"])
    url = dossier_url(filed.instance_id)
    page = agent.get(url)
    version = html(page).xpath("//input[@name='version']/@value")[0]
    response = post_form(
        agent,
        url,
        {"decision": "acceptee", "motif": "C'est fait.", "commentaire_interne": "", "version": version},
        action=f"{url}/taches/{filed.agent_task_id}",
    )
    assert response.status_code == 302, text(response)[:400]
    assert response.headers["Location"] == "/agents/"  # back to the queue (no filter: the whole queue)
    after = agent.get(url)
    body = text(after)
    assert "Statut : Acceptée" in body
    assert f"« Instruire la demande » traitée — Service Accueil ({people['accueil'].display_name})" in body
    assert "Aucune tâche ouverte : la demande est terminée." in body


def test_an_internal_comment_at_any_time_is_never_shown_to_the_family(app, people, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    agent = client_for(people["accueil"])
    url = dossier_url(filed.instance_id)
    # Empty comment: 400, French message next to the field, nothing written.
    before = snapshot(app)
    empty = post_form(agent, url, {"commentaire": "   "}, action=f"{url}/commentaires")
    assert empty.status_code == 400
    assert (
        html(empty).get_element_by_id("commentaire-erreur").text_content().strip()
        == "Écrivez le commentaire."
    )
    assert snapshot(app) == before
    response = post_form(agent, url, {"commentaire": COMMENT}, action=f"{url}/commentaires")
    assert response.status_code == 302
    with app.app_context():
        event = db.session.execute(select(HistoryEvent).where(HistoryEvent.comment == COMMENT)).scalar_one()
        assert (event.visibility, event.actor_name, event.actor_role) == (
            "internal",
            people["accueil"].display_name,
            "Service Accueil",
        )
    page = agent.get(url)
    item = next(li for li in html(page).xpath("//ol[@class='timeline']/li") if COMMENT in li.text_content())
    assert "Interne" in item.text_content()  # in text, not colour alone
    assert people["accueil"].display_name in item.text_content()
    # The family: neither its request page nor the JSON state shows it.
    family_page = famille.get(f"/mes-demandes/{filed.instance_id}")
    assert family_page.status_code == 200
    assert COMMENT not in family_page.get_data(as_text=True)
    assert "Commentaire interne" not in family_page.get_data(as_text=True)
    state = famille.get(f"/mes-demandes/{filed.instance_id}/etat", headers={"Accept": "application/json"})
    assert state.status_code == 200
    assert COMMENT not in json.dumps(state.get_json(), ensure_ascii=False)
    assert "Commentaire interne" not in json.dumps(state.get_json(), ensure_ascii=False)
    # The comment changed nothing a decision form depends on.
    with app.app_context():
        task = db.session.get(HumanTask, filed.agent_task_id)
        assert task.state == HumanTaskState.OPEN


def test_a_stale_decision_gets_409_the_new_state_and_what_was_typed(app, people, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    first, second = client_for(people["accueil"]), client_for(people["accueil2"])
    url = dossier_url(filed.instance_id)
    version = html(second.get(url)).xpath("//input[@name='version']/@value")[0]
    token = csrf_token(second, url)
    # A colleague decides while the second agent's page is open.
    assert decide(first, filed.agent_task_id, "acceptee").status_code == 302
    before = snapshot(app)
    typed = "Refus : pièce manquante (texte tapé 91b2)."
    response = second.post(
        f"{url}/taches/{filed.agent_task_id}",
        data={
            "decision": "refusee",
            "motif": typed,
            "commentaire_interne": "",
            "version": version,
            "csrf_token": token,
        },
    )
    assert response.status_code == 409
    body = text(response)
    assert "La demande a avancé depuis l'ouverture de la page" in body
    assert "Statut : Acceptée" in body  # the new state is shown
    assert typed in body  # nothing typed is lost
    assert html(response).xpath("//form[@data-decision]") == []
    assert snapshot(app) == before


def test_a_request_cancelled_by_the_family_makes_the_open_form_stale(app, people, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    agent = client_for(people["accueil"])
    url = dossier_url(filed.instance_id)
    version = html(agent.get(url)).xpath("//input[@name='version']/@value")[0]
    token = csrf_token(agent, url)
    cancelled = post_form(
        famille,
        f"/mes-demandes/{filed.instance_id}",
        {"motif": "Erreur"},
        action=f"/mes-demandes/{filed.instance_id}/annuler",
    )
    assert cancelled.status_code == 302
    before = snapshot(app)
    response = agent.post(
        f"{url}/taches/{filed.agent_task_id}",
        data={
            "decision": "acceptee",
            "motif": "",
            "commentaire_interne": "",
            "version": version,
            "csrf_token": token,
        },
    )
    assert response.status_code == 409
    assert "Demande annulée par la famille" in text(response)
    assert html(response).xpath("//span[contains(@class, 'status')]")[0].text_content() == "Annulée"
    assert snapshot(app) == before


def test_a_version_older_than_the_instance_is_refused_even_if_the_task_is_open(app, people, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    agent = client_for(people["accueil"])
    url = dossier_url(filed.instance_id)
    version = int(html(agent.get(url)).xpath("//input[@name='version']/@value")[0])
    before = snapshot(app)
    response = post_form(
        agent,
        url,
        {"decision": "acceptee", "motif": "", "commentaire_interne": "", "version": str(version - 1)},
        action=f"{url}/taches/{filed.agent_task_id}",
    )
    assert response.status_code == 409
    assert snapshot(app) == before
    # Invalid input: 400 with the French message, nothing saved, the typed text kept.
    response = post_form(
        agent,
        url,
        {"decision": "refusee", "motif": "", "commentaire_interne": "garde-moi", "version": str(version)},
        action=f"{url}/taches/{filed.agent_task_id}",
    )
    assert response.status_code == 400
    assert "Indiquez le motif du refus" in text(response)
    assert html(response).get_element_by_id("commentaire_interne").text_content().strip() == "garde-moi"
    assert snapshot(app) == before
