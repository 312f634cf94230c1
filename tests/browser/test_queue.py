"""The agent's queue in the real browser: tabs with counts, filters, bulk claim, next/previous.

Screenshots (test-artifacts/queue-*.png) illustrate docs/guide-agent.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine import api
from engine.db import utcnow
from engine.models import HumanTask, HumanTaskState
from tests.fixtures.app import PASSWORD
from tests.fixtures.browser import screenshot
from web.accounts.models import User
from web.extensions import db

pytestmark = pytest.mark.browser

ADDRESS = {
    "adresse_ligne1": "12 rue de la Mairie",
    "adresse_ligne2": "",
    "code_postal": "78140",
    "commune": "Vélizy-Villacoublay",
}


def file_request(app: Any, family: User) -> int:
    with app.app_context():
        session = db.session()
        instance = api.start(session, "changement_adresse", family)
        (own,) = [t for t in api.tasks_for(session, family) if t.instance_id == instance.id]
        api.complete(session, own.id, family, ADDRESS)
        session.commit()
        return int(
            session.execute(
                select(HumanTask.id).where(
                    HumanTask.instance_id == instance.id, HumanTask.state == HumanTaskState.OPEN
                )
            ).scalar_one()
        )


def log_in(tab: Any, user: User) -> None:
    tab.goto("/connexion")
    box = tab.get_by_role("region", name="MON ESPACE PERSO")
    box.get_by_role("textbox", name="Nom d'utilisateur").fill(user.username)
    box.get_by_label("Mot de passe").fill(PASSWORD)
    box.get_by_role("button", name="Connexion").click()
    expect(tab.get_by_role("status")).to_contain_text(f"Bienvenue, {user.display_name}.")


def test_agent_works_through_the_queue(page: Any, app: Any, make_user: Callable[..., User]) -> None:
    agent = make_user("agent", groups=["Accueil", "Etat civil"], prenom="Dominique", nom="Garnier")
    colleague = make_user("agent", groups=["Accueil"], prenom="Sam", nom="Moreau")
    families = [
        make_user("famille", prenom=prenom, nom=nom)
        for prenom, nom in (
            ("Camille", "Martin"),
            ("Hélène", "Zola"),
            ("Louis", "Bernard"),
            ("Inès", "Petit"),
        )
    ]
    ids = [file_request(app, family) for family in families]
    with app.app_context():
        session = db.session()
        session.get(HumanTask, ids[0]).due_at = utcnow() - timedelta(days=3)
        api.claim(session, ids[2], colleague)
        session.commit()

    log_in(page, agent)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tâches à traiter")
    tabs = page.get_by_role("navigation", name="Files de tâches")
    expect(tabs.get_by_role("link")).to_have_text(
        ["Mes tâches 0", "Accueil 4", "Etat civil 0", "Tous mes services 4", "En attente de la famille 0"]
    )
    tabs.get_by_role("link", name="Accueil 4").click()
    expect(tabs.get_by_role("link", name="Accueil 4")).to_have_attribute("aria-current", "page")
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(5)
    overdue = table.get_by_role("row").filter(has_text="Martin")
    expect(overdue).to_contain_text("En retard")
    expect(table.get_by_role("row").filter(has_text="Bernard")).to_contain_text("Sam Moreau")
    screenshot(page, "queue-01-file-accueil")

    # Search by family name, accents ignored.
    page.get_by_role("searchbox", name="Rechercher").fill("helene")
    page.get_by_role("button", name="Filtrer").click()
    expect(table.get_by_role("row")).to_have_count(2)
    expect(page.get_by_text("1 tâche ouverte correspond aux filtres")).to_be_visible()
    page.get_by_role("link", name="Effacer les filtres").click()

    # Sort by Échéance (the header is a link), then select everything and claim the selection.
    table.get_by_role("link", name=re.compile("^Échéance")).click()
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Échéance")
    page.get_by_role("checkbox", name="Tout sélectionner").check()
    page.get_by_role("button", name="Prendre en charge la sélection").click()
    expect(page.get_by_role("status").first).to_contain_text("3 tâches prises en charge.")
    expect(tabs.get_by_role("link", name="Mes tâches 3")).to_be_visible()
    screenshot(page, "queue-02-selection-prise-en-charge")

    # Save the current filter, then open « Mes tâches ».
    page.get_by_role("textbox", name="Nom du filtre").fill("Accueil par échéance")
    page.get_by_role("button", name="Enregistrer ce filtre").click()
    expect(page.get_by_role("region", name="Mes filtres").get_by_role("link")).to_have_text(
        ["Accueil par échéance"]
    )
    tabs.get_by_role("link", name="Mes tâches 3").click()
    expect(table.get_by_role("row")).to_have_count(4)
    screenshot(page, "queue-03-mes-taches")

    # Open the first task, and move through the queue with « Dossier suivant ».
    table.get_by_role("row").nth(1).get_by_role("link").first.click()
    expect(page.get_by_text("Vous avez pris en charge cette tâche.")).to_be_visible()
    screenshot(page, "queue-04-tache-prise-en-charge")
    first_url = page.url
    page.get_by_role("link", name="Dossier suivant →").click()
    expect(page).not_to_have_url(first_url)
    expect(page).to_have_url(re.compile(r"/agents/dossiers/\d+\?tache=\d+&file=moi$"))
    page.get_by_role("button", name="Remettre dans la file").click()
    expect(page.get_by_role("status").first).to_contain_text("est remise dans la file")
