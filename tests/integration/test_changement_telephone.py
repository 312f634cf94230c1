"""A family files « Changement de téléphones » and an Accueil agent accepts, all through HTML forms."""

from __future__ import annotations

from engine.models import HumanTask, HumanTaskState, ProcessInstance
from forms.tasks.changement_telephone import AT_LEAST_ONE_NUMBER
from tests.fixtures.integration import decide, html, post_form, start_demarche, text
from tests.fixtures.tasks import open_task
from web.accounts.models import User
from web.extensions import db

PHONE_ERROR = (
    "Ce numéro de téléphone n'est pas valable. Format attendu : 01 23 45 67 89, 06 12 34 56 78 "
    "ou +32 2 123 45 67."
)


def field_value(doc, name):
    (element,) = doc.xpath(f"//*[@name='{name}']")
    return element.get("value")


def test_family_changes_its_numbers_and_accueil_accepts(app, people, client_for):
    famille = client_for(people["famille"])
    catalogue = famille.get("/demarches")
    assert "Changement de téléphones" in text(catalogue)
    assert "Durée maximum de la démarche : 15 jours" in text(catalogue)
    assert 'action="/demarches/changement_telephone/commencer"' in catalogue.get_data(as_text=True)

    task_id = start_demarche(famille, "changement_telephone")
    form_page = famille.get(f"/taches/{task_id}")
    assert form_page.status_code == 200
    assert "Saisir les nouveaux numéros" in text(form_page)

    # A bad number: 400, the French message next to the field, what was typed kept.
    typed = {"telephone": "01 23 45 67 89", "mobile": "06 12 34"}
    refused = post_form(famille, f"/taches/{task_id}", typed)
    assert refused.status_code == 400
    doc = html(refused)
    mobile = doc.get_element_by_id("mobile")
    assert mobile.get("aria-invalid") == "true"
    assert "mobile-erreur" in mobile.get("aria-describedby").split()
    assert doc.get_element_by_id("mobile-erreur").text_content().strip() == PHONE_ERROR
    assert PHONE_ERROR in doc.get_element_by_id("resume-erreurs").text_content()
    assert field_value(doc, "mobile") == "06 12 34"
    assert field_value(doc, "telephone") == "01 23 45 67 89"  # the valid one, shown in the national format
    assert doc.get_element_by_id("telephone").get("aria-invalid") is None

    # No number at all: the French message asks for one.
    empty = post_form(famille, f"/taches/{task_id}", {"telephone": "", "mobile": ""})
    assert empty.status_code == 400
    assert html(empty).get_element_by_id("telephone-erreur").text_content().strip() == AT_LEAST_ONE_NUMBER
    with app.app_context():
        assert db.session.get(HumanTask, task_id).state == HumanTaskState.OPEN

    # Then correctly: the request goes to the Accueil service.
    sent = post_form(
        famille, f"/taches/{task_id}", {"telephone": "01 23 45 67 89", "mobile": "06 12 34 56 78"}
    )
    assert sent.status_code == 302
    request_url = sent.headers["Location"]
    with app.app_context():
        instance = db.session.execute(
            ProcessInstance.__table__.select().where(ProcessInstance.requester_id == people["famille"].id)
        ).one()
    assert request_url == f"/mes-demandes/{instance.id}"
    assert "En cours d'instruction" in text(famille.get(request_url))

    agent = client_for(people["accueil"])
    agent_task = open_task(app, instance.id)
    assert agent_task.lane == "Accueil"
    task_page = agent.get(f"/taches/{agent_task.id}", follow_redirects=True)  # the dossier
    assert task_page.status_code == 200
    details = " ".join(html(task_page).xpath("//dl[@data-dossier-data]")[0].text_content().split())
    assert "06 12 34 56 78" in details  # national format, E.164 only in storage
    accepted = decide(agent, agent_task.id, "acceptee", "Numéros enregistrés.", "Appel de vérification fait")
    assert accepted.status_code == 302

    page = famille.get(request_url)
    assert page.status_code == 200
    assert (
        html(page).xpath("//dl[@class='details']//span[contains(@class, 'status')]")[0].text_content().strip()
        == "Acceptée"
    )
    assert "Numéros enregistrés." in text(page)
    assert "Appel de vérification fait" not in page.get_data(as_text=True)
    with app.app_context():
        account = db.session.get(User, people["famille"].id)
        assert (account.telephone, account.mobile) == ("+33123456789", "+33612345678")
