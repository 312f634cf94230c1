"""« Modifier mon profil »: « Modifier mon espace » and « Modifier les identifiants de mon espace personnel ».

Through the real pages and forms (CSRF included), on the SQLite app.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.models import OutboxMessage
from forms.password_policy import MSG_TOO_SHORT, MSG_USERNAME, POLICY_TEXT
from tests.fixtures.app import PASSWORD, csrf_token, login
from tests.fixtures.integration import html, outbox, post_form, snapshot, text
from web.accounts.models import LoginAttempt, User
from web.accounts.passwords import verify_password
from web.core.presentation import PARIS
from web.extensions import db

pytestmark = pytest.mark.usefixtures("clock")  # birth dates « tomorrow »

NEW_PASSWORD = "Sept chats gris sous la halle, 1789 !"
SPACE = "/profil/espace"
CREDENTIALS = "/profil/identifiants"
IDENTITY = {
    "civilite": "Madame",
    "nom": "Martin",
    "nom_naissance": "Durand",
    "prenom": "Camille Anne",
    "date_naissance": "1984-03-09",
    "pays_naissance": "France",
    "departement_naissance": "Yvelines",
    "commune_naissance": "Versailles",
}
CONTACT = {"fax": "01 23 45 67 80", "contact_prefere": "mobile"}


@pytest.fixture
def famille(make_user):
    return make_user(
        "famille",
        username="camille.martin",
        email="camille.martin@example.test",
        adresse_ligne1="12 rue de la Mairie",
        code_postal="78140",
        commune="Vélizy-Villacoublay",
        mobile="+33612345678",
    )


def account(app, user_id: int) -> User:
    with app.app_context():
        session = db.session()
        user = session.get(User, user_id)
        session.expunge(user)
        return user


def field_error(response, field_id: str) -> str:
    """The message shown next to a field (and tied to it by aria-describedby)."""
    doc = html(response)
    (message,) = doc.xpath(f"//*[@id='{field_id}-erreur']")
    (field,) = doc.xpath(f"//*[@id='{field_id}']")
    assert f"{field_id}-erreur" in field.get("aria-describedby", "").split()
    assert field.get("aria-invalid") == "true"
    return message.text_content().strip()


# « Modifier mon espace » --------------------------------------------------------------------------


def test_the_family_reaches_its_profile_from_the_menu(app, famille, client):
    login(client, famille)
    page = html(client.get("/mes-demandes"))
    (link,) = page.xpath("//nav//a[normalize-space()='Modifier mon profil']")
    hub = client.get(link.get("href"))
    assert hub.status_code == 200
    links = {a.text_content().strip(): a.get("href") for a in html(hub).xpath("//main//a")}
    assert links["Modifier mon espace"] == SPACE
    assert links["Modifier les identifiants de mon espace personnel"] == CREDENTIALS


def test_the_space_page_shows_identity_address_and_contact(app, famille, client):
    login(client, famille)
    response = client.get(SPACE)
    assert response.status_code == 200
    doc = html(response)
    assert [legend.text_content() for legend in doc.xpath("//form//legend")] == [
        "Identité",
        "Moyens de contact",
    ]
    labels = [" ".join(label.text_content().split()) for label in doc.xpath("//form//label")]
    for expected in (
        "Civilité",
        "Nom usuel",
        "Nom de naissance",
        "Prénom(s)",
        "Date de naissance",
        "Pays de naissance",
        "Département de naissance",
        "Commune de naissance",
        "Fax",
        "Moyen de contact préféré",
    ):
        assert any(label.lstrip("* ").startswith(expected) for label in labels), expected
    assert doc.xpath("//input[@id='nom']/@value") == [famille.nom]
    page = text(response)
    (address,) = doc.xpath("//section[h2='Adresse']/p[contains(@class, 'readonly-value')]")
    assert [line.strip() for line in address.itertext()] == [
        "12 rue de la Mairie",
        "78140 Vélizy-Villacoublay",
    ]
    assert "camille.martin@example.test" in page
    # The address has no input: it changes through its démarche, linked from here.
    assert not doc.xpath("//input[starts-with(@name, 'adresse') or @name='email' or @name='code_postal']")
    (demarche,) = doc.xpath('//a[contains(., "Changement d\'adresses postales")]')
    assert demarche.get("href") == "/demarches#demarche-changement_adresse"
    # The phones too, shown in the national format, through « Changement de téléphones ».
    assert not doc.xpath("//input[@name='telephone' or @name='mobile']")
    (mobile,) = doc.xpath("//dl[@data-phone='mobile']/dd")
    assert mobile.text_content().strip() == "06 12 34 56 78"
    (phones,) = doc.xpath('//a[contains(., "Changement de téléphones")]')
    assert phones.get("href") == "/demarches#demarche-changement_telephone"


def test_identity_and_contact_are_saved_and_audited(app, famille, client, caplog):
    login(client, famille)
    tampered = {
        "email": "pirate@example.test",
        "adresse_ligne1": "1 rue du Pirate",
        "telephone": "01 99 99 99 99",
        "mobile": "07 99 99 99 99",
        "role": "admin",
        "username": "pirate",
        "is_enabled": "0",
    }
    with caplog.at_level(logging.INFO, logger="web.accounts.profile"):
        response = post_form(client, SPACE, {**IDENTITY, **CONTACT, **tampered})
    assert response.status_code == 302, text(response)[:500]
    assert response.headers["Location"] == "/profil"
    assert "Votre espace a été mis à jour." in text(client.get("/profil"))

    saved = account(app, famille.id)
    assert (saved.civilite, saved.nom, saved.nom_naissance, saved.prenom) == (
        "Madame",
        "Martin",
        "Durand",
        "Camille Anne",
    )
    assert saved.date_naissance == date(1984, 3, 9)
    assert (saved.pays_naissance, saved.departement_naissance, saved.commune_naissance) == (
        "France",
        "Yvelines",
        "Versailles",
    )
    assert (saved.telephone, saved.mobile, saved.fax, saved.contact_prefere) == (
        None,
        "+33612345678",  # unchanged: the phones have their démarche
        "+33123456780",
        "mobile",
    )
    # Fields that are not on the form are never written (no mass assignment).
    assert (saved.email, saved.adresse_ligne1, saved.role, saved.username, saved.is_enabled) == (
        famille.email,
        "12 rue de la Mairie",
        "famille",
        "camille.martin",
        True,
    )
    (line,) = [r.getMessage() for r in caplog.records if r.name == "web.accounts.profile"]
    assert line.startswith(f"Profile of user {famille.id} updated by its owner: ")
    assert "date_naissance" in line
    assert "Versailles" not in line  # names of the fields, not the personal data


def test_a_birth_date_in_the_future_is_refused_next_to_the_field(app, famille, client):
    login(client, famille)
    before = snapshot(app)
    tomorrow = (datetime.now(PARIS).date() + timedelta(days=1)).isoformat()
    response = post_form(client, SPACE, {**IDENTITY, **CONTACT, "date_naissance": tomorrow})
    assert response.status_code == 400
    assert field_error(response, "date_naissance") == "La date ne peut pas être dans le futur."
    assert "Date de naissance : La date ne peut pas être dans le futur." in text(response)  # the summary
    assert html(response).xpath("//title")[0].text_content().startswith("Erreur – ")
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"date_naissance": "31/02/1990"}, "date_naissance", "Cette date n'est pas valable."),
        ({"nom": "   "}, "nom", "Indiquez votre nom usuel."),
        ({"civilite": "Sa Majesté"}, "civilite", "Choisissez votre civilité."),
        ({"fax": "12"}, "fax", "Ce numéro de téléphone n'est pas valable."),
        (
            {"contact_prefere": "telephone"},
            "contact_prefere",
            "Aucun numéro dans « Téléphone » : ajoutez-le d'abord par la démarche",
        ),
    ],
)
def test_invalid_identity_or_contact_gets_a_french_message(app, famille, client, change, field, message):
    login(client, famille)
    before = snapshot(app)
    response = post_form(client, SPACE, {**IDENTITY, **CONTACT, **change})
    assert response.status_code == 400
    assert field_error(response, field).startswith(message)
    assert snapshot(app) == before


def test_the_space_page_is_for_families_only(app, make_user, client):
    agent = make_user("agent", groups=["Accueil"])
    login(client, agent)
    assert client.get(SPACE).status_code == 403
    assert client.get(CREDENTIALS).status_code == 200  # agents change their password too
    hub = html(client.get("/profil"))
    assert not hub.xpath("//a[normalize-space()='Modifier mon espace']")


# « Modifier les identifiants de mon espace personnel » -------------------------------------------


def change(client, **data):
    fields = {
        "username": "camille.martin",
        "current_password": PASSWORD,
        "new_password": "",
        "confirmation": "",
    }
    return post_form(client, CREDENTIALS, {**fields, **data})


def test_password_inputs_are_typed_and_autocompleted(app, famille, client):
    login(client, famille)
    doc = html(client.get(CREDENTIALS))
    inputs = {i.get("name"): i for i in doc.xpath("//form//input[not(@type='hidden')]")}
    assert {name: (i.get("type"), i.get("autocomplete")) for name, i in inputs.items()} == {
        "username": ("text", "username"),
        "current_password": ("password", "current-password"),
        "new_password": ("password", "new-password"),
        "confirmation": ("password", "new-password"),
    }
    assert not doc.xpath("//input[@onpaste or @maxlength]")
    labels = {label.get("for"): " ".join(label.text_content().split()) for label in doc.xpath("//label")}
    assert labels["current_password"].startswith("* Mot de passe actuel")
    assert labels["new_password"] == "Nouveau mot de passe"
    assert labels["confirmation"] == "Confirmation du mot de passe"
    (hint,) = doc.xpath("//*[@id='new_password-aide']")
    assert str(POLICY_TEXT) in hint.text_content()
    assert inputs["new_password"].get("aria-describedby") == "new_password-aide"


def test_a_wrong_current_password_is_refused_and_logged(app, famille, client, caplog):
    login(client, famille)
    with caplog.at_level(logging.INFO):
        response = change(
            client, current_password="not my password", new_password=NEW_PASSWORD, confirmation=NEW_PASSWORD
        )
    assert response.status_code == 400
    assert field_error(response, "current_password") == "Le mot de passe actuel est incorrect."
    saved = account(app, famille.id)
    assert verify_password(saved.password_hash, PASSWORD)
    assert saved.session_nonce == famille.session_nonce
    assert outbox(app) == []
    with app.app_context():
        (attempt,) = db.session.execute(select(LoginAttempt).where(LoginAttempt.kind == "reauth")).scalars()
        assert (attempt.succeeded, attempt.user_id) == (False, famille.id)
    assert f"Credentials change refused for user {famille.id}: wrong current password" in caplog.text
    assert "not my password" not in caplog.text
    assert NEW_PASSWORD not in caplog.text
    assert client.get("/mes-demandes").status_code == 200  # still logged in


def test_a_user_name_already_taken_is_refused(app, famille, make_user, client):
    other = make_user("famille", username="dominique", email="dominique@example.test")
    login(client, famille)
    before = snapshot(app)
    for taken in (other.username, other.email.upper()):
        response = change(client, username=taken)
        assert response.status_code == 400
        assert (
            field_error(response, "username")
            == "Ce nom d'utilisateur est déjà utilisé : choisissez-en un autre."
        )
    assert account(app, famille.id).username == "camille.martin"
    assert {k: v for k, v in snapshot(app).items() if k != "login_attempt"} == {
        k: v for k, v in before.items() if k != "login_attempt"
    }


@pytest.mark.parametrize(
    ("new", "confirmation", "message"),
    [
        ("court", "court", MSG_TOO_SHORT),
        ("camille.martin et ses chats", "camille.martin et ses chats", MSG_USERNAME),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "Les deux mots de passe ne sont pas identiques."),
    ],
)
def test_the_new_password_follows_the_policy(app, famille, client, new, confirmation, message):
    login(client, famille)
    response = change(client, new_password=new, confirmation=confirmation)
    assert response.status_code == 400
    field = "confirmation" if "identiques" in message else "new_password"
    assert str(message) in field_error(response, field)
    assert verify_password(account(app, famille.id).password_hash, PASSWORD)


def test_nothing_to_change_is_said_so(app, famille, client):
    login(client, famille)
    response = change(client)
    assert response.status_code == 400
    assert (
        field_error(response, "username")
        == "Indiquez un nouveau nom d'utilisateur ou un nouveau mot de passe."
    )


def test_a_password_change_ends_the_other_sessions_and_mails_the_owner(app, famille, client_for, client):
    other_device = client_for(famille)  # logged in before the change
    login(client, famille)
    response = change(client, new_password=NEW_PASSWORD, confirmation=NEW_PASSWORD)
    assert response.status_code == 302, text(response)[:800]
    assert response.headers["Location"] == "/profil"
    assert "Vos identifiants ont été modifiés." in text(client.get("/profil"))

    # This browser goes on with a fresh session; the other one is logged out.
    assert client.get("/mes-demandes").status_code == 200
    gone = other_device.get("/mes-demandes")
    assert gone.status_code == 302
    assert gone.headers["Location"].startswith("/connexion")

    saved = account(app, famille.id)
    assert saved.password_hash.startswith("$argon2id$")
    assert verify_password(saved.password_hash, NEW_PASSWORD)
    assert saved.password_changed_at > famille.password_changed_at
    assert saved.session_nonce != famille.session_nonce
    fresh = app.test_client()
    assert (
        fresh.post(
            "/connexion",
            data={
                "username": famille.username,
                "password": PASSWORD,
                "csrf_token": csrf_token(fresh, "/connexion"),
            },
        ).status_code
        == 200
    )
    login(fresh, famille, NEW_PASSWORD)

    (mail,) = outbox(app)
    assert mail.recipient == famille.email
    assert mail.subject == "Vos identifiants ont été modifiés"
    assert "camille.martin" in mail.body_text
    assert "contact@ville.test" in mail.body_text  # the town contact line
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage)).scalars().all()
        hits = [
            row.id
            for row in rows
            for value in (row.subject, row.body_text, row.body_html, row.recipient)
            if NEW_PASSWORD in (value or "") or PASSWORD in (value or "")
        ]
    assert hits == []


def test_a_user_name_change_alone_also_ends_the_other_sessions(app, famille, client_for, client):
    other_device = client_for(famille)
    login(client, famille)
    response = change(client, username="camille.m")
    assert response.status_code == 302, text(response)[:800]
    assert other_device.get("/mes-demandes").status_code == 302
    saved = account(app, famille.id)
    assert saved.username == "camille.m"
    assert verify_password(saved.password_hash, PASSWORD)
    assert saved.password_changed_at == famille.password_changed_at
    (mail,) = outbox(app)
    assert "votre nom d'utilisateur est désormais : camille.m" in mail.body_text
    assert "mot de passe a été changé" not in mail.body_text
    fresh = app.test_client()
    famille.username = "camille.m"
    login(fresh, famille)
