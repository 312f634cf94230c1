"""Signup and every shipped démarche completed with the keyboard alone (RGAA 7.3 and 12.13, WCAG 2.1.1).

No click, no `fill`: tests/fixtures/keyboard.py presses Tab until each control has the focus and
types into it, so a control the keyboard cannot reach fails here. The démarches start from the
demo data (`guichet demo`), as a family of the town would find them after `make run`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from forms.dates import today_in_france
from tests.fixtures.app import WORKFLOWS
from tests.fixtures.browser import screenshot
from tests.fixtures.keyboard import Keys
from web.accounts import captcha
from web.demo import load_demo
from web.extensions import db

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
PASSWORD = "une phrase de passe assez longue"


@pytest.fixture
def demo(app: Flask) -> Flask:
    with app.app_context():
        session = db.session()
        load_demo(session, WORKFLOWS)
        session.commit()
    return app


@pytest.fixture
def tab(browser: Any, live_server: str) -> Iterator[Any]:
    wide = {"width": 1280, "height": 900}
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=wide)
    try:
        yield context.new_page()
    finally:
        context.close()


def log_in(page: Any, keys: Keys, username: str, password: str) -> None:
    page.goto("/connexion")
    box = page.get_by_role("region", name="MON ESPACE PERSO")
    keys.type(box.get_by_role("textbox", name="Nom d'utilisateur"), username)
    keys.type(box.get_by_label("Mot de passe"), password)
    keys.press(box.get_by_role("button", name="Connexion"))
    expect(page.get_by_role("status")).to_contain_text("Bienvenue")


def start(page: Any, keys: Keys, demarche: str) -> None:
    page.goto("/demarches")
    card = page.get_by_role("region", name=demarche, exact=True)
    keys.press(card.get_by_role("button", name="Commencer la démarche"))


def test_signup_with_the_keyboard_alone(app: Flask, tab: Any) -> None:
    keys = Keys(tab)
    tab.goto("/")
    keys.press(tab.get_by_role("button", name="Créer mon espace"))
    expect(tab.get_by_role("heading", level=1)).to_have_text("BIENVENUE")
    keys.press(tab.get_by_role("button", name="JE CRÉE MON ESPACE"))
    expect(tab).to_have_title(re.compile(r"^Étape 2 sur 4"))
    keys.select(tab.get_by_label("Civilité"), "Madame")
    keys.type(tab.get_by_label("Nom usuel"), "Bernard")
    keys.type(tab.get_by_label("Prénom(s)"), "Louise")
    keys.date(tab.get_by_label("Date de naissance"), "17/05/1990")
    keys.press(tab.get_by_role("button", name="SUIVANT"))
    expect(tab).to_have_title(re.compile(r"^Étape 3 sur 4"))
    keys.type(tab.get_by_label("Mobile"), "06 12 34 56 78")
    keys.type(tab.get_by_label("Courriel"), "louise.bernard@exemple.fr")
    keys.press(tab.get_by_role("button", name="SUIVANT"))
    expect(tab).to_have_title(re.compile(r"^Étape 4 sur 4"))
    keys.type(tab.get_by_label("Nom d'utilisateur"), "louise")
    keys.type(tab.get_by_label(re.compile(r"^(\* )?Mot de passe")), PASSWORD)
    keys.type(tab.get_by_label("Confirmation du mot de passe"), PASSWORD)
    challenge = tab.locator("input[name=captcha_id]").input_value()
    with app.app_context():
        code = captcha.code_for(challenge)
    keys.type(tab.get_by_label("Entrez le texte ci-dessous"), code)
    keys.press(tab.get_by_role("button", name="VALIDER"))
    expect(tab.locator("main")).to_contain_text("Un courriel de confirmation vient de vous être envoyé")
    screenshot(tab, "clavier-inscription")
    assert keys.presses > 10


def test_every_family_demarche_with_the_keyboard_alone(demo: Flask, tab: Any, tmp_path: Path) -> None:
    keys = Keys(tab)
    log_in(tab, keys, "famille", "demo-famille-2026")
    done = []

    start(tab, keys, "Changement d'adresses postales")
    keys.type(tab.get_by_label("Numéro et libellé de la voie"), "12 rue de la Mairie")
    keys.type(tab.get_by_label("Code postal"), "78140")
    keys.type(tab.get_by_label("Commune"), "Vélizy-Villacoublay")
    keys.date(tab.get_by_label("Date d'effet"), today_in_france().strftime("%d/%m/%Y"))
    proof = tmp_path / "facture.pdf"
    proof.write_bytes(PDF)
    keys.upload(tab.get_by_label("Justificatif de domicile"), proof)
    keys.press(tab.get_by_role("button", name="Envoyer ma demande"))
    expect(tab.get_by_role("status")).to_be_visible()
    done.append(tab.url)

    start(tab, keys, "Changement de téléphones")
    keys.type(tab.get_by_role("textbox", name="Mobile"), "06 98 76 54 32")
    keys.press(tab.get_by_role("button", name="Envoyer ma demande"))
    expect(tab.get_by_role("status")).to_be_visible()
    done.append(tab.url)

    start(tab, keys, "Changement de courriels")
    keys.type(tab.get_by_label("Nouvelle adresse de courriel"), "camille.martin@exemple.fr")
    keys.type(tab.get_by_label("Confirmation de la nouvelle adresse"), "camille.martin@exemple.fr")
    keys.type(tab.get_by_label("Mot de passe actuel"), "demo-famille-2026")
    keys.press(tab.get_by_role("button", name="Envoyer le lien de vérification"))
    expect(tab.get_by_role("heading", level=1)).to_have_text("Vérifier la nouvelle adresse")
    done.append(tab.url)

    tab.goto("/contact")
    keys.press(tab.get_by_role("button", name="Signaler un problème"))
    keys.radio(tab.get_by_role("radio", name="Une difficulté avec une démarche en ligne"))
    keys.type(tab.get_by_label("Objet"), "Bouton introuvable")
    problem = "Je ne trouve pas le bouton pour joindre un fichier."
    keys.type(tab.get_by_label("Description du problème"), problem)
    keys.press(tab.get_by_role("button", name="Envoyer mon signalement"))
    expect(tab.get_by_role("status")).to_be_visible()
    done.append(tab.url)

    tab.goto("/ma-famille")
    keys.press(tab.get_by_role("button", name="Demander une correction"))
    keys.radio(tab.get_by_role("radio", name="Une information sur un de mes enfants"))
    keys.select(tab.get_by_label("Enfant concerné"), "Léa")
    keys.radio(tab.get_by_role("radio", name=re.compile("École", re.I)).first)
    keys.type(tab.get_by_label("Valeur correcte"), "École élémentaire Jean Macé")
    keys.press(tab.get_by_role("button", name="Envoyer ma demande"))
    expect(tab.get_by_role("status")).to_be_visible()
    done.append(tab.url)

    screenshot(tab, "clavier-demarches")
    tab.goto("/mes-demandes")
    for demarche in ("Changement d'adresses postales", "Signaler un problème"):
        expect(tab.locator("main")).to_contain_text(demarche)
    assert len(done) == 5, done


def test_an_agent_decides_with_the_keyboard_alone(demo: Flask, tab: Any) -> None:
    """The demo's waiting phone change, claimed and accepted by the Accueil agent without a mouse."""
    keys = Keys(tab)
    log_in(tab, keys, "agent", "demo-agent-2026")
    tab.goto("/agents/")
    row = tab.get_by_role("row").filter(has_text="Changement de téléphones")
    expect(row).to_have_count(1)
    keys.press(row.get_by_role("button", name=re.compile("^Prendre en charge")))
    expect(tab.get_by_role("status")).to_be_visible()
    row = tab.get_by_role("row").filter(has_text="Changement de téléphones")
    keys.press(row.get_by_role("link", name=re.compile("^DEM-")))
    keys.radio(tab.get_by_role("radio", name="Accepter la demande"))
    keys.press(tab.get_by_role("button", name="Enregistrer la décision"))
    expect(tab.get_by_role("status")).to_contain_text(re.compile("enregistrée", re.I))
    screenshot(tab, "clavier-decision-agent")
