"""Reminder and escalation boundary timers of workflows/changement_telephone.bpmn, fired by
engine.api.fire_due_timers under a travelling clock (time-machine): SpiffWorkflow compares timers
with the real `datetime.now`, so `now` alone would not make them fall due."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from engine import api
from engine.db import utcnow
from engine.instances import start as live_start  # the row itself: these tests read it as it changes
from engine.models import HistoryEvent, HumanTaskState, InstanceStatus, OutboxMessage, Visibility
from tests.fixtures.tasks import lane_task
from web.delais.services import LATE_MESSAGE

PHONES = {"telephone": "+33123456789", "mobile": "+33612345678"}


@pytest.fixture
def people(make_user):
    return {
        "famille": make_user("famille"),
        "accueil": make_user("agent", groups=["Accueil"]),
        "accueil2": make_user("agent", groups=["Accueil"]),
        "etat_civil": make_user("agent", groups=["Etat civil"]),
        "admin": make_user("admin", groups=["Accueil"]),
    }


def submit(session, family):
    instance = live_start(session, "changement_telephone", family)
    (task,) = api.tasks_for(session, family)
    api.complete(session, task.id, family, dict(PHONES))
    session.commit()
    return instance


def agent_task(session, instance):
    return lane_task(session, instance.id)


def events(session, instance, event_type):
    return (
        session.execute(
            select(HistoryEvent).where(
                HistoryEvent.instance_id == instance.id, HistoryEvent.event_type == event_type
            )
        )
        .scalars()
        .all()
    )


def outbox(session):
    return session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_reminder_then_escalation_keep_the_request_open_until_the_agent_decides(session, people):
    instance = submit(session, people["famille"])
    deadline = instance.deadline_at
    assert deadline - instance.submitted_at == timedelta(days=15)
    assert instance.next_timer_at == deadline - timedelta(days=3)  # the reminder comes first
    assert api.fire_due_timers(session) == 0

    # Three days before the maximum duration: the agents are reminded, the task stays open.
    with time_machine.travel(deadline - timedelta(days=3) + timedelta(minutes=5)):
        assert api.fire_due_timers(session) == 1
        assert api.fire_due_timers(session) == 0  # fires exactly once
    session.refresh(instance)
    task = agent_task(session, instance)
    session.refresh(task)
    assert task.state == HumanTaskState.OPEN
    assert task.reminded_at is not None
    assert task.escalated_at is None
    assert instance.status == InstanceStatus.RUNNING
    assert instance.status_label == "En cours d'instruction"
    assert instance.next_timer_at == deadline  # the escalation is next
    (reminded,) = events(session, instance, "task_reminded")
    assert reminded.visibility == Visibility.INTERNAL
    assert "relancée" in reminded.label
    mails = outbox(session)
    assert sorted(m.recipient for m in mails) == sorted(
        people[name].email
        for name in ("accueil", "accueil2", "admin")  # the lane's agents only
    )
    assert all(m.subject.startswith("Relance : la demande " + instance.reference) for m in mails)
    assert f"/taches/{task.id}" in mails[0].body_text
    assert f"/agents/dossiers/{instance.id}" in mails[0].body_text  # the agents' one page
    assert api.history(session, instance)[-1].label == "En cours d'instruction"  # nothing public

    # The maximum duration: escalated (« en retard »), never closed.
    with time_machine.travel(deadline + timedelta(minutes=5)):
        assert api.fire_due_timers(session) == 1
        assert api.fire_due_timers(session) == 0
    session.refresh(instance)
    session.refresh(task)
    assert instance.status == InstanceStatus.RUNNING
    assert instance.next_timer_at is None
    assert task.state == HumanTaskState.OPEN
    assert task.escalated_at is not None
    assert task.reminded_at < task.escalated_at
    (escalated,) = events(session, instance, "instance_escalated")
    assert escalated.visibility == Visibility.INTERNAL
    public = [e.label for e in api.history(session, instance)]
    assert public[-1] == LATE_MESSAGE
    late_mails = [m for m in outbox(session) if m.subject.startswith("En retard")]
    assert sorted(m.recipient for m in late_mails) == sorted(
        people[name].email for name in ("accueil", "accueil2", "admin")
    )
    # The family is told too, on its preferred channel (courriel by default).
    (family_mail,) = [m for m in outbox(session) if m.recipient == people["famille"].email]
    assert "a pris du retard" in family_mail.body_text
    assert family_mail.notification_id is not None

    # The agent still decides; the request ends normally.
    api.complete(session, task.id, people["accueil"], {"decision": "acceptee"})
    session.commit()
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.status_label == "Acceptée"
    assert instance.next_timer_at is None


def test_a_decision_before_the_reminder_cancels_both_timers(session, people):
    instance = submit(session, people["famille"])
    api.complete(session, agent_task(session, instance).id, people["accueil"], {"decision": "refusee"})
    session.commit()
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.next_timer_at is None
    with time_machine.travel(instance.deadline_at + timedelta(days=1)):
        assert api.fire_due_timers(session) == 0
    assert events(session, instance, "task_reminded") == []
    assert events(session, instance, "instance_escalated") == []


def test_a_draft_kept_for_days_does_not_eat_into_the_deadline_of_its_timers(session, people):
    """The family kept the form as a draft for 13 of the 15 days: the request is filed when it is
    sent, so its deadline, and the reminder and escalation timers dated from it, count from then."""
    with time_machine.travel(utcnow() - timedelta(days=13)):
        instance = live_start(session, "changement_telephone", people["famille"])
        session.commit()
    (task,) = api.tasks_for(session, people["famille"])
    api.complete(session, task.id, people["famille"], dict(PHONES))
    session.commit()
    assert instance.deadline_at - instance.submitted_at == timedelta(days=15)
    assert agent_task(session, instance).reminded_at is None
    assert events(session, instance, "task_reminded") == []
    assert instance.next_timer_at == instance.deadline_at - timedelta(days=3)
    assert api.fire_due_timers(session) == 0
