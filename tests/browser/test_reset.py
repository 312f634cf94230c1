"""« OUBLI DE MOT DE PASSE » in the real browser: from the home page link to the mail, then a new password.

The mail is read on the development outbox page (no SMTP server in the tests), as a developer would.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.fixtures.browser import screenshot
from web.accounts.models import User

NEW_PASSWORD = "Lune bleue sur le lavoir, 1987 !"
DONE = "Si un compte correspond, un courriel contenant un lien de réinitialisation vient d'être envoyé."
LINK = re.compile(r"http://guichet\.test(/mot-de-passe/[A-Za-z0-9_-]{43})")

pytestmark = pytest.mark.browser


def test_a_family_resets_its_password_from_the_home_page(page: Any, make_user: Callable[..., User]) -> None:
    famille = make_user("famille", username="camille.martin", email="camille.martin@example.test")

    page.goto("/")
    box = page.get_by_role("region", name="MON ESPACE PERSO")
    screenshot(page, "reset-0-accueil")
    box.get_by_role("button", name="J'ai oublié mon mot de passe.").click()
    expect(page).to_have_url(re.compile(r"/taches/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("OUBLI DE MOT DE PASSE")
    expect(page.get_by_text("Vous avez oublié votre mot de passe.")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Oubli de mot de passe – "))
    screenshot(page, "reset-1-oubli-de-mot-de-passe")

    field = page.get_by_label("Nom d'utilisateur (ou adresse de courriel)")
    field.fill(famille.email)
    field.press("Enter")  # Enter submits VALIDER, not ANNULER
    expect(page).to_have_url(re.compile(r"/demarche-terminee/\d+$"))
    expect(page.get_by_role("status")).to_have_text(DONE)
    screenshot(page, "reset-2-courriel-envoye")

    page.goto("/dev/courriels/")
    row = page.get_by_role("row").filter(has_text="Réinitialisation de votre mot de passe")
    row.get_by_role("link").click()
    expect(page.get_by_text("Votre nom d'utilisateur : camille.martin").first).to_be_visible()
    screenshot(page, "reset-3-le-courriel")
    match = LINK.search(page.content())
    assert match, "no reset link in the mail"
    assert "correct horse battery staple" not in page.content()

    page.goto(match.group(1))
    expect(page).to_have_url(re.compile(r"/mot-de-passe/nouveau$"))  # the token left the address bar
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisissez un nouveau mot de passe")
    screenshot(page, "reset-4-nouveau-mot-de-passe")

    page.get_by_label("Nouveau mot de passe").fill("trop court")
    page.get_by_label("Confirmation du mot de passe").fill("trop court")
    page.get_by_role("button", name="VALIDER").click()
    expect(page.get_by_role("alert")).to_contain_text("au moins 12 caractères")
    expect(page.get_by_label("Nouveau mot de passe")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "reset-5-mot-de-passe-refuse")

    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="VALIDER").click()
    expect(page).to_have_url(re.compile(r"/connexion$"))
    expect(page.get_by_role("status")).to_contain_text("Votre mot de passe est modifié.")
    screenshot(page, "reset-6-connexion")

    box = page.get_by_role("region", name="MON ESPACE PERSO")
    box.get_by_role("textbox", name="Nom d'utilisateur").fill("camille.martin")
    box.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    box.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("status")).to_contain_text(f"Bienvenue, {famille.display_name}.")

    page.goto(match.group(1))  # the link served once
    expect(page.get_by_role("heading", level=1)).to_have_text("Ce lien n'est plus valable")
    screenshot(page, "reset-7-lien-plus-valable")
