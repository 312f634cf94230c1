"""« Créer mon espace » in the real browser: the whole wizard, PRÉCÉDENT, a wrong captcha, activation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.models import OutboxMessage
from tests.fixtures.browser import screenshot
from web.accounts import captcha
from web.accounts.models import User
from web.extensions import db

pytestmark = pytest.mark.browser
PASSWORD = "une phrase de passe assez longue"


def captcha_code(app, page) -> str:
    challenge = page.locator("input[name=captcha_id]").input_value()
    with app.app_context():
        return captcha.code_for(challenge)


def fill_until_credentials(page, email: str) -> None:
    page.goto("/")
    page.get_by_role("button", name="Créer mon espace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("BIENVENUE")
    page.get_by_role("button", name="JE CRÉE MON ESPACE").click()
    expect(page).to_have_title(re.compile(r"^Étape 2 sur 4"))
    page.get_by_label("Civilité").select_option("Madame")
    page.get_by_label("Nom usuel").fill("Bernard")
    page.get_by_label("Prénom(s)").fill("Louise")
    page.get_by_label("Date de naissance").fill("1990-05-17")
    page.get_by_role("button", name="SUIVANT").click()
    expect(page).to_have_title(re.compile(r"^Étape 3 sur 4"))
    page.get_by_label("Mobile").fill("06 12 34 56 78")
    page.get_by_label("Courriel").fill(email)
    # PRÉCÉDENT keeps what was typed, on both screens.
    page.get_by_role("button", name="PRÉCÉDENT").click()
    expect(page.get_by_label("Nom usuel")).to_have_value("Bernard")
    page.get_by_role("button", name="SUIVANT").click()
    expect(page.get_by_label("Courriel")).to_have_value(email)
    expect(page.get_by_label("Mobile")).to_have_value("06 12 34 56 78")  # as typed
    page.get_by_role("button", name="SUIVANT").click()
    expect(page).to_have_title(re.compile(r"^Étape 4 sur 4"))


def test_signup_wizard_then_activation(app, page):
    fill_until_credentials(page, "louise.bernard@exemple.fr")
    page.get_by_label("Nom d'utilisateur").fill("louise")
    page.get_by_label(re.compile(r"^(\* )?Mot de passe")).fill(PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(PASSWORD)
    page.get_by_label("Entrez le texte ci-dessous").fill("000000")
    page.get_by_role("button", name="VALIDER").click()
    expect(page.get_by_role("alert")).to_contain_text("Le texte recopié ne correspond pas")
    screenshot(page, "inscription-01-controle-errone")
    # A new captcha is shown; the passwords must be typed again, the user name is kept.
    expect(page.get_by_label("Nom d'utilisateur")).to_have_value("louise")
    page.get_by_label(re.compile(r"^(\* )?Mot de passe")).fill(PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(PASSWORD)
    page.get_by_label("Entrez le texte ci-dessous").fill(captcha_code(app, page))
    page.get_by_role("button", name="VALIDER").click()
    expect(page.locator("main")).to_contain_text("Un courriel de confirmation vient de vous être envoyé")
    screenshot(page, "inscription-02-courriel-envoye")
    with app.app_context():
        session = db.session()
        user = session.execute(select(User).where(User.username == "louise")).scalar_one()
        assert user.activated_at is None
        mail = session.execute(
            select(OutboxMessage).where(OutboxMessage.recipient == user.email)
        ).scalar_one()
    link = re.search(r"http://guichet\.test(/activation/\S+)", mail.body_text).group(1)
    page.goto(link)
    page.get_by_role("button", name="Activer mon espace").click()
    expect(page.get_by_role("status")).to_contain_text("Votre espace est activé")
    page.get_by_label("Nom d'utilisateur").fill("louise")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Bonjour "))  # tableau de bord


def test_an_address_already_used_looks_the_same_to_the_visitor(app, page, make_user):
    owner = make_user("famille", email="deja.inscrite@exemple.fr")
    fill_until_credentials(page, "deja.inscrite@exemple.fr")
    page.get_by_label("Nom d'utilisateur").fill("autre-louise")
    page.get_by_label(re.compile(r"^(\* )?Mot de passe")).fill(PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(PASSWORD)
    page.get_by_label("Entrez le texte ci-dessous").fill(captcha_code(app, page))
    page.get_by_role("button", name="VALIDER").click()
    expect(page.locator("main")).to_contain_text("Un courriel de confirmation vient de vous être envoyé")
    with app.app_context():
        session = db.session()
        assert (
            session.execute(select(User).where(User.username == "autre-louise")).scalar_one_or_none() is None
        )
        notice = session.execute(select(OutboxMessage)).scalar_one()
        assert notice.recipient == owner.email
        assert "aucun nouvel espace" in notice.body_text
