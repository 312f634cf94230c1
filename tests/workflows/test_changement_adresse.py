"""Scenario tests of workflows/changement_adresse.bpmn through engine.api, lane by lane."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from engine import api
from engine.db import utcnow
from engine.errors import Conflict, NotFound
from engine.instances import start as live_start  # the row itself: these tests read it as it changes
from engine.models import HistoryEvent, HumanTaskState, InstanceStatus, OutboxMessage, Visibility
from tests.fixtures.tasks import only_queued_task
from web.accounts.models import User
from web.delais.services import LATE_MESSAGE
from web.extensions import db

ADDRESS = {
    "adresse_ligne1": "12 rue de la Mairie",
    "adresse_ligne2": "",
    "code_postal": "78140",
    "commune": "Vélizy-Villacoublay",
    "date_effet": date(2026, 11, 2),
}


@pytest.fixture
def people(make_user):
    return {
        "famille": make_user("famille"),
        "autre_famille": make_user("famille"),
        "accueil": make_user("agent", groups=["Accueil"]),
        "accueil2": make_user("agent", groups=["Accueil"]),
        "etat_civil": make_user("agent", groups=["Etat civil"]),
        "admin": make_user("admin"),
    }


def submit(session, family):
    instance = live_start(session, "changement_adresse", family)
    (task,) = api.tasks_for(session, family)
    api.complete(session, task.id, family, ADDRESS)
    session.commit()
    return instance


agent_task = only_queued_task


def public_labels(session, instance):
    return [e.label for e in api.history(session, instance) if e.event_type == "status_changed"]


def test_family_submits_and_agent_accepts(session, people):
    instance = submit(session, people["famille"])
    assert instance.status_label == "En cours d'instruction"
    assert instance.reference.startswith(f"DEM-{datetime.now(UTC).year}-")
    task = agent_task(session, people["accueil"])
    assert task.form_key == "changement_adresse.instruction"
    assert task.lane == "Accueil"

    api.complete(
        session,
        task.id,
        people["accueil"],
        {"decision": "acceptee"},
        public_comment="Justificatif conforme",
        internal_comment="Vérifié au guichet",
    )
    session.commit()

    assert instance.status == InstanceStatus.COMPLETED
    assert instance.status_label == "Acceptée"
    family = session.get(User, people["famille"].id)
    assert (family.adresse_ligne1, family.code_postal, family.commune, family.adresse_date_effet) == (
        "12 rue de la Mairie",
        "78140",
        "Vélizy-Villacoublay",
        date(2026, 11, 2),
    )
    assert public_labels(session, instance) == ["En cours de saisie", "En cours d'instruction", "Acceptée"]
    public = api.history(session, instance)
    assert "Vérifié au guichet" not in [e.comment for e in public]
    assert "Justificatif conforme" in [e.comment for e in public]
    internal = api.history(session, instance, include_internal=True)
    assert "Vérifié au guichet" in [e.comment for e in internal if e.visibility == Visibility.INTERNAL]
    mails = session.execute(select(OutboxMessage)).scalars().all()
    assert [m.recipient for m in mails] == [people["famille"].email]
    assert "acceptée" in mails[0].subject
    assert api.queue_for(session, people["accueil"].groups)[1] == 0


def test_agent_refuses_and_address_is_kept(session, people):
    instance = submit(session, people["famille"])
    task = agent_task(session, people["accueil"])
    api.complete(
        session, task.id, people["accueil"], {"decision": "refusee"}, public_comment="Adresse hors commune"
    )
    session.commit()
    assert instance.status_label == "Refusée"
    assert session.get(User, people["famille"].id).adresse_ligne1 is None
    (mail,) = session.execute(select(OutboxMessage)).scalars().all()
    assert "pas été acceptée" in mail.subject


def test_wrong_lane_is_refused(session, people):
    submit(session, people["famille"])
    task = agent_task(session, people["accueil"])
    with pytest.raises(NotFound):  # nor does another service (docs/security.md, IDOR)
        api.complete(session, task.id, people["etat_civil"], {"decision": "acceptee"})
    with pytest.raises(NotFound):  # a family never learns another task exists
        api.complete(session, task.id, people["famille"], {"decision": "acceptee"})
    assert api.queue_for(session, people["etat_civil"].groups)[1] == 0


def test_another_family_cannot_touch_the_request(session, people):
    instance = submit(session, people["famille"])
    other = people["autre_famille"]
    assert api.tasks_for(session, other) == []
    with pytest.raises(NotFound):
        api.get_instance(session, instance.id, other)
    own = live_start(session, "changement_adresse", people["famille"])
    (task,) = api.tasks_for(session, people["famille"])
    assert task.instance_id == own.id
    with pytest.raises(NotFound):
        api.get_task(session, task.id, other)


def test_double_completion_is_refused(session, people):
    submit(session, people["famille"])
    task = agent_task(session, people["accueil"])
    api.complete(session, task.id, people["accueil"], {"decision": "acceptee"})
    session.commit()
    with pytest.raises(Conflict):
        api.complete(session, task.id, people["accueil"], {"decision": "refusee"})
    session.rollback()
    count = session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
    assert count == 1


def events(session, instance, event_type):
    return (
        session.execute(
            select(HistoryEvent)
            .where(HistoryEvent.instance_id == instance.id, HistoryEvent.event_type == event_type)
            .order_by(HistoryEvent.id)
        )
        .scalars()
        .all()
    )


def outbox(session):
    return session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_reminder_then_escalation_while_the_agents_examine_never_close_the_request(session, people):
    instance = submit(session, people["famille"])
    deadline = instance.deadline_at
    assert deadline - instance.submitted_at == timedelta(days=30)
    assert instance.next_timer_at == deadline - timedelta(days=6)  # the reminder comes first
    assert api.fire_due_timers(session) == 0  # not due yet

    with time_machine.travel(deadline - timedelta(days=6) + timedelta(minutes=5)):
        assert api.fire_due_timers(session) == 1
        assert api.fire_due_timers(session) == 0  # fires exactly once
    session.refresh(instance)
    task = agent_task(session, people["accueil"])
    session.refresh(task)
    assert (task.reminded_at is not None, task.escalated_at) == (True, None)
    assert instance.status_label == "En cours d'instruction"
    assert instance.next_timer_at == deadline
    (reminded,) = events(session, instance, "task_reminded")
    assert reminded.visibility == Visibility.INTERNAL
    assert sorted(m.recipient for m in outbox(session)) == sorted(
        people[name].email
        for name in ("accueil", "accueil2")  # the lane's agents only
    )

    with time_machine.travel(deadline + timedelta(minutes=5)):
        assert api.fire_due_timers(session) == 1
        assert api.fire_due_timers(session) == 0
    session.refresh(instance)
    session.refresh(task)
    assert instance.status == InstanceStatus.RUNNING  # never closed silently
    assert instance.next_timer_at is None
    assert task.state == HumanTaskState.OPEN
    assert task.escalated_at is not None
    assert api.history(session, instance)[-1].label == LATE_MESSAGE
    late = [m for m in outbox(session) if m.subject.startswith("En retard")]
    assert sorted(m.recipient for m in late) == sorted(
        people[name].email for name in ("accueil", "accueil2", "admin")
    )
    (family_mail,) = [m for m in outbox(session) if m.recipient == people["famille"].email]
    assert "a pris du retard" in family_mail.body_text
    assert family_mail.notification_id is not None

    api.complete(session, task.id, people["accueil"], {"decision": "acceptee"})
    session.commit()
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.status_label == "Acceptée"
    assert "Clôturée : délai de traitement dépassé" not in public_labels(session, instance)


def test_a_decision_before_the_reminder_cancels_both_timers(session, people):
    instance = submit(session, people["famille"])
    task = agent_task(session, people["accueil"])
    api.complete(session, task.id, people["accueil"], {"decision": "refusee", "motif": "Adresse inconnue"})
    session.commit()
    assert instance.status_label == "Refusée"
    assert instance.next_timer_at is None
    with time_machine.travel(instance.deadline_at + timedelta(days=1)):
        assert api.fire_due_timers(session) == 0
    assert events(session, instance, "task_reminded") == []
    assert events(session, instance, "instance_escalated") == []


def test_deploying_a_new_version_keeps_running_instances_on_theirs(session, people):
    from pathlib import Path

    instance = submit(session, people["famille"])
    source = (Path(__file__).resolve().parents[2] / "workflows" / "changement_adresse.bpmn").read_text()
    changed = source.replace('value="P30D"', 'value="P15D"').replace('"P30D"', '"P15D"')
    from web.app import lint_context

    new = api.deploy(session, changed.encode(), "analyste", lint_context())
    session.commit()
    assert new.version == instance.definition.version + 1
    task = agent_task(session, people["accueil"])
    api.complete(session, task.id, people["accueil"], {"decision": "acceptee"})
    session.commit()
    assert instance.definition_id != new.id
    assert instance.status_label == "Acceptée"
    fresh = live_start(session, "changement_adresse", people["autre_famille"])
    assert fresh.definition_id == new.id
    session.commit()


def test_concurrent_completion_has_exactly_one_winner(app, people):
    with app.app_context():
        session = db.session()
        submit(session, people["famille"])
        task_id = agent_task(session, people["accueil"]).id
        session.close()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def agent(user):
        with app.app_context():
            s = db.new_session()
            try:
                barrier.wait()
                api.complete(s, task_id, user, {"decision": "acceptee"})
                s.commit()
                outcomes.append("won")
            except Conflict:
                s.rollback()
                outcomes.append("conflict")
            finally:
                s.close()

    threads = [threading.Thread(target=agent, args=(people[name],)) for name in ("accueil", "accueil2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["conflict", "won"]
    with app.app_context():
        s = db.session()
        completed = s.execute(
            select(func.count()).select_from(HistoryEvent).where(HistoryEvent.event_type == "task_completed")
        ).scalar_one()
        assert completed == 2  # the family's submission and exactly one agent decision
        assert s.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 1


def family_task(session, family):
    (task,) = api.tasks_for(session, family)
    return task


def ask_for_information(session, people, question, internal=None):
    task = agent_task(session, people["accueil"])
    api.complete(
        session,
        task.id,
        people["accueil"],
        {"decision": "complement", "motif": question},
        public_comment=question,
        internal_comment=internal,
    )
    session.commit()


def answer(session, family, text):
    task = family_task(session, family)
    assert task.form_key == "changement_adresse.complement"
    assert task.title == "Compléter ma demande"
    api.complete(session, task.id, family, {"reponse": text, "pieces": []}, public_comment=text)
    session.commit()


def test_two_rounds_of_questions_then_acceptance(session, people):
    family = people["famille"]
    instance = submit(session, family)

    ask_for_information(session, people, "Le justificatif est illisible.", internal="Scan flou")
    assert instance.status_label == "En attente de compléments"
    assert api.queue_for(session, people["accueil"].groups)[1] == 0  # the ball is in the family's court
    view = api.get_task(session, family_task(session, family).id, family)
    assert view.data["motif"] == "Le justificatif est illisible."
    assert view.data["reponse"] == ""  # the family's form starts empty
    answer(session, family, "Voici une copie lisible.")
    assert instance.status_label == "En cours d'instruction"
    second = api.get_task(session, agent_task(session, people["accueil"]).id, people["accueil"])
    assert second.data["decision"] == ""  # the agent's form starts without the previous decision
    assert second.data["reponse"] == "Voici une copie lisible."

    ask_for_information(session, people, "Il manque la page 2.")
    answer(session, family, "La voici.")
    task = agent_task(session, people["accueil"])
    api.complete(session, task.id, people["accueil"], {"decision": "acceptee"})
    session.commit()

    assert instance.status == InstanceStatus.COMPLETED
    assert instance.status_label == "Acceptée"
    assert session.get(User, family.id).adresse_ligne1 == "12 rue de la Mairie"
    assert public_labels(session, instance) == [
        "En cours de saisie",
        "En cours d'instruction",
        "En attente de compléments",
        "En cours d'instruction",
        "En attente de compléments",
        "En cours d'instruction",
        "Acceptée",
    ]
    public = [(e.label, e.comment, e.actor_role) for e in api.history(session, instance)]
    assert ("Message du service", "Le justificatif est illisible.", "Service Accueil") in public
    assert ("Message de la famille", "Voici une copie lisible.", "Famille") in public
    assert ("Message du service", "Il manque la page 2.", "Service Accueil") in public
    assert ("Message de la famille", "La voici.", "Famille") in public
    assert "Scan flou" not in [comment for _, comment, _ in public]
    subjects = [
        m.subject for m in session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
    ]
    assert len(subjects) == 3
    assert all("compléments sont demandés" in s for s in subjects[:2])
    assert "acceptée" in subjects[2]


def test_refusal_after_a_question(session, people):
    family = people["famille"]
    instance = submit(session, family)
    ask_for_information(session, people, "Envoyez un justificatif à votre nom.")
    answer(session, family, "Je n'en ai pas.")
    task = agent_task(session, people["accueil"])
    api.complete(
        session, task.id, people["accueil"], {"decision": "refusee"}, public_comment="Aucun justificatif"
    )
    session.commit()
    assert instance.status_label == "Refusée"
    assert session.get(User, family.id).adresse_ligne1 is None


def test_an_agent_cannot_answer_for_the_family(session, people):
    submit(session, people["famille"])
    ask_for_information(session, people, "Précisez l'étage.")
    task = family_task(session, people["famille"])
    with pytest.raises(NotFound):
        api.complete(session, task.id, people["accueil"], {"reponse": "3e"})
    with pytest.raises(NotFound):
        api.complete(session, task.id, people["autre_famille"], {"reponse": "3e"})


def test_reminder_and_escalation_while_the_family_has_to_answer(session, people):
    """The clock keeps running while the family answers (the promise is the whole examination); the
    agents are not mailed a reminder they cannot act on, their next task opens already flagged."""
    family = people["famille"]
    instance = submit(session, family)
    first_due = instance.next_timer_at
    ask_for_information(session, people, "Précisez l'étage.")
    assert instance.next_timer_at == first_due  # the deadline covers the whole examination
    mails_before = len(outbox(session))

    with time_machine.travel(instance.deadline_at - timedelta(days=6) + timedelta(minutes=5)):
        assert api.fire_due_timers(session) == 1
    (reminded,) = events(session, instance, "task_reminded")
    assert "compléments de la famille" in reminded.comment
    assert len(outbox(session)) == mails_before  # nobody to remind: the family holds the request

    with time_machine.travel(instance.deadline_at + timedelta(minutes=5)):
        assert api.fire_due_timers(session) == 1
    session.refresh(instance)
    assert instance.status == InstanceStatus.RUNNING
    assert instance.status_label == "En attente de compléments"
    assert [t.title for t in api.tasks_for(session, family)] == ["Compléter ma demande"]
    assert api.history(session, instance)[-1].label == LATE_MESSAGE
    late = [m for m in outbox(session) if m.subject.startswith("En retard")]
    assert sorted(m.recipient for m in late) == sorted(
        people[name].email for name in ("accueil", "accueil2", "admin")
    )
    assert all("attend les compléments demandés à la famille" in m.body_text for m in late)
    (family_late,) = [m for m in outbox(session)[mails_before:] if m.recipient == family.email]
    assert "a pris du retard" in family_late.body_text

    answer(session, family, "3e étage, porte gauche.")
    task = agent_task(session, people["accueil"])
    assert task.reminded_at is not None  # flagged on its return
    assert task.escalated_at is not None
    assert task.reminded_at < task.escalated_at
    api.complete(session, task.id, people["accueil"], {"decision": "acceptee"})
    session.commit()
    assert instance.status_label == "Acceptée"
    assert session.get(User, family.id).adresse_ligne1 == "12 rue de la Mairie"


def test_a_draft_kept_for_days_does_not_eat_into_the_deadline(session, people):
    """Started 25 days ago, sent today: the request is filed today and its timers count from now."""
    with time_machine.travel(utcnow() - timedelta(days=25)):
        instance = live_start(session, "changement_adresse", people["famille"])
        session.commit()
    (task,) = api.tasks_for(session, people["famille"])
    api.complete(session, task.id, people["famille"], ADDRESS)
    session.commit()
    assert instance.deadline_at - instance.submitted_at == timedelta(days=30)
    assert agent_task(session, people["accueil"]).reminded_at is None
    assert events(session, instance, "task_reminded") == []
    assert instance.next_timer_at == instance.deadline_at - timedelta(days=6)
    assert api.fire_due_timers(session) == 0


def test_family_cancels_while_the_service_waits_for_its_answer(session, people):
    family = people["famille"]
    instance = submit(session, family)
    ask_for_information(session, people, "Précisez l'étage.")
    api.cancel(session, instance.id, family, "J'ai finalement déménagé ailleurs.")
    session.commit()
    assert instance.status == InstanceStatus.CANCELLED
    assert instance.status_label == "Annulée"
    assert api.tasks_for(session, family) == []
    assert api.queue_for(session, people["accueil"].groups)[1] == 0
    assert instance.next_timer_at is None or api.fire_due_timers(session) == 0
    assert session.get(User, family.id).adresse_ligne1 is None


def test_discarding_an_instance_removes_its_documents(session, people):
    from engine.documents import Document, add_document, documents_of

    instance = submit(session, people["famille"])
    add_document(
        session,
        instance,
        step="Saisir la nouvelle adresse",
        field="justificatif_domicile",
        actor=people["famille"],
        role="Famille",
        filename="facture.pdf",
        mime="application/pdf",
        content=b"%PDF-1.4 ... %%EOF",
        label="Justificatif de domicile",
    )
    assert [d.filename for d in documents_of(session, instance.id)] == ["facture.pdf"]
    api.discard(session, instance)
    session.commit()
    assert session.execute(select(func.count()).select_from(Document)).scalar_one() == 0
