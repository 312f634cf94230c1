"""The accounts pages in English (issue 11 point 5): home and login, a refused login, the signup
wizard (and the language the new account keeps), the profile and its « Langue » choice, the password
reset request, the policy's messages, the captcha (texts and voice), the error pages — including the
503 page drawn while the database is out of reach."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.fixtures.app import PASSWORD, csrf_token, login
from tests.fixtures.integration import html, text
from tests.integration.test_signup import CONTACT, IDENTITY, captcha_id, credentials, post, start
from web.accounts import captcha
from web.accounts.models import User
from web.extensions import db

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def english_client(app):
    """A browser that asks for English (and says so on every request, as a real one does)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ENGLISH["Accept-Language"]
    return client


def lang(response) -> str:
    return html(response).get("lang")


def assert_english(response, present: list[str], absent: list[str]) -> None:
    assert lang(response) == "en"
    page = text(response)
    for words in present:
        assert words in page, words
    for words in absent:
        assert words not in page, words


def test_the_home_and_login_pages_in_english(app) -> None:
    client = app.test_client()
    home = client.get("/", headers=ENGLISH)
    assert_english(
        home,
        [
            "MY ACCOUNT",
            "I DO NOT HAVE AN ACCOUNT",
            "Create my account",
            "Username",
            "Password",
            "Latest news",
        ],
        ["MON ESPACE PERSO", "JE N'AI PAS D'ESPACE", "Créer mon espace", "Nom d'utilisateur"],
    )
    login_page = client.get("/connexion", headers=ENGLISH)
    assert_english(
        login_page,
        ["Log in", "I have forgotten my password.", "(required)"],
        ["J'ai oublié mon mot de passe", "(obligatoire)"],
    )
    assert (
        html(login_page)
        .xpath("//label[@for='username']")[0]
        .text_content()
        .strip()
        .endswith("Username (required)")
    )


def test_a_wrong_login_is_refused_in_english(app, people) -> None:
    family = people["famille"]
    client = english_client(app)
    token = csrf_token(client, "/connexion")
    refused = client.post(
        "/connexion", data={"csrf_token": token, "username": family.username, "password": "nope"}
    )
    assert refused.status_code == 200
    assert_english(
        refused,
        ["Error – Log in", "There is 1 error in the form", "Password: Wrong username or password."],
        ["Nom d'utilisateur ou mot de passe incorrect", "Le formulaire contient", "Erreur –"],
    )
    empty = client.post("/connexion", data={"csrf_token": token, "username": "", "password": ""})
    assert_english(
        empty, ["There are 2 errors in the form", "Enter your username.", "Enter your password."], []
    )


def test_the_signup_wizard_in_english_and_the_account_keeps_its_language(app) -> None:
    client = english_client(app)
    welcome = start(client)
    first = client.get(welcome)
    assert first.status_code == 200
    assert lang(first) == "en"
    identity = post(client, welcome, {"action": "suivant"}).location
    contact = post(client, identity, IDENTITY).location
    url = post(client, contact, CONTACT).location
    page = client.get(url)
    assert captcha_id(page.get_data(as_text=True))
    assert_english(
        page,
        [
            "SECURITY CHECK",
            "Enter the text below",
            "the audio version reads them out in English",
            "Change the check text",
        ],
        ["CONTRÔLE DE SÉCURITÉ", "Recopiez les 6 chiffres", "énonce en français"],
    )
    (box,) = html(page).xpath("//fieldset[@data-captcha]")
    assert box.get("data-captcha-changed") == "A new check text is shown."
    short, _ = credentials(app, client, url, mot_de_passe="court", confirmation="court")
    assert_english(
        short,
        ["There is 1 error in the form", "The password must have at least 12 characters."],
        ["Le mot de passe doit comporter", "Le formulaire contient"],
    )
    wrong, _ = credentials(app, client, url, captcha_reponse="000000")
    assert_english(wrong, ["The text you copied does not match: copy the new text."], ["Le texte recopié"])
    done, _ = credentials(app, client, url)
    assert done.status_code == 302, text(done)[:2000]
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "louise")).scalar_one()
        assert user.langue == "en"


def test_a_french_signup_keeps_french(app) -> None:
    client = app.test_client()
    welcome = start(client)
    identity = post(client, welcome, {"action": "suivant"}).location
    contact = post(client, identity, IDENTITY).location
    url = post(client, contact, CONTACT).location
    done, _ = credentials(app, client, url)
    assert done.status_code == 302
    with app.app_context():
        assert db.session.execute(select(User.langue).where(User.username == "louise")).scalar_one() == "fr"


