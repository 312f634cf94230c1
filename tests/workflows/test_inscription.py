"""Scenario tests of workflows/inscription.bpmn through engine.api, with a guest visitor."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from engine import api
from engine.api import Guest
from engine.errors import NotFound
from engine.models import InstanceStatus, OutboxMessage, ProcessInstance
from web.accounts.models import AccountToken, ServiceKey, TokenPurpose, User
from web.accounts.passwords import hash_password, verify_password
from web.accounts.signup import key_hash
from web.famille.models import FamilyRecord

IDENTITY = {
    "civilite": "Madame",
    "nom": "Bernard",
    "nom_naissance": "",
    "prenom": "Louise",
    "date_naissance": date(1990, 5, 17),
    "pays_naissance": "France",
    "departement_naissance": "",
    "commune_naissance": "",
    "action": "suivant",
}
CONTACT = {
    "telephone": None,
    "mobile": "+33612345678",
    "fax": None,
    "courriel": "louise.bernard@example.test",
    "contact_prefere": "courriel",
    "action": "suivant",
}
PASSWORD = "une phrase de passe assez longue"


def next_task(session, guest):
    (task,) = api.tasks_for(session, guest)
    return task


def walk_to_credentials(session, guest):
    api.start(session, "inscription", guest)
    api.complete(session, next_task(session, guest).id, guest, {})
    api.complete(session, next_task(session, guest).id, guest, IDENTITY)
    api.complete(session, next_task(session, guest).id, guest, CONTACT)
    task = next_task(session, guest)
    assert task.form_key == "inscription.authentification"
    return task


def validate(session, guest, task, username="louise", secrets=None):
    secrets = {"mot_de_passe_hash": hash_password(PASSWORD), **(secrets or {})}
    api.complete(session, task.id, guest, {"nom_utilisateur": username, "action": "suivant"}, secrets=secrets)
    session.commit()


def test_signup_creates_an_inactive_account_and_mails_an_activation_link(session):
    guest = Guest.new()
    task = walk_to_credentials(session, guest)
    validate(session, guest, task)
    user = session.execute(select(User).where(User.username == "louise")).scalar_one()
    assert user.activated_at is None
    assert (user.nom, user.prenom, user.mobile, user.date_naissance) == (
        "Bernard",
        "Louise",
        "+33612345678",
        date(1990, 5, 17),
    )
    assert verify_password(user.password_hash, PASSWORD)
    instance = session.execute(select(ProcessInstance)).scalar_one()
    assert instance.requester_id == user.id
    assert instance.status_label == "En attente d'activation : consultez votre messagerie"
    assert PASSWORD not in instance.serialization
    assert user.password_hash not in instance.serialization
    (mail,) = session.execute(select(OutboxMessage)).scalars().all()
    assert mail.recipient == "louise.bernard@example.test"
    assert "louise" in mail.body_text
    assert "/activation/" in mail.body_text
    assert PASSWORD not in mail.body_text
    assert PASSWORD not in (mail.body_html or "")
    token = session.execute(select(AccountToken)).scalar_one()
    assert token.purpose == TokenPurpose.ACTIVATION
    assert token.token_hash not in mail.body_text
    # The guest can no longer act on the démarche: the activation belongs to the account (mail link).
    assert api.tasks_for(session, guest) == []


def test_activation_completes_the_demarche_and_empties_its_data(session):
    guest = Guest.new()
    validate(session, guest, walk_to_credentials(session, guest))
    user = session.execute(select(User)).scalar_one()
    (task,) = api.tasks_for(session, user)
    api.complete(session, task.id, user, {})
    session.commit()
    assert user.activated_at is not None
    instance = session.execute(select(ProcessInstance)).scalar_one()
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.status_label == "Espace activé"
    assert instance.serialization == ""  # effacerDonneesALaFin


def test_never_activated_account_is_purged_after_72_hours(session):
    guest = Guest.new()
    validate(session, guest, walk_to_credentials(session, guest))
    assert session.execute(select(func.count()).select_from(User)).scalar_one() == 1
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=71)):
        assert api.fire_due_timers(session) == 0
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=73)):
        assert api.fire_due_timers(session) == 1
    assert session.execute(select(func.count()).select_from(User)).scalar_one() == 0
    assert session.execute(select(func.count()).select_from(AccountToken)).scalar_one() == 0
    instance = session.execute(select(ProcessInstance)).scalar_one()
    assert instance.status_label == "Expirée : espace non activé supprimé"


def test_precedent_goes_back_and_keeps_what_was_typed(session):
    guest = Guest.new()
    api.start(session, "inscription", guest)
    api.complete(session, next_task(session, guest).id, guest, {})
    api.complete(session, next_task(session, guest).id, guest, IDENTITY)
    contact = next_task(session, guest)
    api.complete(session, contact.id, guest, {**CONTACT, "action": "precedent"})
    back = next_task(session, guest)
    assert back.form_key == "inscription.identite"
    view = api.get_task(session, back.id, guest)
    assert view.data["nom"] == "Bernard"
    assert view.data["courriel"] == "louise.bernard@example.test"


def test_annuler_ends_without_account(session):
    guest = Guest.new()
    task = walk_to_credentials(session, guest)
    api.complete(session, task.id, guest, {"action": "annuler"})
    session.commit()
    instance = session.execute(select(ProcessInstance)).scalar_one()
    assert instance.status_label == "Annulée"
    assert session.execute(select(func.count()).select_from(User)).scalar_one() == 0
    api.discard(session, instance)
    session.commit()
    assert session.execute(select(func.count()).select_from(ProcessInstance)).scalar_one() == 0


def test_an_address_already_used_creates_nothing_and_warns_its_owner(session, make_user):
    owner = make_user("famille", email="louise.bernard@example.test")
    guest = Guest.new()
    validate(session, guest, walk_to_credentials(session, guest), username="autre")
    assert session.execute(select(User).where(User.username == "autre")).scalar_one_or_none() is None
    (mail,) = session.execute(select(OutboxMessage)).scalars().all()
    assert mail.recipient == owner.email
    assert "aucun nouvel espace" in mail.body_text
    instance = session.execute(select(ProcessInstance)).scalar_one()
    # The visitor sees the same status as for a new address, and has nothing to act on.
    assert instance.status_label == "En attente d'activation : consultez votre messagerie"
    assert api.tasks_for(session, guest) == []
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=73)):
        assert api.fire_due_timers(session) == 1
    session.refresh(instance)
    assert instance.status_label == "Expirée : espace non activé supprimé"
    assert session.get(User, owner.id) is not None


def test_service_key_links_the_family_record_once(session):
    record = FamilyRecord(service="Enfance", name="BERNARD Louise")
    session.add(record)
    session.flush()
    session.add(ServiceKey(key_hash=key_hash("ABCD-EFGH-JKLM"), family_record_id=record.id))
    session.commit()
    guest = Guest.new()
    validate(session, guest, walk_to_credentials(session, guest), secrets={"cle_enfance": "abcd efgh jklm"})
    user = session.execute(select(User)).scalar_one()
    assert [r.name for r in user.family_records] == ["BERNARD Louise"]
    key = session.execute(select(ServiceKey)).scalar_one()
    assert key.used_at is not None
    assert key.used_by_id == user.id


def test_another_visitor_cannot_see_or_act_on_the_draft(session):
    guest, intruder = Guest.new(), Guest.new()
    api.start(session, "inscription", guest)
    task = next_task(session, guest)
    assert api.tasks_for(session, intruder) == []
    with pytest.raises(NotFound):
        api.get_task(session, task.id, intruder)
