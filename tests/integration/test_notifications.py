"""Family notifications routed by `contact_prefere` (web/notifications/): the mail channel through a
real SMTP server (aiosmtpd), the HTTP SMS backend against a real HTTP server on loopback, fallback
from one channel to the other, and the delivery status in the request's internal timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine import api
from engine.db import utcnow
from engine.models import HistoryEvent, OutboxMessage, OutboxStatus, ProcessInstance, Visibility
from engine.outbox import MAX_ATTEMPTS
from tests.fixtures.integration import html, text
from web.accounts.models import User
from web.extensions import db
from web.notifications.models import Channel, DeliveryStatus, Notification
from web.notifications.routing import outbox_channels, record_delivery, send_outbox_message
from web.scheduler import run_outbox

PHONES = {"telephone": None, "mobile": "+33612345678"}
TOKEN = "jeton-fournisseur-de-test"


@pytest.fixture
def notify_app(app, app_factory, smtp_server, sms_provider):
    """An app on the test database with a real SMTP server and the HTTP SMS backend."""
    return app_factory(
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        MAIL_SUPPRESS_SEND=False,
        SMS_BACKEND="http",
        SMS_HTTP_URL=sms_provider.url,
        SMS_HTTP_TOKEN=TOKEN,
        SMS_SENDER="Mairie",
    )


PROFILES: dict[str, tuple[str, dict[str, Any]]] = {
    "mobile": ("famille", {"mobile": "+33600000001", "contact_prefere": "mobile"}),
    "mobile_sans_numero": ("famille", {"contact_prefere": "mobile"}),
    "courriel": ("famille", {"mobile": "+33600000003"}),
    "courriel_seul": ("famille", {}),
    "accueil": ("agent", {"groups": ["Accueil"]}),
}


class People(dict):
    """Accounts created on first use (Argon2 makes each one slow)."""

    def __init__(self, make_user):
        super().__init__()
        self.make_user = make_user

    def __missing__(self, name):
        role, profile = PROFILES[name]
        user = self[name] = self.make_user(role, **profile)
        return user


@pytest.fixture
def people(make_user):
    return People(make_user)


def refuse(app, family, agent) -> int:
    """File « Changement de téléphones » for the family and let the Accueil refuse it (no number
    changes, so the preference stays as set); returns the instance id."""
    with app.app_context():
        session = db.session()
        user = session.get(User, family.id)
        instance = api.start(session, "changement_telephone", user)
        (task,) = api.tasks_for(session, user)
        api.complete(session, task.id, user, dict(PHONES))
        (agent_task,) = api.queue_for(session, frozenset({"Accueil"}))[0]
        api.complete(session, agent_task.id, session.get(User, agent.id), {"decision": "refusee"})
        session.commit()
        return instance.id


def rows(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def notification(app, instance_id) -> Notification:
    with app.app_context():
        return db.session.execute(
            select(Notification).where(Notification.instance_id == instance_id)
        ).scalar_one()


def delivery_log(app, instance_id) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(
                select(HistoryEvent.label)
                .where(
                    HistoryEvent.instance_id == instance_id,
                    HistoryEvent.event_type == "notification_recorded",
                    HistoryEvent.visibility == Visibility.INTERNAL,
                )
                .order_by(HistoryEvent.id)
            ).scalars()
        )


def test_a_family_preferring_the_mobile_gets_an_sms_through_the_provider(
    app, notify_app, smtp_server, sms_provider, people
):
    instance_id = refuse(app, people["mobile"], people["accueil"])
    (row,) = rows(app)
    assert (row.channel, row.recipient, row.instance_id) == ("sms", "+33600000001", instance_id)
    assert "n'a pas été acceptée" in row.body_text
    assert notification(app, instance_id).status == DeliveryStatus.PENDING

    assert run_outbox(notify_app) == (1, 0)

    (request,) = sms_provider.requests
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["json"] == {
        "to": "+33600000001",
        "text": row.body_text,
        "sender": "Mairie",
        "id": row.message_id,
    }
    assert smtp_server.messages == []  # no mail: the SMS was enough
    assert notification(app, instance_id).status == DeliveryStatus.SENT
    assert delivery_log(app, instance_id) == [
        "Notification par SMS en attente d'envoi",
        "Notification envoyée par SMS",
    ]
    with app.app_context():  # the family never sees these entries
        public = [e.label for e in api.history(db.session(), db.session.get(ProcessInstance, instance_id))]
    assert not any("Notification" in label for label in public)


def test_the_default_preference_sends_the_templated_mail(app, notify_app, smtp_server, sms_provider, people):
    instance_id = refuse(app, people["courriel"], people["accueil"])
    (row,) = rows(app)
    assert (row.channel, row.recipient) == ("courriel", people["courriel"].email)
    assert run_outbox(notify_app) == (1, 0)
    (message,) = smtp_server.messages
    assert "pas été acceptée" in message["Subject"]
    assert sms_provider.requests == []
    assert delivery_log(app, instance_id)[-1] == "Notification envoyée par courriel"


def test_no_mobile_number_falls_back_to_the_mail_at_once(app, notify_app, smtp_server, people):
    instance_id = refuse(app, people["mobile_sans_numero"], people["accueil"])
    (row,) = rows(app)
    assert row.channel == "courriel"
    assert delivery_log(app, instance_id) == [
        "Notification : pas de numéro de mobile, repli sur le courriel",
        "Notification par courriel en attente d'envoi",
    ]
    assert run_outbox(notify_app) == (1, 0)
    assert len(smtp_server.messages) == 1


def test_an_sms_refused_by_the_provider_falls_back_to_the_mail(
    app, notify_app, smtp_server, sms_provider, people
):
    sms_provider.statuses = [400]
    instance_id = refuse(app, people["mobile"], people["accueil"])
    assert run_outbox(notify_app) == (0, 1)  # the SMS fails for good: a 4xx is not retried
    sms, mail = rows(app)
    assert (sms.channel, sms.status, mail.channel, mail.status) == ("sms", "failed", "courriel", "pending")
    assert "HTTP 400" in sms.last_error
    assert notification(app, instance_id).status == DeliveryStatus.FALLBACK

    assert run_outbox(notify_app) == (1, 0)
    (message,) = smtp_server.messages
    assert message["X-Envelope-To"] == people["mobile"].email
    assert "pas été acceptée" in message["Subject"]
    assert notification(app, instance_id).status == DeliveryStatus.SENT
    assert delivery_log(app, instance_id) == [
        "Notification par SMS en attente d'envoi",
        "Échec de la notification par SMS : repli sur le courriel",
        "Notification envoyée par courriel",
    ]


def test_a_provider_down_is_retried_then_the_mail_takes_over(
    app, notify_app, smtp_server, sms_provider, people
):
    sms_provider.statuses = [503]
    instance_id = refuse(app, people["mobile"], people["accueil"])
    later = utcnow()
    with notify_app.app_context():
        for attempt in range(1, MAX_ATTEMPTS + 1):
            later += timedelta(hours=7)  # past the longest backoff
            session = db.new_session()
            sent, failed = api.drain_outbox(
                session,
                send_outbox_message,
                now=later,
                channels=outbox_channels(notify_app),
                on_done=record_delivery,
            )
            session.close()
            if attempt < MAX_ATTEMPTS:
                assert (sent, failed) == (0, 0)  # tried again later
                assert notification(app, instance_id).status == DeliveryStatus.PENDING
    assert (sent, failed) == (0, 1)
    assert len(sms_provider.requests) == MAX_ATTEMPTS
    assert {r["json"]["id"] for r in sms_provider.requests} == {rows(app)[0].message_id}  # same SMS each time
    assert notification(app, instance_id).status == DeliveryStatus.FALLBACK
    assert run_outbox(notify_app) == (1, 0)
    assert len(smtp_server.messages) == 1
    assert notification(app, instance_id).status == DeliveryStatus.SENT


def test_a_refused_mail_falls_back_to_the_sms(app, notify_app, smtp_server, sms_provider, people):
    async def handle_rcpt(server, session, envelope, address, rcpt_options):
        return "550 5.1.1 Adresse inconnue"

    smtp_server.inbox.handle_RCPT = handle_rcpt
    instance_id = refuse(app, people["courriel"], people["accueil"])
    assert run_outbox(notify_app) == (0, 1)
    mail, sms = rows(app)
    assert (mail.status, sms.channel, sms.recipient) == (OutboxStatus.FAILED, "sms", "+33600000003")
    assert run_outbox(notify_app) == (1, 0)
    (request,) = sms_provider.requests
    assert "n'a pas été acceptée" in request["json"]["text"]
    assert notification(app, instance_id).status == DeliveryStatus.SENT
    assert delivery_log(app, instance_id)[1] == "Échec de la notification par courriel : repli sur le SMS"


def test_when_both_channels_fail_the_status_is_echec(app, notify_app, smtp_server, sms_provider, people):
    async def handle_rcpt(server, session, envelope, address, rcpt_options):
        return "550 5.1.1 Adresse inconnue"

    smtp_server.inbox.handle_RCPT = handle_rcpt
    sms_provider.statuses = [400]
    instance_id = refuse(app, people["mobile"], people["accueil"])
    assert run_outbox(notify_app) == (0, 1)  # SMS refused → mail
    assert run_outbox(notify_app) == (0, 1)  # mail refused → nothing left
    assert notification(app, instance_id).status == DeliveryStatus.FAILED
    assert delivery_log(app, instance_id)[-1] == "Échec de la notification par courriel"
    assert len(rows(app)) == 2  # no third try, no loop


def test_the_development_backend_shows_the_sms_on_the_dev_outbox_page(app, people, client_for):
    assert app.config["SMS_BACKEND"] == "developpement"
    instance_id = refuse(app, people["mobile"], people["accueil"])
    assert run_outbox(app) == (1, 0)  # « sent » to the log; no SMTP server is needed
    assert notification(app, instance_id).status == DeliveryStatus.SENT
    page = client_for(people["accueil"]).get("/dev/courriels/")
    assert "+33600000001" in text(page)
    assert "SMS : Votre demande" in text(page)
    (row,) = rows(app)
    shown = client_for(people["accueil"]).get(f"/dev/courriels/{row.id}")
    assert "n'a pas été acceptée" in text(shown)
    assert html(shown) is not None


def test_the_agent_sees_the_delivery_in_the_request_timeline(
    app, notify_app, sms_provider, people, client_for
):
    instance_id = refuse(app, people["mobile"], people["accueil"])
    run_outbox(notify_app)
    page = text(client_for(people["accueil"]).get(f"/agents/demandes/{instance_id}", follow_redirects=True))
    assert "Notification envoyée par SMS" in page
    family_page = text(client_for(people["mobile"]).get(f"/mes-demandes/{instance_id}"))
    assert "Notification" not in family_page


def test_a_family_without_any_channel_is_recorded_as_echec(session, people):
    from web.notifications.routing import notify

    user = session.get(User, people["courriel_seul"].id)
    user.email = ""  # a legacy account without e-mail and without mobile
    result = notify(session, user, "Bonjour")
    assert (result.status, result.channel) == (DeliveryStatus.FAILED, Channel.COURRIEL)
    assert session.execute(select(OutboxMessage)).scalars().all() == []
    session.rollback()
