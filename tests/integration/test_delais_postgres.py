"""Reminder, escalation, SMS notification and the daily digest on the real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from engine import api
from engine.models import (
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    OutboxMessage,
    OutboxStatus,
    ProcessInstance,
)
from tests.fixtures.integration import create_account
from web.accounts.models import User
from web.delais.digest import send_digests
from web.extensions import db
from web.notifications.models import DeliveryStatus, Notification
from web.scheduler import run_outbox, run_timers

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("clock")]  # a digest day must not cross midnight


def test_reminder_escalation_and_sms_on_postgresql(pg_app):
    family = create_account(
        pg_app, username="pg-famille", mobile="+33600000009", contact_prefere="mobile", nom="Roux"
    )
    agent = create_account(pg_app, "agent", groups=("Accueil",), username="pg-agent", nom="Faure")
    with pg_app.app_context():
        session = db.session()
        requester = session.get(User, family.id)
        instance = api.start(session, "changement_telephone", requester)
        (task,) = api.tasks_for(session, requester)
        api.complete(session, task.id, requester, {"telephone": None, "mobile": "+33600000009"})
        session.commit()
        instance_id, deadline = instance.id, instance.deadline_at

    with time_machine.travel(deadline - timedelta(days=3) + timedelta(minutes=1)):
        assert run_timers(pg_app) == 1
        assert run_timers(pg_app) == 0
    with time_machine.travel(deadline + timedelta(minutes=1)):
        assert run_timers(pg_app) == 1
    with pg_app.app_context():
        session = db.session()
        (row,) = session.execute(select(HumanTask).where(HumanTask.lane == "Accueil")).scalars()
        assert row.state == HumanTaskState.OPEN
        assert row.reminded_at < row.escalated_at
        assert session.get(ProcessInstance, instance_id).status == InstanceStatus.RUNNING
        sms = session.execute(select(OutboxMessage).where(OutboxMessage.channel == "sms")).scalar_one()
        assert sms.recipient == "+33600000009"
        assert "a pris du retard" in sms.body_text
        assert send_digests(session, deadline + timedelta(hours=2)) == 1
        assert send_digests(session, deadline + timedelta(hours=3)) == 0  # same day: once
        (digest,) = session.execute(
            select(OutboxMessage).where(
                OutboxMessage.recipient == agent.email, OutboxMessage.subject.like("Résumé%")
            )
        ).scalars()
        assert "dont 1 en retard" in digest.subject

    # No SMTP server: the SMS goes through the development backend, mails wait in the outbox.
    with time_machine.travel(deadline + timedelta(hours=1)):  # the SMS was written then
        assert run_outbox(pg_app) == (1, 0)
    with pg_app.app_context():
        session = db.session()
        assert session.get(OutboxMessage, sms.id).status == OutboxStatus.SENT
        notification = session.execute(select(Notification)).scalar_one()
        assert notification.status == DeliveryStatus.SENT