def test_the_password_policy_speaks_the_page_language(app, people) -> None:
    client = english_client(app)
    login(client, people["famille"])
    page = client.get("/profil/identifiants")
    assert_english(page, ["At least 12 characters (128 at most)."], ["12 caractères au minimum"])
    token = csrf_token(client, "/profil/identifiants")
    data = {"csrf_token": token, "username": people["famille"].username, "current_password": PASSWORD}
    short = client.post(
        "/profil/identifiants", data={**data, "new_password": "azerty", "confirmation": "azerty"}
    )
    assert short.status_code == 400
    assert_english(
        short,
        [
            "The password must have at least 12 characters.",
            "This password is too common: choose another one.",
        ],
        ["Le mot de passe doit comporter", "trop courant"],
    )


def test_the_profile_in_english_and_its_language_choice(app, people) -> None:
    family = people["famille"]
    client = english_client(app)
    login(client, family)
    profile = client.get("/profil")
    assert_english(
        profile,
        [
            "Edit my profile",
            "Edit my account",
            "Authentication",
            "Language of the pages and emails",
            "Save the language",
        ],
        ["Modifier mon espace", "Authentification", "Enregistrer la langue"],
    )
    (checked,) = html(profile).xpath("//input[@name='langue'][@checked]")
    assert checked.get("value") == "en"  # nothing chosen yet: the page's language
    # the session dialog's texts, for session.js, are English too
    (dialog,) = html(profile).xpath("//dialog[@id='session-dialog']")
    assert dialog.get("data-text-expired") == "Your session has expired: log in again."

    token = csrf_token(client, "/profil")
    bad = client.post("/profil/langue", data={"csrf_token": token, "langue": "de"})
    assert bad.status_code == 400
    assert_english(bad, ["Choose a language."], ["Choisissez une langue."])

    french = client.post("/profil/langue", data={"csrf_token": token, "langue": "fr"}, follow_redirects=True)
    assert lang(french) == "fr"  # the account's choice wins over the browser's English
    assert "La langue de votre espace est enregistrée." in text(french)
    with app.app_context():
        assert db.session.get(User, family.id).langue == "fr"
    english = client.post("/profil/langue", data={"csrf_token": token, "langue": "en"}, follow_redirects=True)
    assert_english(
        english, ["The language of your account is saved.", "Edit my profile"], ["Modifier mon profil"]
    )
    with app.app_context():
        assert db.session.get(User, family.id).langue == "en"


def test_the_language_choice_needs_a_login_and_a_csrf_token(app, people) -> None:
    anonymous = app.test_client().post("/profil/langue", data={"langue": "en"})
    assert anonymous.status_code in (302, 400)
    client = app.test_client()
    login(client, people["famille"])
    assert client.post("/profil/langue", data={"langue": "en"}).status_code == 400
    with app.app_context():
        assert db.session.get(User, people["famille"].id).langue is None


def test_the_password_reset_request_page_in_english(app) -> None:
    page = app.test_client().get("/mot-de-passe-oublie", headers=ENGLISH)
    assert_english(
        page,
        ["FORGOTTEN PASSWORD", "Have you forgotten your password?", "Reset my password", "Back to login"],
        ["OUBLI DE MOT DE PASSE", "Réinitialiser mon mot de passe"],
    )


def test_error_pages_in_english(app) -> None:
    missing = app.test_client().get("/nulle-part", headers=ENGLISH)
    assert missing.status_code == 404
    assert_english(
        missing, ["Page not found", "Error code: 404", "Back to the home page"], ["Page introuvable"]
    )


def test_the_audio_captcha_speaks_the_page_language(app) -> None:
    client = english_client(app)
    with app.app_context():
        challenge_id = captcha.new_challenge(db.session())
        db.session.commit()
    captcha._loaded.discard("en")
    assert client.get(f"/controle/{challenge_id}.wav").status_code == 200
    assert "en" in captcha._loaded  # the English voice, without ?langue=en
    captcha._loaded.discard("en")
    assert client.get(f"/controle/{challenge_id}.wav?langue=fr").status_code == 200
    assert "en" not in captcha._loaded  # asked for explicitly: the French voice


@pytest.fixture
def unreachable_app(app_factory, tmp_path):
    """The app on a SQLite file that cannot be opened: every query fails as if the server were down."""
    return app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'absent' / 'guichet.sqlite3'}")


def test_the_unavailable_page_in_english_without_the_database(unreachable_app) -> None:
    client = unreachable_app.test_client()
    english = client.get("/demarches", headers=ENGLISH)
    assert english.status_code == 503
    assert_english(
        english,
        [
            "Service temporarily unavailable",
            "Nothing has been saved for this action",
            "Try again in a few minutes.",
        ],
        ["momentanément indisponible"],
    )
    client.set_cookie("langue", "fr")  # the header switch's cookie wins over the browser
    french = client.get("/demarches", headers=ENGLISH)
    assert french.status_code == 503
    assert lang(french) == "fr"
    assert "Service momentanément indisponible" in text(french)
