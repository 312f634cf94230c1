"""What a new family, agent and analyst meet first (issue 10): wording, menus, favicon, and every
page they touch at 1280, 375 and 320 CSS pixels (no horizontal scrolling, tables as cards), with axe.

Screenshots: test-artifacts/dehors-*.png.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.fixtures.app import PASSWORD, login
from tests.fixtures.axe import BLOCKING, axe_violations, describe
from tests.fixtures.browser import screenshot
from tests.fixtures.integration import decide, file_address_change
from web.accounts.models import User

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 800}
WIDTHS = (375, 320)


class Tour:
    """Each page: axe at 1280 px, screenshots at 1280 and 375 px, no horizontal scroll at 375 and 320 px."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: list[str] = []
        self.missing: list[str] = []
        page.on("response", lambda r: self.missing.append(r.url) if r.status == 404 else None)

    def check(self, name: str) -> None:
        page = self.page
        page.set_viewport_size(WIDE)
        screenshot(page, f"dehors-{name}-1280")
        blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
        if blocking:
            self.problems.append(f"axe {name} ({page.url})\n{describe(blocking)}")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 700})
            if width == 375:
                screenshot(page, f"dehors-{name}-375")
            scroll = page.evaluate("() => document.documentElement.scrollWidth")
            if scroll > width:
                wide = page.evaluate(
                    """(w) => [...document.querySelectorAll('main *')]
                        .filter(e => e.getBoundingClientRect().right > w + 1)
                        .slice(0, 3).map(e => e.tagName + '.' + e.className).join(', ')""",
                    width,
                )
                self.problems.append(f"{name} is {scroll} px wide at {width} px ({wide})")
        page.set_viewport_size(WIDE)

    def done(self) -> None:
        assert not self.problems, "\n".join(self.problems)
        assert not self.missing, self.missing


def log_in(tab: Any, user: User) -> None:
    tab.goto("/connexion")
    box = tab.get_by_role("region", name="MON ESPACE PERSO")
    box.get_by_role("textbox", name="Nom d'utilisateur").fill(user.username)
    box.get_by_label("Mot de passe").fill(PASSWORD)
    box.get_by_role("button", name="Connexion").click()
    expect(tab.get_by_role("status")).to_contain_text(f"Bienvenue, {user.display_name}.")


def test_a_family_s_pages(app: Any, page: Any, make_user: Callable[..., User]) -> None:
    family = make_user("famille", prenom="Camille", nom="Lefèvre-Dupont de la Fontaine")
    agent = make_user("agent", groups=["Accueil"], prenom="Alex", nom="Durand")
    client = app.test_client()
    login(client, family)
    waiting = file_address_change(app, client)
    file_address_change(app, client)
    staff = app.test_client()
    login(staff, agent)
    assert decide(staff, waiting.agent_task_id, "complement", "Précisez l'étage.").status_code == 302

    tour = Tour(page)
    log_in(page, family)
    page.goto("/mes-demandes")
    table = page.locator("table").first
    expect(table).to_contain_text("Échéance")
    tour.check("mes-demandes")
    page.goto(f"/mes-demandes/{waiting.instance_id}")
    # The complement task's button says it once (« Compléter ma demande », not twice).
    expect(page.get_by_role("link", name="Compléter ma demande", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Accusé de réception")).to_contain_text(waiting.reference)
    tour.check("une-demande")
    page.goto("/demarches/changement_adresse/aide")
    expect(page.locator("main")).to_contain_text("elle n'est pas close")
    expect(page.locator("main")).not_to_contain_text("close automatiquement")
    tour.check("aide-adresse")
    page.goto("/profil/espace")
    expect(page.locator("dl[data-phone='mobile']")).to_be_visible()
    tour.check("profil-espace")
    # The dev outbox: a marked development tool, not an entry of the main menu.
    menu = page.get_by_role("navigation", name="Menu principal")
    expect(menu.get_by_role("link", name="Courriels (développement)")).to_have_count(0)
    expect(page.locator("[data-dev-bar]")).to_contain_text("Outil de développement")
    response = page.request.get("/favicon.ico")
    assert response.status == 200
    tour.done()


def test_an_agent_s_pages(app: Any, page: Any, make_user: Callable[..., User]) -> None:
    family = make_user("famille", prenom="Camille", nom="Lefèvre")
    agent = make_user("agent", groups=["Accueil"], prenom="Alex", nom="Durand")
    admin = make_user("admin", groups=["Accueil"], prenom="Claude", nom="Petit")
    client = app.test_client()
    login(client, family)
    waiting = file_address_change(app, client)
    filed = file_address_change(app, client)
    staff = app.test_client()
    login(staff, agent)
    assert decide(staff, waiting.agent_task_id, "complement", "Précisez l'étage.").status_code == 302

    tour = Tour(page)
    log_in(page, agent)
    page.goto("/agents/")
    tabs = page.get_by_role("navigation", name="Files de tâches")
    expect(tabs.locator("[aria-current='page']")).to_have_text("Accueil 1")
    expect(tabs.get_by_role("link", name="En attente de la famille 1")).to_be_visible()
    options = page.get_by_label("Démarche").locator("option")
    expect(options).not_to_contain_text(["Création d'un espace personnel"])
    assert "Mot de passe oublié" not in " ".join(options.all_text_contents())
    tour.check("file-accueil")
    page.goto(f"/agents/dossiers/{filed.instance_id}")
    expect(page.locator("[data-dossier-data]")).to_be_visible()
    tour.check("dossier")
    page.get_by_label("Accepter la demande").check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Demande {filed.reference} : décision « Accepter la demande » enregistrée."
    )
    page.goto(f"/agents/dossiers/{filed.instance_id}")
    expect(page.locator("main")).to_contain_text("Numéro et libellé de la voie")
    page.goto("/agents/")
    page.get_by_role("link", name="En attente de la famille").first.click()
    expect(page.locator("table[data-requests]")).to_contain_text(waiting.reference)
    tour.check("attente-famille")
    page.get_by_role("searchbox", name="Trouver une demande").fill("lefèvre")
    page.get_by_role("button", name="Trouver", exact=True).click()
    expect(page.locator("table[data-requests]")).to_contain_text(filed.reference)
    tour.check("recherche")
    page.goto("/agents/cles")
    # An agent of Accueil alone issues no key: the page says which service does (Enfance).
    expect(page.get_by_role("main")).to_contain_text("(Enfance)")
    tour.check("cles")
    tour.done()

    page.context.clear_cookies()
    log_in(page, admin)
    page.goto(f"/admin/agents/{agent.id}/absences")
    expect(page.get_by_role("heading", level=1)).to_have_text("Absences d'Alex Durand")
    expect(page.locator("main")).not_to_contain_text("Mes tâches en cours")
    expect(page.locator("main")).not_to_contain_text("de mon service")
    tour.check("absences-d-un-agent")
    tour.done()


def test_an_analyst_s_menu(page: Any, make_user: Callable[..., User]) -> None:
    analyst = make_user("analyste", prenom="Sacha", nom="Leroy")
    tour = Tour(page)
    log_in(page, analyst)
    menu = page.get_by_role("navigation", name="Menu principal")
    for absent in ("Tâches à traiter", "Clés espace citoyens", "Mes absences"):
        expect(menu.get_by_role("link", name=absent)).to_have_count(0)
    expect(page).not_to_have_url("/agents/")
    tour.check("analyste")
    tour.done()
