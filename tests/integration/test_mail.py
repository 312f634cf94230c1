"""Mails through the outbox to a real SMTP server (aiosmtpd on loopback), and the development outbox page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from engine import api
from engine.db import utcnow
from engine.models import HumanTask, HumanTaskState, OutboxMessage, OutboxStatus
from engine.outbox import enqueue_mail
from tests.fixtures.app import PASSWORD
from tests.fixtures.integration import (
    decide,
    drain_while_another_worker_runs,
    file_address_change,
    html,
    outbox,
    text,
)
from web.accounts.models import User
from web.extensions import db
from web.scheduler import run_outbox


@pytest.fixture
def mail_app(app, app_factory, smtp_server):
    """A second app on the same database whose outbox job talks to the test SMTP server.

    TESTING=True makes Flask-Mail suppress sending unless told otherwise.
    """
    return app_factory(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_SUPPRESS_SEND=False)


@pytest.fixture
def accepted(app, people, client_for):
    """A request accepted by the Accueil through the portal; its mail waits in the outbox."""
    filed = file_address_change(app, client_for(people["famille"]))
    response = decide(client_for(people["accueil"]), filed.agent_task_id, "acceptee", "Tout est en ordre.")
    assert response.status_code == 302
    return filed


def test_the_acceptance_mail_reaches_the_family(app, mail_app, smtp_server, people, accepted):
    (row,) = outbox(app)
    assert row.status == OutboxStatus.PENDING
    assert smtp_server.messages == []  # nothing is sent before the outbox job runs

    assert run_outbox(mail_app) == (1, 0)

    (message,) = smtp_server.messages
    family = people["famille"]
    assert message["X-Envelope-To"] == family.email
    assert message["To"] == family.email
    assert message["Subject"] == f"Votre demande {accepted.reference} est acceptée"
    assert message.get_all("Message-ID") == [row.message_id]
    assert row.message_id.endswith("@ville.example>")
    assert message["From"] == "Guichet <ne-pas-repondre@ville.example>"
    plain = message.get_body(preferencelist=("plain",)).get_content()
    rich = message.get_body(preferencelist=("html",)).get_content()
    assert "Bonjour Camille Martin," in plain
    assert f"http://guichet.test/mes-demandes/{accepted.instance_id}" in plain
    assert "12 rue de la Mairie" in plain
    assert f'href="http://guichet.test/mes-demandes/{accepted.instance_id}"' in rich
    with app.app_context():
        password_hash = db.session.get(User, family.id).password_hash
    for body in (plain, rich, message.as_string()):
        assert PASSWORD not in body
        assert password_hash not in body

    (row,) = outbox(app)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 1, None)
    assert row.sent_at is not None
    assert run_outbox(mail_app) == (0, 0)  # sent exactly once
    assert len(smtp_server.messages) == 1


def test_a_451_keeps_the_mail_pending_then_it_is_sent_once(app, mail_app, smtp_server, accepted):
    smtp_server.inbox.reply = "451 Try later"
    before = utcnow()
    assert run_outbox(mail_app) == (0, 0)
    (row,) = outbox(app)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert "451" in (row.last_error or "")
    assert row.next_attempt_at > before
    assert smtp_server.messages == []

    smtp_server.inbox.reply = None  # the server is back, but the retry is not due yet
    assert run_outbox(mail_app) == (0, 0)
    assert outbox(app)[0].attempts == 1
    assert smtp_server.messages == []

    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        assert run_outbox(mail_app) == (1, 0)
        assert run_outbox(mail_app) == (0, 0)
    (message,) = smtp_server.messages
    assert message.get_all("Message-ID") == [row.message_id]
    (row,) = outbox(app)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)


def test_a_rolled_back_transaction_sends_nothing(app, mail_app, smtp_server, people, client_for):
    filed = file_address_change(app, client_for(people["famille"]))
    with app.app_context():
        session = db.session()
        agent = session.get(User, people["accueil"].id)
        api.complete(session, filed.agent_task_id, agent, {"decision": "acceptee"})
        session.flush()
        written = session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
        assert written == 1  # the acceptance mail is in the transaction...
        session.rollback()  # ...which fails
    assert run_outbox(mail_app) == (0, 0)
    assert smtp_server.messages == []
    assert outbox(app) == []
    with app.app_context():
        assert db.session.get(HumanTask, filed.agent_task_id).state == HumanTaskState.OPEN
        assert db.session.get(User, people["famille"].id).address_lines == []


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("famille@example.test", "Votre demande\r\nBcc: victime@example.test"),
        ("famille@example.test", "Votre demande\nBcc: victime@example.test"),
        ("famille@example.test", "Votre demande\rBcc: victime@example.test"),
        ("famille@example.test\r\nBcc: victime@example.test", "Votre demande"),
        ("famille@example.test\nBcc: victime@example.test", "Votre demande"),
    ],
)
def test_line_breaks_in_headers_are_refused(session, to, subject):
    with pytest.raises(ValueError, match="line breaks"):
        enqueue_mail(session, to=to, subject=subject, body_text="Bonjour")
    assert not session.new
    session.flush()
    assert session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0


def test_the_dev_outbox_page_lists_the_mail_when_no_server_is_set(app, people, client_for, accepted):
    assert app.config["MAIL_SERVER"] is None
    assert run_outbox(app) == (0, 0)  # no server: the mail stays in the outbox
    client = client_for(people["famille"])
    listing = client.get("/dev/courriels/")
    assert listing.status_code == 200
    (row,) = html(listing).xpath("//table/tbody/tr")
    cells = " ".join(row.text_content().split())
    assert people["famille"].email in cells
    assert f"Votre demande {accepted.reference} est acceptée" in cells
    assert "En attente" in cells
    (message,) = outbox(app)
    assert row.xpath(".//a")[0].get("href") == f"/dev/courriels/{message.id}"
    page = client.get(f"/dev/courriels/{message.id}")
    assert page.status_code == 200
    assert f"http://guichet.test/mes-demandes/{accepted.instance_id}" in text(page)
    assert "Courriels (développement)" in text(client.get("/"))


@pytest.mark.parametrize(
    "overrides",
    [{"DEV_OUTBOX": False}, {"ENV": "production", "DEV_OUTBOX": True}, {"MAIL_SERVER": "smtp.ville.test"}],
    ids=["off", "production", "mail-server"],
)
def test_the_dev_outbox_page_is_404_when_off(app, app_factory, accepted, overrides):
    quiet = app_factory(**overrides)
    assert quiet.config["DEV_OUTBOX"] is False
    client = quiet.test_client()
    (message,) = outbox(app)
    for url in ("/dev/courriels/", f"/dev/courriels/{message.id}"):
        response = client.get(url, base_url="https://localhost")
        assert response.status_code == 404
        assert "Page introuvable" in text(response)
    assert "Courriels (développement)" not in text(client.get("/", base_url="https://localhost"))
    assert app.test_client().get("/dev/courriels/").status_code == 200  # the development app still has it


def test_two_outbox_workers_never_send_the_same_mail(app, mail_app, smtp_server, accepted):
    assert drain_while_another_worker_runs(mail_app) == ((1, 0), (0, 0))
    assert len(smtp_server.messages) == 1
    (row,) = outbox(app)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)
