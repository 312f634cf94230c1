"""A day-long SMTP outage: every mail waits (capped backoff, never « échec »), the admins are alerted
once after an hour, the « File d'envoi » page shows the backlog, and everything leaves as soon as
the server answers again, each mail once."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

import time_machine

from engine.models import OutboxStatus
from tests.fixtures.app import login
from tests.fixtures.integration import outbox
from web.scheduler import run_outbox

from .helpers import enqueue

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
ALERT_SUBJECT = "Les courriels ne partent plus"


def test_a_day_long_outage_loses_nothing_alerts_once_and_resumes_at_once(
    app, app_factory, smtp_server, make_user, caplog
):
    admin = make_user("admin", email="admin@ville.test")
    mail_app = app_factory(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_SUPPRESS_SEND=False)
    smtp_server.stop()
    caplog.set_level(logging.ERROR, logger="web.scheduler")
    with time_machine.travel(T0, tick=False) as clock:
        enqueue(app, 3)
        now = T0
        while now < T0 + timedelta(hours=24):
            assert run_outbox(mail_app) == (0, 0)
            rows = outbox(app)
            assert {row.status for row in rows} == {OutboxStatus.PENDING}  # nothing given up
            # capped backoff: every mail is tried again within 15 minutes (GUICHET_OUTBOX_RETRY_MAX_SECONDS)
            assert all(row.next_attempt_at <= now + timedelta(minutes=15) for row in rows)
            now += timedelta(minutes=5)
            clock.move_to(now)
        alerts = [row for row in outbox(app) if row.subject.startswith(ALERT_SUBJECT)]
        assert [row.recipient for row in alerts] == ["admin@ville.test"]  # once, not every run
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1
        assert "failing since 2026-12-07T08:00:00" in errors[0].getMessage()
        # kept trying all day (one try per run while the server is down: it is not asked 50 times)
        assert min(row.attempts for row in outbox(app) if row.id != alerts[0].id) > 24

        client = app.test_client()
        login(client, admin)
        page = client.get("/admin/file-envoi").get_data(as_text=True)
        assert "le serveur d'envoi ne répond pas depuis le" in page
        assert "4 messages en attente" in page

        smtp_server.start()
        assert run_outbox(mail_app) == (4, 0)  # the probe sees the server back: all due at once
    received = Counter(message["Message-ID"] for message in smtp_server.messages)
    assert set(received.values()) == {1}
    assert len(received) == 4
    assert {row.status for row in outbox(app)} == {OutboxStatus.SENT}
    assert run_outbox(mail_app) == (0, 0)


def test_a_successful_send_makes_the_mails_waiting_after_an_outage_due_at_once(app, app_factory, smtp_server):
    mail_app = app_factory(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_SUPPRESS_SEND=False)
    smtp_server.stop()
    with time_machine.travel(T0, tick=False) as clock:
        enqueue(app, 3)
        for seconds in (0, 10, 20):  # one try per run while the server is down
            clock.move_to(T0 + timedelta(seconds=seconds))
            assert run_outbox(mail_app) == (0, 0)
        waiting = outbox(app)
        assert all(row.attempts == 1 for row in waiting)
        assert all(row.next_attempt_at > T0 + timedelta(seconds=30) for row in waiting)  # backing off

        clock.move_to(T0 + timedelta(seconds=30))  # too soon for a probe (one a minute at most)
        smtp_server.start()
        enqueue(app, 1)  # a new mail, due at once, is the first to get through…
        assert run_outbox(mail_app) == (1, 0)
        # …and the three waiting ones are due now, not at the end of their own delay
        waiting = [row for row in outbox(app) if row.status == OutboxStatus.PENDING]
        assert len(waiting) == 3
        assert all(row.next_attempt_at <= T0 + timedelta(seconds=30) for row in waiting)
        assert run_outbox(mail_app) == (3, 0)
    assert len(smtp_server.messages) == 4
