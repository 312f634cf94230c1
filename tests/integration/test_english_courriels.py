"""Mails and SMS leave in their RECIPIENT's language (`user_account.langue`, none → French), whoever
caused them: an agent browsing in French who refuses an English family's request sends English mail,
an agent browsing in English who accepts a French family's request sends French mail. Through the
HTML forms, a real SMTP server (aiosmtpd) and a real HTTP SMS provider on loopback. And the pages of
this part (accessibility statement, contact, development outbox) in English."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from tests.fixtures.integration import (
    decide,
    file_address_change,
    html,
    outbox,
    post_form,
    start_demarche,
    text,
)
from tests.fixtures.tasks import open_task
from web.scheduler import run_outbox

REASON = "Le justificatif ne correspond pas à l'adresse."
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def notify_app(app, app_factory, smtp_server, sms_provider):
    return app_factory(
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        MAIL_SUPPRESS_SEND=False,
        SMS_BACKEND="http",
        SMS_HTTP_URL=sms_provider.url,
        SMS_HTTP_TOKEN="jeton",
        SMS_SENDER="Mairie",
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None
    assert rich is not None
    return plain.get_content(), rich.get_content()


def sent_to(smtp_server, address: str, subject_start: str) -> EmailMessage:
    found = [m for m in smtp_server.messages if m["X-Envelope-To"] == address]
    (message,) = [m for m in found if m["Subject"].startswith(subject_start)]
    return message


def test_an_english_family_gets_english_mail_from_an_agent_browsing_in_french(
    app, notify_app, smtp_server, sms_provider, make_user, client_for
):
    family = make_user("famille", prenom="Jordan", nom="Smith", langue="en")
    agent_user = make_user("agent", groups=["Accueil"])
    famille = client_for(family)
    filed = file_address_change(app, famille, keep_receipt=True)
    agent = client_for(agent_user)  # no language chosen, no header: the agent works in French
    task_page = agent.get(f"/taches/{filed.agent_task_id}", follow_redirects=True)
    assert 'lang="fr"' in task_page.get_data(as_text=True)

    assert decide(agent, filed.agent_task_id, "refusee", REASON).status_code == 302
    run_outbox(notify_app)

    refusal = sent_to(smtp_server, family.email, f"Your request {filed.reference}")
    assert refusal["Subject"] == f"Your request {filed.reference} has not been accepted"
    plain, rich = parts(refusal)
    assert plain.startswith("Hello Jordan Smith,")
    assert f"Your request {filed.reference} “Changement d'adresses postales” has not been accepted." in plain
    assert "Reason given by the service:" in plain
    assert REASON in plain  # the agent's words, as written
    assert "This e-mail was sent automatically: please do not reply to it." in plain
    for french in ("Bonjour", "n'a pas été acceptée", "Motif indiqué", "Ce courriel vous est envoyé"):
        assert french not in plain
    assert '<html lang="en">' in rich
    assert "Hello Jordan Smith," in rich
    assert "has not been accepted" in rich
    assert "history of your request" in rich
    assert "Bonjour" not in rich
    assert 'lang="fr"' not in rich

    receipt = sent_to(smtp_server, family.email, "Acknowledgement of your request")
    assert receipt["Subject"] == f"Acknowledgement of your request {filed.reference}"
    assert "Reference: " + filed.reference in parts(receipt)[0]


def test_a_french_family_gets_french_mail_from_an_agent_browsing_in_english(
    app, notify_app, smtp_server, sms_provider, make_user, client_for
):
    family = make_user("famille", prenom="Camille", nom="Martin")  # langue None → French
    agent_user = make_user("agent", groups=["Accueil"], langue="en")
    filed = file_address_change(app, client_for(family), keep_receipt=True)
    agent = client_for(agent_user)
    agent.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    task_page = agent.get(f"/taches/{filed.agent_task_id}", follow_redirects=True)
    assert 'lang="en"' in task_page.get_data(as_text=True)

    assert decide(agent, filed.agent_task_id, "acceptee", "Pensez à prévenir l'école.").status_code == 302
    run_outbox(notify_app)

    accepted = sent_to(smtp_server, family.email, f"Votre demande {filed.reference}")
    assert accepted["Subject"] == f"Votre demande {filed.reference} est acceptée"
    plain, rich = parts(accepted)
    assert plain.startswith("Bonjour Camille Martin,")
    assert f"Votre demande {filed.reference} « Changement d'adresses postales » a été acceptée." in plain
    assert "Message du service :" in plain
    assert "Ce courriel vous est envoyé automatiquement : merci de ne pas y répondre." in plain
    for english in ("Hello", "has been accepted", "Message from the service", "e-mail"):
        assert english not in plain
    assert '<html lang="fr">' in rich
    assert "a été acceptée" in rich.replace("&#39;", "'")
    assert "Hello" not in rich
    assert "accepted" not in rich
    receipt = sent_to(smtp_server, family.email, "Accusé de réception")
    assert receipt["Subject"] == f"Accusé de réception de votre demande {filed.reference}"


def test_an_english_family_that_prefers_sms_gets_an_english_sms(
    app, notify_app, smtp_server, sms_provider, make_user, client_for, people
):
    family = make_user("famille", mobile="+33600000011", contact_prefere="mobile", langue="en")
    famille = client_for(family)
    task_id = start_demarche(famille, "changement_telephone")
    response = post_form(famille, f"/taches/{task_id}", {"telephone": "", "mobile": "06 11 22 33 44"})
    assert response.status_code == 302, text(response)[:300]
    instance_id = int(response.headers["Location"].rsplit("/", 1)[1])
    agent = client_for(people["accueil"])  # browsing in French
    reason = "Ce numéro est déjà enregistré pour une autre famille."
    assert decide(agent, open_task(app, instance_id, "Accueil").id, "refusee", reason).status_code == 302

    run_outbox(notify_app)
    (sms,) = sms_provider.texts
    assert sms.startswith("Your request DEM-")
    assert f"has not been accepted. Reason: {reason}" in sms
    assert f"Details in “My requests”: http://guichet.test/mes-demandes/{instance_id}" in sms
    assert "Votre demande" not in sms
    assert "Motif" not in sms


def test_a_french_family_still_gets_the_diagram_s_french_sms(
    app, notify_app, smtp_server, sms_provider, make_user, client_for, people
):
    family = make_user("famille", mobile="+33600000012", contact_prefere="mobile")
    famille = client_for(family)
    task_id = start_demarche(famille, "changement_telephone")
    response = post_form(famille, f"/taches/{task_id}", {"telephone": "", "mobile": "06 11 22 33 44"})
    instance_id = int(response.headers["Location"].rsplit("/", 1)[1])
    agent = client_for(people["accueil"])
    agent.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    reason = "Numéro déjà enregistré."
    assert decide(agent, open_task(app, instance_id, "Accueil").id, "refusee", reason).status_code == 302
    run_outbox(notify_app)
    (sms,) = sms_provider.texts
    assert sms.startswith("Votre demande DEM-")
    assert sms.endswith(f"n'a pas été acceptée. Motif : {reason}")


def test_a_password_reset_asked_from_an_english_page_is_mailed_in_english(app, make_user):
    """No language on the account: the person at the page gets the page's language."""
    from tests.integration.test_reset import ask

    user = make_user("famille", prenom="Robin", nom="Taylor")
    ask(app.test_client(), user.username, headers=ENGLISH)
    (row,) = [m for m in outbox(app) if m.recipient == user.email]
    assert row.subject == "Resetting your password – Ville de Test"
    assert row.body_text.startswith("Hello Robin Taylor,")
    assert f"Your username: {user.username}" in row.body_text
    assert "Bonjour" not in row.body_text
    assert '<html lang="en">' in (row.body_html or "")


