"""The agent's message in the family's notifications (refusal reason, question asked, message at
acceptance), through the HTML forms, a real SMTP server (aiosmtpd) and a real HTTP SMS sms_provider on
loopback — and the agent's internal comment in none of them."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from engine.models import HistoryEvent, OutboxMessage, Visibility
from tests.fixtures.integration import (
    decide,
    drop_receipts,
    file_address_change,
    html,
    post_form,
    start_demarche,
    text,
)
from tests.fixtures.tasks import open_task
from web.extensions import db
from web.notifications.models import Notification
from web.scheduler import run_outbox

INTERNAL = "NOTE-INTERNE-7f3a : dossier suspect, ne pas divulguer"
QUESTION = "Envoyez une facture <récente> & lisible au nom de « Martin »."
REASON = "L'adresse <b>n'existe pas</b> dans la commune & le code postal ne correspond pas."


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
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None
    assert rich is not None
    return plain.get_content(), rich.get_content()


def agent_task_id(app, instance_id: int) -> int:
    return open_task(app, instance_id, "Accueil").id


def everything_sent(app, smtp_server, sms_provider) -> str:
    """Every mail received (headers and parts), every SMS, every outbox row and notification."""
    chunks = [m.as_string() for m in smtp_server.messages] + [*sms_provider.texts]
    for message in smtp_server.messages:
        chunks.extend(parts(message))
    with app.app_context():
        for row in db.session.execute(select(OutboxMessage)).scalars():
            chunks.extend([row.subject, row.body_text, row.body_html or ""])
        for notification in db.session.execute(select(Notification)).scalars():
            chunks.extend([notification.message, notification.donnees or ""])
    return "\n".join(chunks)


def test_the_question_then_the_refusal_reason_are_in_the_mails_escaped_in_html(
    app, notify_app, smtp_server, sms_provider, people, client_for
):
    famille = client_for(people["famille"])
    agent = client_for(people["accueil"])
    filed = file_address_change(app, famille)

    assert decide(agent, filed.agent_task_id, "complement", QUESTION, INTERNAL).status_code == 302
    assert run_outbox(notify_app) == (1, 0)
    (question_mail,) = smtp_server.messages
    assert question_mail["Subject"] == f"Votre demande {filed.reference} : des compléments sont demandés"
    plain, rich = parts(question_mail)
    assert QUESTION in plain
    assert "Envoyez une facture &lt;récente&gt; &amp; lisible au nom de « Martin »." in rich
    assert "<récente>" not in rich

    (action,) = html(famille.get("/mes-demandes")).xpath("//table/tbody/tr//a[contains(@class, 'button')]")
    answered = post_form(famille, action.get("href"), {"reponse": "Voici la facture."})
    assert answered.status_code == 302, text(answered)[:300]

    second = agent_task_id(app, filed.instance_id)
    assert decide(agent, second, "refusee", REASON, INTERNAL).status_code == 302
    assert run_outbox(notify_app) == (1, 0)
    refusal = smtp_server.messages[1]
    assert "pas été acceptée" in refusal["Subject"]
    plain, rich = parts(refusal)
    assert REASON in plain
    assert "L'adresse &lt;b&gt;n'existe pas&lt;/b&gt;" in rich.replace("&#39;", "'")
    assert "<b>n'existe pas</b>" not in rich

    assert sms_provider.texts == []  # the family prefers mails (the default)
    assert INTERNAL not in everything_sent(app, smtp_server, sms_provider)
    with app.app_context():  # it was written, in the agents' timeline only
        internal = db.session.execute(
            select(HistoryEvent.visibility).where(HistoryEvent.comment == INTERNAL)
        ).scalars()
        assert list(internal) == [Visibility.INTERNAL, Visibility.INTERNAL]


def test_a_message_at_acceptance_is_in_the_mail(
    app, notify_app, smtp_server, sms_provider, people, client_for
):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    agent = client_for(people["accueil"])
    message = "Pensez à prévenir l'école de votre enfant."
    assert decide(agent, filed.agent_task_id, "acceptee", message, INTERNAL).status_code == 302
    assert run_outbox(notify_app) == (1, 0)
    (accepted,) = smtp_server.messages
    plain, rich = parts(accepted)
    assert message in plain
    assert "Pensez à prévenir l" in rich
    assert INTERNAL not in everything_sent(app, smtp_server, sms_provider)


@pytest.fixture
def mobile_family(make_user):
    return make_user("famille", mobile="+33600000009", contact_prefere="mobile")


def file_phones(app, client) -> int:
    task_id = start_demarche(client, "changement_telephone")
    response = post_form(client, f"/taches/{task_id}", {"telephone": "", "mobile": "06 11 22 33 44"})
    assert response.status_code == 302, text(response)[:300]
    drop_receipts(app)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_the_telephone_refusal_reason_reaches_the_sms_and_the_fallback_mail(
    app, notify_app, smtp_server, sms_provider, people, client_for, mobile_family
):
    sms_provider.statuses = [400]  # the sms_provider refuses the SMS: the mail takes over
    instance_id = file_phones(app, client_for(mobile_family))
    agent = client_for(people["accueil"])
    reason = "Ce numéro est déjà enregistré pour une autre famille."
    assert decide(agent, agent_task_id(app, instance_id), "refusee", reason, INTERNAL).status_code == 302

    assert run_outbox(notify_app) == (0, 1)  # SMS refused for good → the mail is queued
    (sms_text,) = sms_provider.texts
    assert sms_text.endswith(f"n'a pas été acceptée. Motif : {reason}")
    assert run_outbox(notify_app) == (1, 0)
    (fallback,) = smtp_server.messages
    assert fallback["X-Envelope-To"] == mobile_family.email
    plain, rich = parts(fallback)
    assert reason in plain  # the template's data survived the fallback
    assert reason in rich
    assert INTERNAL not in everything_sent(app, smtp_server, sms_provider)


def test_a_long_question_is_cut_in_the_sms_but_whole_in_the_mail(
    app, notify_app, smtp_server, sms_provider, people, client_for, make_user
):
    family = make_user("famille", mobile="+33600000010", contact_prefere="mobile")
    famille = client_for(family)
    filed = file_address_change(app, famille)
    question = "Merci de nous transmettre " + "un justificatif complémentaire, " * 12 + "fin."
    agent = client_for(people["accueil"])
    assert decide(agent, filed.agent_task_id, "complement", question, INTERNAL).status_code == 302
    assert run_outbox(notify_app) == (1, 0)
    (sms_text,) = sms_provider.texts
    assert len(sms_text) == 300
    assert sms_text.endswith("…")
    assert sms_text.startswith(f"Votre demande {filed.reference} : le service demande des compléments.")
    with app.app_context():
        (notification,) = db.session.execute(select(Notification)).scalars()
        assert json.loads(notification.donnees) == {"question": question}
    assert smtp_server.messages == []
    assert INTERNAL not in everything_sent(app, smtp_server, sms_provider)
