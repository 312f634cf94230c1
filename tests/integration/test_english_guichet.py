"""Guichet in English: the catalogue, « Mes demandes », a request with its timeline, the agents' queue
and case (with a refused decision), the admin's agents page; the shipped démarches' names and forms
come from the catalogue (workflows/*.bpmn extracted), a studio démarche shows as written, in French."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.models import HistoryEvent
from tests.fixtures.integration import decide, file_address_change, html, post_form, text
from web.core import translations
from web.demarches.catalogue import fr_only, translated
from web.extensions import db


def _english(client: FlaskClient) -> FlaskClient:
    client.set_cookie("langue", "en")
    return client


def _lang(response) -> str:
    return html(response).get("lang")


def test_the_catalogue_in_english(app: Flask) -> None:
    page = _english(app.test_client()).get("/demarches")
    assert page.status_code == 200
    assert _lang(page) == "en"
    body = text(page)
    for english in (
        "Online procedures",
        "Change of postal address",
        "Contact details",
        "Documents to provide",
    ):
        assert english in body
    assert "Report your new postal address: the Reception service checks it" in body
    assert "Maximum duration of the procedure: 30 days" in body
    assert " jours" not in body
    for french in (
        "Démarches en ligne",
        "Changement d'adresses postales",
        "Documents à fournir",
        "Coordonnées",
    ):
        assert french not in body
    # French stays the default.
    assert "Changement d'adresses postales" in text(app.test_client().get("/demarches"))


def test_my_requests_and_a_request_page_with_its_timeline_in_english(app, people, client_for) -> None:
    family = _english(client_for(people["famille"]))
    filed = file_address_change(app, family, keep_receipt=True)
    with app.app_context():  # what is stored stays French (the pages translate it when they show it)
        labels = db.session.scalars(
            select(HistoryEvent.label).where(HistoryEvent.instance_id == filed.instance_id)
        ).all()
    assert "Document ajouté : Justificatif de domicile (facture-energie.pdf)" in labels
    mine = family.get("/mes-demandes")
    assert _lang(mine) == "en"
    listing = text(mine)
    assert "Change of postal address" in listing
    assert filed.reference in listing
    assert "Under review" in listing
    assert "En cours d'instruction" not in listing
    page = family.get(f"/mes-demandes/{filed.instance_id}")
    assert page.status_code == 200
    assert _lang(page) == "en"
    body = text(page)
    for english in (
        "Acknowledgement of receipt",
        "History",
        "Cancel my request",
        "Under review",
        "Accueil service",
    ):
        assert english in body, english
    for french in ("Accusé de réception", "Historique", "Annuler ma demande", "Déposée le"):
        assert french not in body, french
    timeline = html(page).xpath("//div[@data-live-timeline]")[0].text_content()
    assert "Status:" in timeline
    assert "— Accueil service" in timeline
    assert "— Family" in timeline
    assert "Under review" in timeline
    live = html(page).xpath("//div[@data-live-url]")[0]
    assert live.get("data-status-prefix") == "Status: "
    assert live.get("data-announce-prefix") == "Status updated: "
    state = family.get(f"/mes-demandes/{filed.instance_id}/etat").get_json()
    assert state["status_label"] == "Under review"
    # A bad cancellation: the error in English, what was typed kept.
    refused = post_form(
        family, f"/mes-demandes/{filed.instance_id}", {"motif": "x" * 1001},
        action=f"/mes-demandes/{filed.instance_id}/annuler",
    )  # fmt: skip
    assert refused.status_code == 400
    assert "The reason must not be longer than 1000 characters." in text(refused)
    assert html(refused).xpath("//title")[0].text_content().startswith("Error –")


def test_the_agents_queue_and_a_case_with_a_refused_decision_in_english(app, people, client_for) -> None:
    filed = file_address_change(app, client_for(people["famille"]))
    agent = _english(client_for(people["accueil"]))
    queue = agent.get("/agents/")
    assert queue.status_code == 200
    assert _lang(queue) == "en"
    body = text(queue)
    for english in ("Tasks to handle", "1 open task", "Change of postal address", "Review the request"):
        assert english in body, english
    assert "Tâches à traiter" not in body
    assert "Instruire la demande" not in body
    headers = [th.text_content().strip() for th in html(queue).xpath("//table//thead//th[a]")]
    assert headers == [
        "Reference (sort in ascending order)",
        "Procedure (sort in ascending order)",
        "Family (sort in ascending order)",
        "Received on ▲ (sort in descending order)",
        "Due date (sort in ascending order)",
        "Status (sort in ascending order)",
        "Assigned to (sort in ascending order)",
    ]
    # A refusal without its reason: 400, the case again, the message in English.
    refused = decide(agent, filed.agent_task_id, "refusee")
    assert refused.status_code == 400
    case = agent.get(f"/agents/dossiers/{filed.instance_id}")
    page = text(case)
    assert _lang(case) == "en"
    for english in ("Case", "Request data", "Street number and name", "Full history", "Save the decision"):
        assert english in page, english
    for french in ("Données de la demande", "Numéro et libellé de la voie", "Enregistrer la décision"):
        assert french not in page, french
    decision = post_form(
        agent,
        f"/agents/dossiers/{filed.instance_id}",
        {"decision": "refusee", "motif": "", "commentaire_interne": "", "version": _version(case)},
        action=f"/agents/dossiers/{filed.instance_id}/taches/{filed.agent_task_id}",
    )
    assert decision.status_code == 400
    errors = text(decision)
    assert "Enter the reason for the refusal: the family will read it." in errors
    assert "Indiquez le motif du refus" not in errors
    assert html(decision).xpath("//title")[0].text_content().startswith("Error –")


def _version(response) -> str:
    return html(response).xpath("//form[@data-decision]//input[@name='version']/@value")[0]


def test_the_admin_agents_page_in_english(app, make_user, people, client_for) -> None:
    people["accueil"]
    admin = _english(client_for(make_user("admin", prenom="Claude", nom="Petit")))
    page = admin.get("/admin/agents")
    assert page.status_code == 200
    assert _lang(page) == "en"
    body = text(page)
    for english in ("Accounts of agents, analysts and administrators", "Create an agent", "Username"):
        assert english in body, english
    assert "Créer un agent" not in body
    refused = post_form(admin, "/admin/agents", {"username": "", "role": "agent"})
    assert refused.status_code == 400
    assert "Enter the username." in text(refused)


def test_a_studio_demarche_without_english_is_marked_french(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert translated("Changement d'adresses postales") == "Change of postal address"
        assert fr_only("Changement d'adresses postales") == ""
        assert translated("Inscription au vide-grenier") == "Inscription au vide-grenier"
        assert fr_only("Inscription au vide-grenier") == ' lang="fr"'
    with app.test_request_context():
        assert fr_only("Inscription au vide-grenier") == ""


def test_the_bpmn_extractor_reads_what_pages_show() -> None:
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core">
  <bpmn:process id="p" name="Ma d\xc3\xa9marche">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="aideSaisie" value="Premier.&#10;&#10;Second&#10;suite." />
      <spiffworkflow:property name="formKey" value="p.saisie" />
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:laneSet><bpmn:lane id="l" name="Accueil" /></bpmn:laneSet>
    <bpmn:userTask id="t" name="Saisir" />
  </bpmn:process>
</bpmn:definitions>"""
    found = [message for _line, _f, message, _c in translations.extract_bpmn(io.BytesIO(xml), {}, [], {})]
    assert found == ["Ma démarche", "Premier.", "Second suite.", "Saisir"]