@pytest.mark.parametrize(
    ("path", "english", "french"),
    [
        ("/accessibilite", "Accessibility statement", "Déclaration d'accessibilité"),
        ("/contact", "Report a problem", "Signaler un problème"),
    ],
)
def test_the_public_pages_in_english(app, path, english, french):
    response = app.test_client().get(path, headers=ENGLISH)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'lang="en"' in body
    assert english in text(response)
    assert french not in text(response)


def test_the_accessibility_statement_in_english_reads_its_date_in_english(app):
    page = html(app.test_client().get("/accessibilite", headers=ENGLISH))
    assert page.xpath("string(//*[@data-statement-date])") == "27 Nov 2026"
    assert "partially compliant" in page.text_content()
    assert "partiellement conforme" not in page.text_content()


def test_the_contact_page_for_a_logged_in_english_family(app, make_user, client_for):
    famille = client_for(make_user("famille", langue="en"))
    response = famille.get("/contact")
    assert 'lang="en"' in response.get_data(as_text=True)
    page = text(response)
    assert "Describe the problem online" in page
    assert "Décrivez le problème" not in page


def test_the_development_outbox_in_english(app, make_user):
    from web.core.mail import queue_mail
    from web.extensions import db

    user = make_user("famille", prenom="Ada", nom="Brown", langue="en")
    with app.test_request_context():
        queue_mail(db.session(), "donnees_pretes", user.email, user=user, export=_Export())
        db.session.commit()
    response = app.test_client().get("/dev/courriels/", headers=ENGLISH)
    assert response.status_code == 200
    page = html(response)
    assert page.xpath("string(//h1)") == "E-mails (development)"
    labels = page.xpath("//tbody//td/@data-label")
    assert labels[:4] == ["Date", "Recipient", "Subject", "Status"]
    assert "Your data is ready to download" in text(response)
    assert "Destinataire" not in text(response)


class _Export:
    """What the « données prêtes » mail reads of an export."""

    expires_at = None
