"""In Chromium: an agent of « Vie des quartiers » edits a facility (bad hours first); a family finds it,
then files « Signaler un problème » from the contact page and follows its status. axe on every state,
reflow at 320 px, screenshots at 1280 and 375 px (test-artifacts/structures-*.png)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from tests.browser.guide_screens import VIEWPORT, doc_screenshot
from tests.browser.test_accessibility import Audit, log_in
from tests.fixtures.browser import screenshot
from tests.integration.test_structures import at_paris, facility

pytestmark = pytest.mark.browser

GROUP = "Vie des quartiers"
SCHOOL = [(d, s, e) for d in (0, 1, 3, 4) for s, e in ((500, 690), (800, 990))]


def town(app: Any) -> dict[str, int]:
    return {
        "mediatheque": facility(
            app,
            openings=[(1, 840, 1140), (2, 600, 750), (2, 840, 1080), (5, 600, 1080)],
            closures=[(date(2026, 12, 21), date(2026, 12, 23), "Inventaire annuel")],
        ),
        "ecole": facility(
            app, "École élémentaire Jean-Macé", "ecole", "Centre", openings=SCHOOL, website=None
        ),
        "gymnase": facility(app, "Gymnase Richet", "equipement_sportif", "Europe", email=None),
    }


def shots(page: Any, name: str) -> None:
    """Full-page screenshots at 1280 and 375 px, and no horizontal scrolling at 375 px; the guides'
    images (docs/images/structures-<name>.png) with GUICHET_DOC_SCREENSHOTS=1."""
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"structures-{name}-{width}")
        if width == 375:
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 375, name
    page.set_viewport_size(VIEWPORT)
    doc_screenshot(page, f"structures-{name}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_agent_edits_a_facility_hours_and_adds_a_closure(page: Any, app: Any, make_user: Any) -> None:
    ids = town(app)
    agent = make_user("agent", groups=(GROUP,), prenom="Nora", nom="Benali")
    audit = Audit(page)
    log_in(page, agent)
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Gérer les structures"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gérer les structures")
    audit.check("structures-gerer")
    shots(page, "gerer")
    page.get_by_role("link", name="École élémentaire Jean-Macé").click()

    lundi = page.get_by_role("textbox", name="Lundi")
    expect(lundi).to_have_value("8:20-11:30, 13:20-16:30")
    lundi.fill("8:20-11:30, 11:00-16:30")
    page.get_by_role("textbox", name="Mercredi").fill("8:20-11:30")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Lundi : Les plages 8 h 20 – 11 h 30 et 11 h – 16 h 30 se chevauchent.")
    expect(page.get_by_role("textbox", name="Mercredi")).to_have_value("8:20-11:30")  # nothing lost
    audit.check("structures-modifier-erreur")
    shots(page, "modifier-erreur")
    summary.get_by_role("link").click()
    expect(page.get_by_role("textbox", name="Lundi")).to_be_focused()
    page.get_by_role("textbox", name="Lundi").fill("8:20-11:30, 13:20-16:30")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.get_by_role("status")).to_contain_text("sont enregistrées")

    closure = page.get_by_role("form", name="Ajouter une fermeture exceptionnelle")
    closure.get_by_label("Du").fill("2027-02-15")
    closure.get_by_label("Au (inclus)").fill("2027-02-12")
    closure.get_by_label("Motif").fill("Travaux de peinture")
    closure.get_by_role("button", name="Ajouter la fermeture").click()
    expect(page.get_by_role("alert")).to_contain_text("La fermeture se termine avant de commencer")
    expect(page.get_by_label("Motif")).to_have_value("Travaux de peinture")
    audit.check("structures-fermeture-erreur")
    page.get_by_label("Au (inclus)").fill("2027-02-19")
    page.get_by_role("button", name="Ajouter la fermeture").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Fermé exceptionnellement du 15 février 2027 au 19 février 2027"
    )
    audit.check("structures-modifier")
    shots(page, "modifier")

    page.goto(f"/structures/{ids['ecole']}")
    expect(page.get_by_text("Mercredi : 8 h 20 – 11 h 30")).to_be_visible()
    expect(page.get_by_text("Fermé exceptionnellement du 15 février 2027 au 19 février 2027")).to_be_visible()
    audit.done(4)


def test_a_family_finds_a_facility_and_reports_a_problem(
    page: Any, app: Any, people: Any, live_server: str
) -> None:
    with time_machine.travel(at_paris(2026, 12, 16, 10, 0), tick=True):  # a Wednesday morning
        ids = town(app)
        family = people["famille"]
        audit = Audit(page)
        page.goto("/structures")  # a visitor first
        audit.check("structures-liste-visiteur")
        log_in(page, family)
        page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Structures").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Structures de la ville")
        shots(page, "liste")
        page.get_by_role("searchbox", name="Nom de la structure").fill("mediatheque")
        page.get_by_role("combobox", name="Quartier").select_option("Europe")
        page.get_by_role("button", name="Rechercher").click()
        expect(page.get_by_role("heading", name="1 structure trouvée")).to_be_visible()
        audit.check("structures-recherche")
        page.get_by_role("link", name="Médiathèque Jules-Verne").click()
        expect(page.get_by_text("Ouvert en ce moment, jusqu'à 12 h 30")).to_be_visible()
        expect(page.get_by_text("Mercredi : 10 h – 12 h 30, 14 h – 18 h")).to_be_visible()
        expect(
            page.get_by_text("Fermé exceptionnellement du 21 décembre 2026 au 23 décembre 2026")
        ).to_be_visible()
        audit.check("structures-fiche")
        shots(page, "fiche")

        page.get_by_role("contentinfo").get_by_role(
            "link", name="A qui s'adresser en cas de problème ?"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("A qui s'adresser en cas de problème ?")
        audit.check("contact")
        shots(page, "contact")
        page.get_by_role("button", name="Signaler un problème").click()
        page.get_by_role("button", name="Envoyer mon signalement").click()
        expect(page.get_by_role("alert")).to_contain_text("Choisissez le type de problème.")
        audit.check("signaler-erreur")
        page.get_by_label("Une information erronée sur une structure de la ville").check()
        page.get_by_role("textbox", name="Objet").fill("Horaires du gymnase")
        page.get_by_role("textbox", name="Description du problème").fill(
            "Le gymnase Richet est fermé le dimanche matin depuis septembre."
        )
        page.get_by_role("button", name="Envoyer mon signalement").click()
        expect(page.get_by_text("Transmis au service Accueil").first).to_be_visible()
        audit.check("signaler-demande")
        shots(page, "signalement")
        request_url = page.url

        # The Accueil agent answers from the dossier (its own browser context).
        agent_context = page.context.browser.new_context(base_url=live_server, locale="fr-FR")
        try:
            agent_page = agent_context.new_page()
            log_in(agent_page, people["accueil"])
            agent_page.goto("/agents/")
            agent_page.get_by_role("row").filter(has_text="Signaler un problème").locator(
                "a.reference-link"
            ).click()
            diagram = agent_page.locator("#diagramme")
            expect(diagram).to_have_attribute("data-diagram-ready", "true")
            expect(diagram.locator(".djs-element.tache-courante")).to_have_attribute(
                "data-element-id", "reponse"
            )
            expect(agent_page.get_by_text("Le gymnase Richet est fermé le dimanche matin")).to_be_visible()
            agent_page.get_by_label("Transmis au service concerné").check()
            agent_page.get_by_role("textbox", name="Réponse à la famille").fill(
                "Transmis au service des sports."
            )
            audit_agent = Audit(agent_page)
            audit_agent.check("signaler-agent-dossier")
            agent_page.get_by_role("button", name="Envoyer la réponse").click()
            expect(agent_page.get_by_role("status")).to_contain_text(
                "décision « Transmis au service concerné » enregistrée"
            )
            audit_agent.done(1)
        finally:
            agent_context.close()
        page.goto(request_url)
        expect(page.get_by_text("Transmis au service concerné").first).to_be_visible()
        expect(page.get_by_text("Transmis au service des sports.").first).to_be_visible()
        page.goto("/contact")
        expect(page.get_by_role("region", name="Mes signalements")).to_contain_text(
            "Transmis au service concerné"
        )
        audit.done(6)
    assert ids


def test_facility_pages_reflow_at_320_px(browser: Any, live_server: str, app: Any, make_user: Any) -> None:
    ids = town(app)
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport={"width": 320, "height": 640}
    )
    try:
        page = context.new_page()
        audit = Audit(page)
        for path, name in [
            ("/structures", "structures-etroit-liste"),
            (f"/structures/{ids['mediatheque']}", "structures-etroit-fiche"),
            ("/contact", "structures-etroit-contact"),
        ]:
            page.goto(path)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 320, path
            audit.check(name)
        log_in(page, make_user("agent", groups=(GROUP,)))
        for path, name in [
            ("/agents/structures", "structures-etroit-gerer"),
            (f"/agents/structures/{ids['mediatheque']}/modifier", "structures-etroit-modifier"),
        ]:
            page.goto(path)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 320, path
            audit.check(name)
        audit.done(5)
    finally:
        context.close()
