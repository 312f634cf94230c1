"""« A qui s'adresser en cas de problème ? » and « Signaler un problème », all through HTML forms."""

from __future__ import annotations

from engine.models import HumanTask, HumanTaskState
from tests.fixtures.integration import REQUEST_URL, html, outbox, post_form, start_demarche, text
from web.extensions import db


def test_the_contact_page_is_public_linked_in_the_footer_and_shows_the_configured_address(app, client):
    home = html(client.get("/"))
    assert home.xpath("//footer//a[@href='/contact']/text()") == ["A qui s'adresser en cas de problème ?"]
    page = client.get("/contact")
    assert page.status_code == 200
    body = text(page)
    assert "vous pouvez adresser votre requête par courriel à l'adresse : contact@ville.test" in body
    assert html(page).xpath("//main//a[@href='mailto:contact@ville.test']")
    # A visitor is asked to log in (or to write), and is shown no form that cannot work for it.
    assert "Se connecter pour signaler un problème" in body
    assert not html(page).xpath("//form[@action='/demarches/signaler_probleme/commencer']")


def test_not_in_the_catalogue(app, people, client_for):
    famille = client_for(people["famille"])
    assert "Signaler un problème" not in text(famille.get("/demarches"))


def test_a_family_reports_a_problem_and_accueil_answers(app, people, client_for):
    famille = client_for(people["famille"])
    page = html(famille.get("/contact"))
    assert page.xpath("//form[@action='/demarches/signaler_probleme/commencer']//button/text()") == [
        "Signaler un problème"
    ]
    task_id = start_demarche(famille, "signaler_probleme")

    # Nothing filled: French messages, nothing lost.
    refused = post_form(famille, f"/taches/{task_id}", {"objet": "Connexion impossible", "description": ""})
    assert refused.status_code == 400
    doc = html(refused)
    assert (
        doc.get_element_by_id("categorie-erreur").text_content().strip() == "Choisissez le type de problème."
    )
    assert doc.get_element_by_id("description-erreur").text_content().strip() == (
        "Décrivez le problème : ce que vous faisiez, ce qui s'est passé."
    )
    assert doc.get_element_by_id("objet").get("value") == "Connexion impossible"

    sent = post_form(
        famille,
        f"/taches/{task_id}",
        {
            "categorie": "Connexion au compte famille",
            "objet": "Connexion impossible",
            "description": "Mot de passe refusé <b>",
        },
    )
    assert sent.status_code == 302
    instance_id = int(REQUEST_URL.search(sent.headers["Location"]).group(1))
    request_page = text(famille.get(f"/mes-demandes/{instance_id}"))
    assert "Transmis au service Accueil" in request_page
    assert "Signaler un problème" in text(famille.get("/mes-demandes"))
    contact = text(famille.get("/contact"))
    assert "Mes signalements" in contact
    assert "Transmis au service Accueil" in contact

    with app.app_context():
        agent_task = (
            db.session.query(HumanTask).filter_by(instance_id=instance_id, state=HumanTaskState.OPEN).one()
        )
        assert agent_task.lane == "Accueil"
        agent_task_id = agent_task.id
    agent = client_for(people["accueil"])
    dossier = agent.get(f"/taches/{agent_task_id}", follow_redirects=True)
    assert "Mot de passe refusé <b>" in text(dossier)
    # No answer: refused in French.
    empty = post_form(agent, f"/taches/{agent_task_id}", {"decision": "resolu", "reponse": ""})
    assert empty.status_code == 400
    assert "Écrivez la réponse : la famille la lira." in text(empty)
    answered = post_form(
        agent,
        f"/taches/{agent_task_id}",
        {
            "decision": "resolu",
            "reponse": "Votre mot de passe est réinitialisé.",
            "commentaire_interne": "Appelée au 01 39",
        },
    )
    assert answered.status_code == 302
    final = text(famille.get(f"/mes-demandes/{instance_id}"))
    assert "Réponse envoyée" in final
    assert "Votre mot de passe est réinitialisé." in final
    assert "Appelée au 01 39" not in final  # the internal comment stays with the agents
    (mail,) = [m for m in outbox(app) if m.instance_id == instance_id]
    assert mail.recipient == people["famille"].email
    assert "Votre mot de passe est réinitialisé." in mail.body_text
