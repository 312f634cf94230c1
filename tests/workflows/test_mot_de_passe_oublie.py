"""Scenario tests of workflows/mot_de_passe_oublie.bpmn through engine.api, as a guest visitor."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from engine import api
from engine.api import Guest
from engine.instances import start as live_start  # the row itself: these tests read it as it changes
from engine.models import HistoryEvent, HumanTask, HumanTaskState, InstanceStatus, OutboxMessage
from tests.fixtures.app import PASSWORD
from web.accounts.models import AccountToken, LoginAttempt, TokenPurpose, User
from web.accounts.passwords import hash_password
from web.accounts.reset import MAX_MAILS_PER_HOUR
from web.accounts.tokens import RESET_TTL
from web.extensions import db

DEMARCHE = "mot_de_passe_oublie"
DONE = "Si un compte correspond, un courriel contenant un lien de réinitialisation vient d'être envoyé."
LINK = re.compile(r"http://guichet\.test/mot-de-passe/([A-Za-z0-9_-]{43})\b")


def ask(session, login: str, *, action: str = "suivant"):
    """A visitor opens « OUBLI DE MOT DE PASSE », types `login` and presses VALIDER (or ANNULER)."""
    guest = Guest.new()
    instance = live_start(session, DEMARCHE, guest)
    (task,) = api.tasks_for(session, guest)
    assert (task.form_key, task.lane, task.requester_id) == ("mot_de_passe_oublie.demande", "Famille", None)
    api.complete(
        session, task.id, guest, {"action": action}, secrets={"identifiant": login, "ip": "192.0.2.7"}
    )
    session.commit()
    return instance


def rows(session, model):
    return session.execute(select(model).order_by(model.id)).scalars().all()


def public_labels(session, instance):
    return [e.label for e in api.history(session, instance) if e.event_type == "status_changed"]


@pytest.fixture
def famille(make_user):
    return make_user("famille", username="camille.martin", email="Camille.Martin@example.test")


def test_an_existing_user_gets_a_single_use_link_and_the_user_name_never_the_password(session, famille):
    instance = ask(session, "camille.martin")

    assert (instance.status, instance.status_label) == (InstanceStatus.COMPLETED, DONE)
    assert instance.serialization == ""  # effacerDonneesALaFin
    (token,) = rows(session, AccountToken)
    assert (token.user_id, token.purpose, token.instance_id) == (famille.id, TokenPurpose.RESET, instance.id)
    assert re.fullmatch(r"[0-9a-f]{64}", token.token_hash)
    assert token.expires_at - token.created_at == RESET_TTL
    assert token.used_at is None
    (mail,) = rows(session, OutboxMessage)
    assert mail.recipient == "Camille.Martin@example.test"  # the address on file
    assert mail.subject.startswith("Réinitialisation de votre mot de passe")
    assert mail.instance_id == instance.id
    password_hash = session.get(User, famille.id).password_hash
    for body in (mail.body_text, mail.body_html):
        assert "camille.martin" in body
        (raw,) = set(LINK.findall(body))
        assert hashlib.sha256(raw.encode()).hexdigest() == token.token_hash  # the DB has only the hash
        assert raw not in token.token_hash
        assert PASSWORD not in body
        assert password_hash not in body
    (attempt,) = rows(session, LoginAttempt)
    assert (attempt.kind, attempt.user_id, attempt.succeeded, attempt.ip) == (
        "reset",
        famille.id,
        True,
        "192.0.2.7",
    )
    assert attempt.login_key == hashlib.sha256(b"camille.martin").hexdigest()


def test_the_e_mail_address_is_matched_whatever_its_case(session, famille):
    ask(session, "  CAMILLE.martin@EXAMPLE.test ")
    (mail,) = rows(session, OutboxMessage)
    assert mail.recipient == "Camille.Martin@example.test"
    assert len(rows(session, AccountToken)) == 1


def test_an_unknown_login_sends_nothing_and_ends_with_the_same_status(session, famille):
    known = ask(session, "camille.martin")
    unknown = ask(session, "personne@example.test")

    assert unknown.status_label == known.status_label == DONE
    assert public_labels(session, unknown) == public_labels(session, known) == ["En cours de saisie", DONE]
    assert len(rows(session, AccountToken)) == 1  # the known one's only
    assert [m.instance_id for m in rows(session, OutboxMessage)] == [known.id]
    assert unknown.serialization == known.serialization == ""
    attempt = rows(session, LoginAttempt)[-1]
    assert (attempt.user_id, attempt.succeeded) == (None, False)


def test_a_user_name_is_matched_exactly(session, famille):
    ask(session, "Camille.Martin")  # the user name is camille.martin
    assert rows(session, OutboxMessage) == []


def test_a_disabled_account_gets_nothing(session, famille):
    session.get(User, famille.id).is_enabled = False
    session.commit()
    instance = ask(session, "camille.martin")
    assert instance.status_label == DONE
    assert rows(session, OutboxMessage) == []
    assert rows(session, AccountToken) == []


def test_the_typed_login_is_kept_nowhere(app, session, famille):
    from tests.fixtures.integration import snapshot

    typed = "CAMILLE.MARTIN@example.TEST"
    ask(session, typed)
    assert len(rows(session, OutboxMessage)) == 1
    everything = repr(snapshot(app))
    assert typed not in everything
    assert typed.lower() not in everything  # the hash of the lower-cased login only
    events = rows(session, HistoryEvent)
    assert all(typed.lower() not in f"{e.label} {e.comment}".lower() for e in events)


def test_at_most_three_mails_per_account_per_hour(session, famille):
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=True):
        for _ in range(100):
            ask(session, "camille.martin")
    mails = rows(session, OutboxMessage)
    assert len(mails) == MAX_MAILS_PER_HOUR == 3
    assert len(rows(session, AccountToken)) == 3
    assert sum(a.succeeded for a in rows(session, LoginAttempt)) == 3
    assert len(rows(session, LoginAttempt)) == 100
    other_instances = rows(session, HumanTask)
    assert all(t.state == HumanTaskState.COMPLETED for t in other_instances)  # all got the same answer

    with time_machine.travel(start + timedelta(minutes=59)):
        ask(session, "Camille.Martin@example.test")
    assert len(rows(session, OutboxMessage)) == 3
    with time_machine.travel(start + timedelta(hours=1, minutes=1)):
        ask(session, "camille.martin")
    assert len(rows(session, OutboxMessage)) == 4


def test_a_new_request_revokes_the_previous_link(session, famille):
    ask(session, "camille.martin")
    ask(session, "camille.martin")
    first, second = rows(session, AccountToken)
    assert first.used_at is not None  # revoked
    assert second.used_at is None


def test_annuler_ends_without_a_mail_or_an_attempt(session, famille):
    instance = ask(session, "camille.martin", action="annuler")
    assert (instance.status, instance.status_label) == (InstanceStatus.COMPLETED, "Annulée")
    assert rows(session, OutboxMessage) == []
    assert rows(session, LoginAttempt) == []
    assert instance.serialization == ""


def test_an_abandoned_screen_closes_after_the_maximum_duration(session):
    guest = Guest.new()
    instance = live_start(session, DEMARCHE, guest)
    session.commit()
    assert instance.definition.max_duration == "PT1H"
    assert instance.deadline_at - instance.created_at == timedelta(hours=1)
    assert instance.next_timer_at is not None
    assert api.fire_due_timers(session) == 0
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1, minutes=1)):
        assert api.fire_due_timers(session) == 1
    session.refresh(instance)
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.status_label == "Abandonnée : rien n'a été validé dans l'heure"
    assert instance.serialization == ""
    (task,) = rows(session, HumanTask)
    assert task.state == HumanTaskState.CANCELLED
    assert api.tasks_for(session, guest) == []


def test_an_account_not_activated_gets_a_notice_and_no_reset_link(session, make_user):
    user = make_user("famille", username="pas.active", activated=False)
    instance = ask(session, "pas.active")
    assert instance.status_label == DONE
    assert rows(session, AccountToken) == []
    (mail,) = rows(session, OutboxMessage)
    assert mail.recipient == user.email
    assert "pas encore activé" in mail.subject
    assert "pas.active" in mail.body_text
    assert "/mot-de-passe/" not in mail.body_text


def signup_waiting_for_activation(session) -> User:
    """A family that went through « Créer mon espace » (workflows/inscription.bpmn) but never clicked."""
    guest = Guest.new()
    live_start(session, "inscription", guest)
    screens = {
        "inscription.bienvenue": {},
        "inscription.identite": {"civilite": "Madame", "nom": "Petit", "prenom": "Léa", "action": "suivant"},
        "inscription.contact": {"courriel": "lea.petit@example.test", "action": "suivant"},
        "inscription.authentification": {"nom_utilisateur": "lea.petit", "action": "suivant"},
    }
    secrets = {"mot_de_passe_hash": hash_password("un mot de passe très sûr")}
    while tasks := [t for t in api.tasks_for(session, guest) if t.form_key in screens]:
        api.complete(session, tasks[0].id, guest, screens[tasks[0].form_key], secrets=secrets)
    session.commit()
    user = session.execute(select(User).where(User.username == "lea.petit")).scalar_one()
    assert user.activated_at is None
    return user


def test_an_account_waiting_for_activation_gets_a_fresh_activation_link_instead(session):
    user = signup_waiting_for_activation(session)
    (first_token,) = rows(session, AccountToken)
    assert first_token.purpose == TokenPurpose.ACTIVATION

    ask(session, "lea.petit@example.test")

    old, fresh = rows(session, AccountToken)
    assert old.used_at is not None  # the first activation link is replaced
    assert (fresh.purpose, fresh.user_id, fresh.used_at) == (TokenPurpose.ACTIVATION, user.id, None)
    assert fresh.instance_id == first_token.instance_id  # the signup démarche waiting for the click
    _, mail = rows(session, OutboxMessage)
    assert mail.recipient == "lea.petit@example.test"
    (raw,) = set(re.findall(r"http://guichet\.test/activation/([A-Za-z0-9_-]{43})\b", mail.body_text))
    assert hashlib.sha256(raw.encode()).hexdigest() == fresh.token_hash
    assert "lea.petit" in mail.body_text
    assert "/mot-de-passe/" not in mail.body_text
    assert session.get(User, user.id).activated_at is None


def test_the_instance_data_is_emptied_but_the_timeline_stays(app, famille):
    with app.app_context():
        session = db.session()
        instance = ask(session, "camille.martin")
        instance_id = instance.id
    with app.app_context():
        session = db.session()
        from engine.models import ProcessInstance

        stored = session.get(ProcessInstance, instance_id)
        assert stored.serialization == ""
        assert stored.completed_at is not None
        labels = [e.event_type for e in api.history(session, stored, include_internal=True)]
        assert labels == ["instance_started", "status_changed", "task_completed", "status_changed"]
