"""« Changement de courriels » through the real HTML forms (CSRF, re-authentication, the mailed link)."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.models import HumanTask, HumanTaskState, ProcessInstance
from forms.tasks.changement_courriel import MISMATCH
from tests.fixtures.app import PASSWORD, csrf_token
from tests.fixtures.integration import html, outbox, post_form, start_demarche
from web.accounts.email_change import ADDRESS_TAKEN, USE_THE_LINK, WRONG_PASSWORD
from web.accounts.models import LoginAttempt, User
from web.extensions import db

NEW = "camille.nouvelle@exemple.fr"
LINK = re.compile(r"http://guichet\.test(/courriel/verifier/\S+)")


def send(client, task_id: int, **overrides: str):
    data = {
        "nouveau_courriel": NEW,
        "confirmation_courriel": NEW,
        "mot_de_passe_actuel": PASSWORD,
        **overrides,
    }
    return post_form(client, f"/taches/{task_id}", data)


def error_next_to(response, field: str) -> str:
    (message,) = html(response).xpath(f"//p[@id='{field}-erreur']")
    return message.text_content().strip()


def email_of(app, user: User) -> str:
    with app.app_context():
        return db.session.get(User, user.id).email


def test_a_wrong_current_password_is_refused_next_to_the_field(app, people, client_for):
    family = people["famille"]
    client = client_for(family)
    task_id = start_demarche(client, "changement_courriel")
    response = send(client, task_id, mot_de_passe_actuel="pas le bon mot de passe")
    assert response.status_code == 400
    assert error_next_to(response, "mot_de_passe_actuel") == WRONG_PASSWORD
    assert outbox(app) == []
    assert email_of(app, family) == family.email
    with app.app_context():
        kinds = db.session.execute(select(LoginAttempt.kind, LoginAttempt.succeeded)).all()
        assert ("reauth", False) in kinds  # throttled and recorded like a login
        task = db.session.get(HumanTask, task_id)
        assert task.state == HumanTaskState.OPEN


def test_an_address_used_by_another_account_is_refused(app, people, client_for, make_user):
    make_user("famille", email="Prise@Exemple.fr")
    client = client_for(people["famille"])
    task_id = start_demarche(client, "changement_courriel")
    taken = "prise@exemple.fr"  # the case does not matter for a login
    response = send(client, task_id, nouveau_courriel=taken, confirmation_courriel=taken)
    assert response.status_code == 400
    assert error_next_to(response, "nouveau_courriel") == ADDRESS_TAKEN
    assert outbox(app) == []


def test_two_different_addresses_are_refused(app, people, client_for):
    client = client_for(people["famille"])
    task_id = start_demarche(client, "changement_courriel")
    response = send(client, task_id, confirmation_courriel="autre.chose@exemple.fr")
    assert response.status_code == 400
    assert error_next_to(response, "confirmation_courriel") == MISMATCH
    assert outbox(app) == []


def test_the_link_applies_the_change_once_and_the_family_logs_in_with_it(app, people, client_for):
    family = people["famille"]
    old = family.email
    client = client_for(family)
    task_id = start_demarche(client, "changement_courriel")
    response = send(client, task_id)
    assert response.status_code == 302, html(response).text_content()[:500]
    assert email_of(app, family) == old  # nothing before the link
    verification, notice = outbox(app)
    assert verification.recipient == NEW
    assert notice.recipient == old
    assert notice.subject == "Changement de votre adresse de courriel demandé"
    assert not LINK.search(notice.body_text)
    with app.app_context():
        instance = db.session.execute(select(ProcessInstance)).scalar_one()
        assert PASSWORD not in instance.serialization
    for message in (verification, notice):
        assert PASSWORD not in message.body_text

    # The family cannot skip the link from its task page.
    (waiting,) = [t for t in _open_tasks(app) if t.form_key == "changement_courriel.verification"]
    skipped = post_form(client, f"/taches/{waiting.id}", {})
    assert skipped.status_code == 400
    assert str(USE_THE_LINK) in skipped.get_data(as_text=True)
    assert email_of(app, family) == old

    # The link is opened on another device, logged out.
    link = LINK.search(verification.body_text).group(1)
    other_device = app.test_client()
    page = other_device.get(link)
    assert page.status_code == 200
    assert "Confirmer ma nouvelle adresse" in page.get_data(as_text=True)
    assert email_of(app, family) == old  # the GET changes nothing (link scanners)
    confirmed = other_device.post(link, data={"csrf_token": csrf_token(other_device, link)})
    assert confirmed.status_code == 302
    assert confirmed.location.endswith("/connexion")
    assert email_of(app, family) == NEW
    told = outbox(app)[-1]
    assert told.recipient == old
    assert told.subject == "Votre adresse de courriel a été modifiée"
    with app.app_context():
        instance = db.session.execute(select(ProcessInstance)).scalar_one()
        assert instance.status_label == "Adresse modifiée"

    # Second use: refused.
    again = app.test_client()
    assert again.get(link).status_code == 410
    token = csrf_token(client, "/demarches")
    replay = client.post(link, data={"csrf_token": token})
    assert replay.status_code == 302
    assert client.get(replay.location).status_code == 410
    assert len(outbox(app)) == 3

    # The family logs in with its new address.
    fresh = app.test_client()
    logged = fresh.post(
        "/connexion",
        data={"csrf_token": csrf_token(fresh, "/connexion"), "username": NEW, "password": PASSWORD},
    )
    assert logged.status_code == 302, html(logged).text_content()[:500]


def _open_tasks(app) -> list[HumanTask]:
    with app.app_context():
        tasks = list(
            db.session.execute(select(HumanTask).where(HumanTask.state == HumanTaskState.OPEN)).scalars()
        )
        db.session.expunge_all()
        return tasks
