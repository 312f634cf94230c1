"""The SMS provider out of reach (503, then back): the SMS channel has the mail's outage state — the
batch stops at the first « indisponible », the channel is marked failing, the admins are alerted once
after an hour, and the first SMS that leaves again makes the waiting ones due at once; each SMS is
sent once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from engine.models import OutboxChannelState, OutboxStatus
from engine.outbox import enqueue_mail
from tests.fixtures.integration import outbox
from web.extensions import db
from web.scheduler import run_outbox

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
ALERT_SUBJECT = "Les courriels ne partent plus"


def enqueue_sms(app, count: int) -> None:
    with app.app_context():
        session = db.new_session()
        for n in range(count):
            enqueue_mail(
                session, to=f"+3361234567{n}", subject=f"SMS : {n}", body_text=f"Message {n}.", channel="sms"
            )
        session.commit()
        session.close()


def sms_state(app) -> OutboxChannelState | None:
    with app.app_context():
        return db.session.execute(
            select(OutboxChannelState).where(OutboxChannelState.channel == "sms")
        ).scalar_one_or_none()


def test_an_sms_provider_outage_is_an_outage_of_the_channel_like_the_mail_s(
    app, app_factory, sms_provider, make_user
):
    make_user("admin", email="admin@ville.test")
    sms_app = app_factory(SMS_BACKEND="http", SMS_HTTP_URL=sms_provider.url, SMS_HTTP_TOKEN="jeton")
    sms_provider.statuses = [503]
    with time_machine.travel(T0, tick=False) as clock:
        enqueue_sms(app, 3)
        assert run_outbox(sms_app) == (0, 0)
        assert len(sms_provider.requests) == 1  # the batch stops at the first « indisponible »
        state = sms_state(app)
        assert state is not None
        assert state.failing_since == T0
        assert "fournisseur SMS indisponible : HTTP 503" in (state.last_error or "")
        assert {row.status for row in outbox(app)} == {OutboxStatus.PENDING}

        for minutes in range(5, 70, 5):  # an hour and more of outage: tried again, alerted once
            clock.move_to(T0 + timedelta(minutes=minutes))
            run_outbox(sms_app)
        alerts = [row for row in outbox(app) if row.channel == "courriel"]
        assert [row.recipient for row in alerts] == ["admin@ville.test"]
        assert "SMS" in alerts[0].body_text

        sms_provider.statuses = [200]
        clock.move_to(T0 + timedelta(minutes=70))
        enqueue_sms(app, 1)  # a new SMS, due at once, is the first to get through…
        before = len(sms_provider.requests)
        sent, _ = run_outbox(sms_app)
        assert sent >= 1
        assert sms_state(app).failing_since is None  # the outage is over
        # …and the others are due now, not at the end of their own backoff
        assert all(
            row.next_attempt_at <= T0 + timedelta(minutes=70)
            for row in outbox(app)
            if row.channel == "sms" and row.status == OutboxStatus.PENDING
        )
        run_outbox(sms_app)
    sms_rows = [row for row in outbox(app) if row.channel == "sms"]
    assert {row.status for row in sms_rows} == {OutboxStatus.SENT}
    delivered = Counter(request["json"]["id"] for request in sms_provider.requests[before:])
    assert set(delivered) == {row.message_id for row in sms_rows}
    assert set(delivered.values()) == {1}  # each SMS accepted once after the outage
