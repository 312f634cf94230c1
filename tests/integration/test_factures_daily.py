"""The invoices' daily job (web/factures/daily.py) under a frozen clock: the reconciliation report mailed to
the finance agents through the outbox and the real aiosmtpd server, once per day; the late invoices'
reminder, once per invoice; the scheduler, Celery beat and `guichet factures quotidien`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from engine.models import OutboxMessage
from tests.integration.factures_world import NOW, bank_answer, invoices, start_payment  # noqa: F401
from web import scheduler
from web.extensions import db
from web.factures.cli import invoices_group
from web.factures.daily import run_daily, send_late_reminders, send_reconciliation
from web.factures.models import Invoice
from web.scheduler import run_outbox

NEXT_MORNING = datetime(2026, 12, 8, 5, 0, tzinfo=UTC)  # 6:00 in Paris, the day after NOW
NOTIFY = "/factures/paiement/notification"


@pytest.fixture
def day_of_payments(app, people, client_for, make_user, invoices):  # noqa: F811
    """On NOW: MARTIN pays « nov » (98,80 €) and the bank refuses « late »; two finance agents, and an
    agent of another service who must get nothing."""
    agents = {
        "ines": make_user("agent", groups=["Finances"], prenom="Inès", nom="Garnier"),
        "paul": make_user("agent", groups=["Finances", "Accueil"], prenom="Paul", nom="Roux"),
        "accueil": make_user("agent", groups=["Accueil"]),
    }
    with time_machine.travel(NOW, tick=False):
        famille = client_for(people["famille"])
        bank = app.test_client()
        paid = start_payment(famille, [invoices["nov"]])
        assert bank.post(NOTIFY, data=bank_answer(paid)).status_code == 200
        refused = start_payment(famille, [invoices["late"]])
        assert bank.post(NOTIFY, data=bank_answer(refused, ok=False, reason="refus")).status_code == 200
    return agents


def mails(app, prefix: str) -> list[OutboxMessage]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.message_id.like(f"<{prefix}-%"))
                .order_by(OutboxMessage.id)
            )
        )


def test_the_report_reaches_each_finance_agent_once_over_smtp(app, app_factory, smtp_server, day_of_payments):
    agents = day_of_payments
    with time_machine.travel(NEXT_MORNING, tick=False), app.app_context():
        assert send_reconciliation(db.session()) == 2
        db.session.commit()
        assert send_reconciliation(db.session()) == 0  # a second run the same day sends nothing
        db.session.commit()
    with time_machine.travel(NEXT_MORNING.replace(hour=20), tick=False), app.app_context():
        assert send_reconciliation(db.session()) == 0  # still the same day in Paris
    assert [m.recipient for m in mails(app, "rapprochement")] == [agents["ines"].email, agents["paul"].email]
    mail_app = app_factory(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_SUPPRESS_SEND=False)
    with time_machine.travel(NEXT_MORNING, tick=False):
        run_outbox(mail_app)
    received = {m["X-Envelope-To"]: m for m in smtp_server.messages if "Rapprochement" in m["Subject"]}
    assert set(received) == {agents["ines"].email, agents["paul"].email}
    message = received[agents["ines"].email]
    assert message["Subject"].replace("\xa0", " ") == "Rapprochement du 07/12/2026 : 98,80 € encaissés"
    assert message["Message-ID"] == f"<rapprochement-{agents['ines'].id}-2026-12-07@ville.example>"
    body = message.get_body(("plain",)).get_content().replace("\xa0", " ")
    for expected in (
        "Bonjour Inès Garnier,",
        "paiements en ligne du 07/12/2026",
        "Encaissé : 98,80 € (1 paiement(s))",
        "module dummy : 1 paiement(s), 98,80 €",
        "Refusés ou annulés : 1",
        "Encore en attente de la banque : 0",
        "À vérifier par un agent : 0",
        "/agents/factures/rapprochement?jour=2026-12-07&format=csv",
    ):
        assert expected in body, expected
    html = message.get_body(("html",)).get_content()
    assert "/agents/factures/rapprochement?jour=2026-12-07&amp;format=csv" in html


def test_the_linked_csv_lists_the_day_for_a_finance_agent_only(app, client_for, people, day_of_payments):
    link = "/agents/factures/rapprochement?jour=2026-12-07&format=csv"
    with time_machine.travel(NEXT_MORNING, tick=False):
        csv = client_for(day_of_payments["ines"]).get(link)
        assert csv.status_code == 200
        lines = csv.get_data(as_text=True).strip().splitlines()
        assert len(lines) == 3  # the header, the payment made, the payment refused
        assert any(";payé;" in line and "98.8" in line for line in lines), lines
        assert client_for(day_of_payments["accueil"]).get(link).status_code == 403
        assert client_for(people["famille"]).get(link).status_code == 403


def test_a_day_with_nothing_to_report_sends_nothing(app, make_user):
    make_user("agent", groups=["Finances"])
    with time_machine.travel(NEXT_MORNING, tick=False), app.app_context():
        assert send_reconciliation(db.session()) == 0
    assert mails(app, "rapprochement") == []


def test_a_payment_to_check_is_named_in_the_report(app, people, client_for, make_user, invoices):  # noqa: F811
    agent = make_user("agent", groups=["Finances"])
    with time_machine.travel(NOW, tick=False):
        asked = start_payment(client_for(people["famille"]), [invoices["nov"]])
        forged = bank_answer(asked, amount="1.00")  # not the amount asked: rejected, flagged
        assert app.test_client().post(NOTIFY, data=forged).status_code == 400
    with time_machine.travel(NEXT_MORNING, tick=False), app.app_context():
        assert send_reconciliation(db.session()) == 1
        db.session.commit()
    (mail,) = mails(app, "rapprochement")
    assert mail.recipient == agent.email
    assert (
        mail.subject.replace("\xa0", " ")
        == "Rapprochement du 07/12/2026 : 0,00 € encaissés, 1 paiement(s) à vérifier"
    )
    body = mail.body_text.replace("\xa0", " ")
    assert "Encore en attente de la banque : 1" in body
    assert "Réponses de la banque rejetées : 1" in body
    assert f"{asked['orderid']} (98,80 €, en attente)" in body


def test_late_invoices_are_reminded_once_each(app, people, smtp_server, app_factory, invoices):  # noqa: F811
    with time_machine.travel(NOW, tick=False), app.app_context():
        assert send_late_reminders(db.session()) == 1  # « late » (due 03/12); « nov » is due 02/01/2027
        db.session.commit()
        assert send_late_reminders(db.session()) == 0
        db.session.commit()
        late = db.session.get(Invoice, invoices["late"])
        assert late.reminded_at == NOW
        assert late.shown_status(NOW.date()) == "en retard"
        assert any("relance, 1 courriel(s) à la famille" in e.text for e in late.events)
    (reminder,) = mails(app, "facture-retard")
    assert reminder.recipient == people["famille"].email
    assert reminder.subject.replace("\xa0", " ") == "Facture FAC-2026-000002 en retard : 46,20 € à payer"
    assert f"/factures/{invoices['late']}" in reminder.body_text
    with time_machine.travel(datetime(2027, 1, 3, 8, 0, tzinfo=UTC), tick=False), app.app_context():
        assert send_late_reminders(db.session()) == 2  # « nov » is now late, and BERNARD's invoice
        db.session.commit()
    mail_app = app_factory(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_SUPPRESS_SEND=False)
    with time_machine.travel(datetime(2027, 1, 3, 8, 0, tzinfo=UTC), tick=False):
        run_outbox(mail_app)
    subjects = sorted(m["Subject"].replace("\xa0", " ") for m in smtp_server.messages)
    assert subjects == [
        "Facture FAC-2026-000001 en retard : 98,80 € à payer",
        "Facture FAC-2026-000002 en retard : 46,20 € à payer",
        "Facture FAC-2026-000003 en retard : 95,00 € à payer",
    ]


def test_a_paid_or_cancelled_invoice_is_not_reminded(app, people, client_for, invoices):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        famille = client_for(people["famille"])
        asked = start_payment(famille, [invoices["late"]])
        assert app.test_client().post(NOTIFY, data=bank_answer(asked)).status_code == 200
        with app.app_context():
            assert send_late_reminders(db.session()) == 0
    assert mails(app, "facture-retard") == []


def test_the_dashboard_says_en_retard(app, people, client_for, invoices):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        page = client_for(people["famille"]).get("/").get_data(as_text=True).replace("\xa0", " ")
    assert "2 facture(s) à payer" in page
    assert "dont 1 en retard" in page


def test_the_job_the_cli_and_the_schedules(app, app_factory, day_of_payments):
    runner = app.test_cli_runner()
    with time_machine.travel(NEXT_MORNING, tick=False):
        first = runner.invoke(invoices_group, ["quotidien"])
        assert first.exit_code == 0, first.output
        assert "Rapports de rapprochement mis en file d'envoi : 2." in first.output
        assert "Factures en retard relancées : 1." in first.output  # « late »: its payment was refused
        assert run_daily(app) == (0, 0)  # the same day again: nothing more
    configured = scheduler._configure(BackgroundScheduler(), app_factory(INVOICE_DAILY_HOUR=5))
    trigger = configured.get_job("factures").trigger
    assert {f.name: str(f) for f in trigger.fields}["hour"] == "5"
    assert str(trigger.timezone) == "Europe/Paris"
    from web.celery_app import make_celery

    celery = make_celery(app_factory(CELERY_BROKER_URL="memory://", INVOICE_DAILY_HOUR=5))
    assert "guichet.factures_daily" in celery.tasks
    assert celery.conf.beat_schedule["factures-quotidien"]["task"] == "guichet.factures_daily"
