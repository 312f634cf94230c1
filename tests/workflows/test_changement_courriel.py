"""Scenario tests of workflows/changement_courriel.bpmn through engine.api.

The link is simulated as web/accounts/email_change.py does it: consume the token mailed to the new
address, then complete the « verification » task with the token's payload as a secret.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from engine import api
from engine.errors import ScriptError
from engine.instances import start as live_start  # the row itself: these tests read it as it changes
from engine.models import InstanceStatus, OutboxMessage
from web.accounts.models import TokenPurpose, User
from web.accounts.tokens import consume

NEW = "nouvelle.adresse@example.test"
LINK = re.compile(r"http://guichet\.test/courriel/verifier/(\S+)")


@pytest.fixture
def family(make_user):
    return make_user("famille", email="ancienne@example.test")


def submit(session, family, address=NEW):
    instance = live_start(session, "changement_courriel", family)
    (task,) = api.tasks_for(session, family)
    assert task.form_key == "changement_courriel.saisie"
    assert task.lane == "Famille"
    api.complete(session, task.id, family, {"nouveau_courriel": address})
    session.commit()
    return instance


def mails(session):
    return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def email_of(session, user):
    account = session.get(User, user.id)
    session.refresh(account)
    return account.email


def open_link(session, family):
    """What the POST of the verification page does: consume the token, complete with its payload."""
    (mail,) = [m for m in mails(session) if m.recipient == NEW]
    raw = LINK.search(mail.body_text).group(1)
    used = consume(session, raw, TokenPurpose.EMAIL_CHANGE)
    assert used is not None
    (task,) = api.tasks_for(session, family)
    assert task.form_key == "changement_courriel.verification"
    api.complete(session, task.id, family, {}, secrets={"nouveau_courriel": used.payload})
    session.commit()


def test_definition_is_deployed_with_its_title_and_maximum_duration(session):
    definition = api.latest_definition(session, "changement_courriel")
    assert definition is not None
    assert definition.title == "Changement de courriels"
    assert definition.max_duration == "P1D"


def test_the_address_changes_only_after_the_link(session, family):
    instance = submit(session, family)
    assert email_of(session, family) == "ancienne@example.test"  # nothing before the link
    assert instance.status_label.startswith("En attente de vérification")
    verification, notice = mails(session)
    assert verification.recipient == NEW
    assert LINK.search(verification.body_text)
    assert notice.recipient == "ancienne@example.test"
    assert notice.subject == "Changement de votre adresse de courriel demandé"
    assert not LINK.search(notice.body_text)  # the link never goes to the old address

    open_link(session, family)

    assert email_of(session, family) == NEW
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.status_label == "Adresse modifiée"
    changed = mails(session)[-1]
    assert changed.recipient == "ancienne@example.test"
    assert "modifiée" in changed.subject


def test_the_verification_task_without_the_link_changes_nothing(session, family):
    instance = submit(session, family)
    (task,) = api.tasks_for(session, family)
    with pytest.raises(ScriptError):
        api.complete(session, task.id, family, {"nouveau_courriel": "pirate@example.test"})
    session.rollback()
    assert email_of(session, family) == "ancienne@example.test"
    session.refresh(instance)
    assert instance.status == InstanceStatus.RUNNING


def test_the_request_expires_after_24_hours(session, family):
    instance = submit(session, family)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=23)):
        assert api.fire_due_timers(session) == 0
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=25)):
        assert api.fire_due_timers(session) == 1
        session.refresh(instance)
        assert instance.status == InstanceStatus.COMPLETED
        assert instance.status_label == "Expirée"
        assert api.tasks_for(session, family) == []
        (mail,) = [m for m in mails(session) if m.recipient == NEW]
        raw = LINK.search(mail.body_text).group(1)
        assert consume(session, raw, TokenPurpose.EMAIL_CHANGE) is None  # the link expired too
    assert email_of(session, family) == "ancienne@example.test"


def test_an_address_taken_meanwhile_is_refused_cleanly(session, family, make_user):
    instance = submit(session, family)
    other = make_user("famille", email=NEW.upper())  # case does not matter for a login
    open_link(session, family)
    assert email_of(session, family) == "ancienne@example.test"
    assert email_of(session, other) == NEW.upper()
    session.refresh(instance)
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.status_label == "Refusée : adresse déjà utilisée"
    assert not [m for m in mails(session) if "modifiée" in m.subject]
