"""The signup wizard « Créer mon espace » through the real HTML forms (CSRF, captcha, activation link)."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from engine.models import OutboxMessage, ProcessInstance
from tests.fixtures.app import csrf_token
from web.accounts import captcha
from web.accounts.models import User
from web.extensions import db

PASSWORD = "une phrase de passe assez longue"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TASK = re.compile(r"/taches/(\d+)$")


def token(page: str) -> str:
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page)
    assert match
    return match.group(1)


def captcha_id(page: str) -> str:
    match = re.search(r'name="captcha_id" value="([^"]+)"', page)
    assert match, "no captcha on the page"
    return match.group(1)


def post(client, url: str, data: dict, **kwargs):
    page = client.get(url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": token(page), **data}, **kwargs)


def start(client) -> str:
    response = client.post("/creer-mon-espace", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert TASK.search(response.location)
    return response.location


IDENTITY = {
    "civilite": "Madame",
    "nom": "Bernard",
    "prenom": "Louise",
    "date_naissance": "1990-05-17",
    "pays_naissance": "France",
    "action": "suivant",
}
CONTACT = {
    "telephone": "",
    "mobile": "06 12 34 56 78",
    "fax": "",
    "courriel": "louise@exemple.fr",
    "contact_prefere": "courriel",
    "action": "suivant",
}


def to_credentials(client) -> str:
    welcome = start(client)
    identity = post(client, welcome, {"action": "suivant"}).location
    contact = post(
        client,
        identity,
        {**IDENTITY, "photo": (io.BytesIO(PNG), "moi.png")},
        content_type="multipart/form-data",
    ).location
    return post(client, contact, CONTACT).location


def credentials(app, client, url: str, **overrides) -> tuple:
    page = client.get(url).get_data(as_text=True)
    challenge = captcha_id(page)
    with app.app_context():
        code = captcha.code_for(challenge)
    data = {
        "csrf_token": token(page),
        "nom_utilisateur": "louise",
        "mot_de_passe": PASSWORD,
        "confirmation": PASSWORD,
        "cle_enfance": "",
        "captcha_id": challenge,
        "captcha_reponse": code,
        "action": "suivant",
        **overrides,
    }
    return client.post(url, data=data), page


def test_the_whole_wizard_then_activation_then_login(app, client):
    url = to_credentials(client)
    response, page = credentials(app, client, url)
    assert "Étape 4 sur 4" in page
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    done = client.get(response.location).get_data(as_text=True)
    assert "En attente d&#39;activation" in done or "En attente d'activation" in done
    with app.app_context():
        session = db.session()
        user = session.execute(select(User).where(User.username == "louise")).scalar_one()
        assert user.activated_at is None
        assert user.photo == PNG
        assert user.mobile == "+33612345678"
        (mail,) = session.execute(select(OutboxMessage)).scalars().all()
        for text in (mail.body_text, mail.body_html or "", mail.subject):
            assert PASSWORD not in text
    # Login before activation is refused.
    login_page = client.get("/connexion").get_data(as_text=True)
    refused = client.post(
        "/connexion", data={"csrf_token": token(login_page), "username": "louise", "password": PASSWORD}
    )
    assert refused.status_code != 302
    link = re.search(r"http://guichet\.test(/activation/\S+)", mail.body_text).group(1)
    activation = client.get(link)
    assert activation.status_code == 200
    assert "Activer mon espace" in activation.get_data(as_text=True)
    activated = client.post(link, data={"csrf_token": token(activation.get_data(as_text=True))})
    assert activated.status_code == 302
    assert client.get(link).status_code == 410  # single use
    login_page = client.get("/connexion").get_data(as_text=True)
    ok = client.post(
        "/connexion", data={"csrf_token": token(login_page), "username": "louise", "password": PASSWORD}
    )
    assert ok.status_code == 302
    with app.app_context():
        instance = db.session().execute(select(ProcessInstance)).scalar_one()
        assert instance.status_label == "Espace activé"


def test_precedent_keeps_what_was_typed(client):
    welcome = start(client)
    identity = post(client, welcome, {"action": "suivant"}).location
    contact = post(client, identity, IDENTITY).location
    back = post(client, contact, {**CONTACT, "action": "precedent"})
    page = client.get(back.location).get_data(as_text=True)
    assert 'value="Bernard"' in page
    assert 'value="Louise"' in page
    forward = post(client, back.location, IDENTITY).location
    assert 'value="louise@exemple.fr"' in client.get(forward).get_data(as_text=True)


def test_annuler_discards_the_draft(app, client):
    welcome = start(client)
    identity = post(client, welcome, {"action": "suivant"}).location
    response = post(client, identity, {**IDENTITY, "action": "annuler"})
    assert response.location == "/"
    with app.app_context():
        assert db.session().execute(select(func.count()).select_from(ProcessInstance)).scalar_one() == 0


def test_errors_are_shown_next_to_the_fields_and_nothing_is_lost(app, client):
    welcome = start(client)
    identity = post(client, welcome, {"action": "suivant"}).location
    bad = post(
        client,
        identity,
        {
            **IDENTITY,
            "nom": "",
            "date_naissance": "2999-01-01",
            "photo": (io.BytesIO(b"<svg></svg>"), "photo.png"),
        },
        content_type="multipart/form-data",
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Indiquez votre nom usuel." in page
    assert "La date ne peut pas être dans le futur." in page
    assert "La photo doit être une image JPEG ou PNG." in page
    assert 'value="Louise"' in page  # what was typed is kept
    contact = post(client, identity, IDENTITY).location
    bad = post(client, contact, {**CONTACT, "courriel": "pas-une-adresse", "mobile": "12"})
    page = bad.get_data(as_text=True)
    assert "Cette adresse de courriel n&#39;est pas valable" in page or "n'est pas valable" in page
    assert "Ce numéro de téléphone n&#39;est pas valable" in page or "numéro de téléphone" in page


def test_wrong_captcha_taken_user_name_and_mismatched_passwords(app, client, make_user):
    make_user("famille", username="louise")
    url = to_credentials(client)
    response, _ = credentials(app, client, url, captcha_reponse="000000x")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Le texte recopié ne correspond pas" in page
    response, _ = credentials(app, client, url, confirmation=PASSWORD + "!")
    assert "Les deux mots de passe ne sont pas identiques." in response.get_data(as_text=True)
    response, _ = credentials(app, client, url)
    assert "Ce nom d&#39;utilisateur est déjà pris" in response.get_data(as_text=True)
    response, _ = credentials(
        app, client, url, nom_utilisateur="louise2", mot_de_passe="azertyuiop12", confirmation="azertyuiop12"
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session().execute(select(func.count()).select_from(User)).scalar_one() == 1


def test_a_captcha_answer_cannot_be_replayed(app, client):
    url = to_credentials(client)
    page = client.get(url).get_data(as_text=True)
    challenge = captcha_id(page)
    with app.app_context():
        code = captcha.code_for(challenge)
    data = {
        "csrf_token": token(page),
        "nom_utilisateur": "louise",
        "mot_de_passe": PASSWORD,
        "confirmation": PASSWORD + "?",
        "captcha_id": challenge,
        "captcha_reponse": code,
        "action": "suivant",
    }
    refused = client.post(url, data=data)  # a field error: the screen comes back with a new challenge
    assert refused.status_code == 400
    assert captcha_id(refused.get_data(as_text=True)) != challenge
    data.update(confirmation=PASSWORD)
    replay = client.post(url, data=data)  # the right code of the old challenge no longer counts
    assert replay.status_code == 400
    assert "Le texte recopié ne correspond pas" in replay.get_data(as_text=True)
    with app.app_context():
        assert db.session().execute(select(func.count()).select_from(User)).scalar_one() == 0


def test_a_later_step_cannot_be_reached_by_posting_to_it(app, client):
    welcome = start(client)
    welcome_id = int(TASK.search(welcome).group(1))
    later = client.post(f"/taches/{welcome_id + 3}", data={"csrf_token": csrf_token(client, welcome)})
    assert later.status_code == 404
    identity = post(client, welcome, {"action": "suivant"}).location
    again = client.post(welcome, data={"csrf_token": csrf_token(client, identity), "action": "suivant"})
    # A done step sent again (double click, back button) leads back to the current step, nothing more.
    assert again.status_code == 302
    assert again.location == identity
    with app.app_context():
        assert db.session().execute(select(func.count()).select_from(User)).scalar_one() == 0


@pytest.mark.parametrize("field", ["mot_de_passe", "confirmation"])
def test_password_inputs_are_typed_and_autocompleted(client, field):
    url = to_credentials(client)
    page = client.get(url).get_data(as_text=True)
    tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', page).group(0)
    assert 'type="password"' in tag
    assert 'autocomplete="new-password"' in tag


def test_an_agent_issues_a_key_that_links_the_new_account_once(app, client, make_user):
    from tests.fixtures.app import login
    from web.famille.models import FamilyRecord

    agent = make_user("agent", groups=["Enfance"])
    with app.app_context():
        db.session.add(FamilyRecord(service="Enfance", name="BERNARD Louise", external_id="F-0002"))
        db.session.commit()
    staff = app.test_client()
    login(staff, agent)
    page = staff.get("/agents/cles").get_data(as_text=True)
    unknown = staff.post(
        "/agents/cles", data={"csrf_token": token(page), "service": "Enfance", "famille": "DUPONT Inconnu"}
    )
    assert "Aucun dossier famille de ce service" in unknown.get_data(as_text=True)  # a key names a record
    assert 'class="service-key"' not in unknown.get_data(as_text=True)
    issued = staff.post(
        "/agents/cles", data={"csrf_token": token(page), "service": "Enfance", "famille": "BERNARD Louise"}
    )
    key = re.search(r'<p class="service-key">([A-Z0-9-]+)</p>', issued.get_data(as_text=True)).group(1)
    url = to_credentials(client)
    response, _ = credentials(app, client, url, cle_enfance="nope-nope")
    assert "Cette clé n&#39;est pas valable" in response.get_data(as_text=True)
    response, _ = credentials(app, client, url, cle_enfance=key.lower())
    assert response.status_code == 302
    with app.app_context():
        user = db.session().execute(select(User).where(User.username == "louise")).scalar_one()
        assert [(r.service, r.name) for r in user.family_records] == [("Enfance", "BERNARD Louise")]
    other = app.test_client()
    url = to_credentials(other)
    response, _ = credentials(app, other, url, nom_utilisateur="louise2", cle_enfance=key)
    assert "Cette clé n&#39;est pas valable" in response.get_data(as_text=True)  # single use


def test_a_family_cannot_issue_keys(app, make_user):
    from tests.fixtures.app import login

    family = app.test_client()
    login(family, make_user("famille"))
    assert family.get("/agents/cles").status_code == 403


def test_a_key_can_be_entered_later_and_wrong_keys_are_limited(app, make_user):
    from tests.fixtures.app import login
    from web.accounts.signup import KEY_TRIES_PER_HOUR, issue_service_key

    family = make_user("famille")
    client = app.test_client()
    login(client, family)
    with app.app_context():
        from web.famille.models import FamilyRecord

        record = FamilyRecord(service="Enfance", name="MARTIN")
        db.session.add(record)
        db.session.flush()
        raw = issue_service_key(db.session(), record=record, issued_by_id=None)
        db.session.commit()
    for _ in range(KEY_TRIES_PER_HOUR):
        wrong = post(client, "/profil/services", {"cle": "AAAA-BBBB-CCCC-DDDD"})
        assert "Cette clé n&#39;est pas valable" in wrong.get_data(as_text=True)
    blocked = post(client, "/profil/services", {"cle": raw})
    assert "Trop d&#39;essais" in blocked.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, family.id).family_records == []
    other = make_user("famille")
    client2 = app.test_client()
    login(client2, other)
    ok = post(client2, "/profil/services", {"cle": raw})
    assert ok.status_code == 302
    assert "MARTIN" in client2.get("/profil/services").get_data(as_text=True)


def test_the_activation_link_expires_after_72_hours(app, client):
    from datetime import UTC, datetime, timedelta

    import time_machine

    url = to_credentials(client)
    response, _ = credentials(app, client, url)
    assert response.status_code == 302
    with app.app_context():
        mail = db.session().execute(select(OutboxMessage)).scalar_one()
    link = re.search(r"http://guichet\.test(/activation/\S+)", mail.body_text).group(1)
    page = client.get(link).get_data(as_text=True)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=72, seconds=1)):
        late = client.post(link, data={"csrf_token": token(page)})
        assert late.status_code == 302
        assert client.get(late.location).status_code == 410
    with app.app_context():
        user = db.session().execute(select(User).where(User.username == "louise")).scalar_one()
        assert user.activated_at is None


def test_signup_completes_end_to_end_without_captcha(app, app_factory):
    """GUICHET_CAPTCHA_ENABLED=false (kiosks, tests): no captcha shown, none required, account created."""
    kiosk = app_factory(CAPTCHA_ENABLED=False)
    client = kiosk.test_client()
    url = to_credentials(client)
    page = client.get(url).get_data(as_text=True)
    assert 'name="captcha_id"' not in page
    data = {
        "csrf_token": token(page),
        "nom_utilisateur": "louise",
        "mot_de_passe": PASSWORD,
        "confirmation": PASSWORD,
        "cle_enfance": "",
        "action": "suivant",
    }
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert "Recopiez le texte de contrôle" not in response.get_data(as_text=True)
    with kiosk.app_context():
        user = db.session().execute(select(User).where(User.username == "louise")).scalar_one()
        assert user.activated_at is None
        (mail,) = db.session().execute(select(OutboxMessage)).scalars().all()
    link = re.search(r"http://guichet\.test(/activation/\S+)", mail.body_text).group(1)
    activation = client.get(link)
    activated = client.post(link, data={"csrf_token": token(activation.get_data(as_text=True))})
    assert activated.status_code == 302


def test_an_empty_captcha_answer_is_asked_for_when_the_captcha_is_on(app, client):
    url = to_credentials(client)
    response, _ = credentials(app, client, url, captcha_reponse="")
    assert response.status_code == 400
    assert "Recopiez le texte de contrôle." in response.get_data(as_text=True)
