"""The studio's scenario editor and « Où les demandes attendent » in Chromium (issue 17, points 4 and 6).

The analyst writes a case with the keyboard, plays it, sees it fail in French; the waiting page shows
the figures on the diagram (bpmn-js overlays) and the same figures as a table; no CSP violation, no
serious axe violation, screenshots at 1280 and 375 px without horizontal scroll (with
GUICHET_DOC_SCREENSHOTS=1, also those of docs/guide-analyste.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.guide_screens import doc_screenshot
from tests.browser.test_dossier import log_in
from tests.browser.test_studio import CSP_LISTENER, checked
from tests.fixtures.app import login
from tests.fixtures.browser import screenshot
from tests.fixtures.integration import decide, file_address_change
from web.accounts.models import User

pytestmark = pytest.mark.browser
KEY = "changement_adresse"


def no_horizontal_scroll(tab: Any) -> None:
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), tab.url


def test_scenario_editor_and_waiting_figures(app: Any, page: Any, make_user: Callable[..., User]) -> None:
    family = make_user("famille", prenom="Camille", nom="Lefèvre")
    agent = make_user("agent", groups=["Accueil"], prenom="Dominique", nom="Garnier")
    analyst = make_user("analyste", prenom="Ana", nom="Lyste")
    family_client, agent_client = app.test_client(), app.test_client()
    login(family_client, family)
    login(agent_client, agent)
    first = file_address_change(app, family_client)
    second = file_address_change(app, family_client)
    decide(agent_client, first.agent_task_id, "acceptee")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.add_init_script(CSP_LISTENER)
    log_in(page, analyst)
    page.goto(f"/studio/{KEY}")
    page.get_by_role("link", name="Cas de test").click()
    page.get_by_role("link", name="Écrire un cas").click()

    # The keyboard alone: Tab from field to field.
    page.get_by_label("Nom du cas").focus()
    page.keyboard.type("Refus sans motif")
    page.keyboard.press("Tab")
    page.keyboard.type(
        'saisie: adresse_ligne1 = 3 rue Neuve ; adresse_ligne2 = "" ; code_postal = "78140" ; '
    )
    page.keyboard.type('commune = Vélizy\ninstruction: decision = "refusee" ; motif = ""')
    page.keyboard.press("Tab")
    page.keyboard.type("saisie, instruction, notifier_acceptation")
    page.get_by_label("Statut final attendu").select_option("completed")
    page.get_by_label("Libellé final attendu (facultatif)").fill("Refusée")
    checked(page, "studio-cas-ecrire-1280")
    page.get_by_role("button", name="Enregistrer le cas").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Cas « Refus sans motif » enregistré.")

    page.get_by_role("button", name="Jouer les cas sur la version en service").click()
    results = page.locator("#resultats-cas")
    expect(results.locator("[data-scenario='Adresse acceptée']")).to_have_attribute("data-ok", "oui")
    failed = results.locator("[data-scenario='Refus sans motif']")
    expect(failed).to_have_attribute("data-ok", "non")
    expect(failed).to_contain_text("Le parcours attendu passe par « notifier_acceptation »")
    checked(page, "studio-cas-resultats-1280")
    doc_screenshot(page, "studio-cas-resultats")

    page.goto(f"/studio/{KEY}")
    page.get_by_role("link", name="Où les demandes attendent").click()
    diagram = page.locator("#diagramme-attente")
    expect(diagram).to_have_attribute("data-diagram-ready", "true", timeout=20000)
    table = page.get_by_role(
        "table", name="Demandes passées, en attente et temps passé, par élément du diagramme"
    )
    row = table.locator("tr[data-element-id='instruction']")
    expect(row).to_contain_text("Instruire la demande")
    expect(row.locator("td").nth(0)).to_have_text("Tâche")
    expect(row.locator("td").nth(1)).to_have_text("1")
    expect(row.locator("td").nth(2)).to_have_text("1")
    badge = diagram.locator(".djs-overlays[data-container-id='instruction'] .attente-badge")
    expect(badge).to_have_text("1 passées · 1 en attente · médiane moins d'une minute")
    expect(diagram.locator("[data-element-id='instruction'].attente-forte")).to_have_count(1)
    # Timers and automatic steps: the same figures, in the table and on the diagram.
    timer = table.locator("tr[data-element-id='relance']")
    expect(timer.locator("td").nth(0)).to_have_text("Minuteur")
    expect(timer.locator("td").nth(2)).to_have_text("1")  # the second request's reminder waits
    expect(diagram.locator(".djs-overlays[data-container-id='relance'] .attente-badge")).to_have_text(
        "0 passées · 1 en attente · médiane —"
    )
    automatic = table.locator("tr[data-element-id='notifier_acceptation']")
    expect(automatic.locator("td").nth(0)).to_have_text("Étape automatique")
    expect(
        diagram.locator(".djs-overlays[data-container-id='notifier_acceptation'] .attente-badge")
    ).to_have_text("1 passées · 0 en attente · médiane moins d'une minute")
    expect(diagram.locator("[data-element-id].attente-forte")).to_have_count(1)  # the busiest user task only
    checked(page, "studio-attente-1280")

    page.get_by_label("Référence de la demande").fill(second.reference)
    page.get_by_role("button", name="Suivre").click()
    expect(page.locator("#parcours-demande li")).to_have_count(2)
    expect(diagram).to_have_attribute("data-diagram-ready", "true", timeout=20000)
    expect(diagram.locator("[data-element-id='saisie'].tache-parcourue")).to_have_count(1)
    expect(diagram.locator("[data-element-id='instruction'].tache-courante")).to_have_count(1)
    checked(page, "studio-attente-parcours-1280")
    doc_screenshot(page, "studio-attente")

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    expect(diagram).to_have_attribute("data-diagram-ready", "true", timeout=20000)
    no_horizontal_scroll(page)
    screenshot(page, "studio-attente-375")
    page.goto(f"/studio/{KEY}/scenarios")
    no_horizontal_scroll(page)
    screenshot(page, "studio-cas-375")


def test_preview_and_migration_pages(app: Any, page: Any, make_user: Callable[..., User]) -> None:
    from tests.integration.test_studio import _adresse_v2

    family = make_user("famille", prenom="Camille", nom="Lefèvre")
    analyst = make_user("analyste", prenom="Ana", nom="Lyste")
    family_client = app.test_client()
    login(family_client, family)
    filed = file_address_change(app, family_client)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.add_init_script(CSP_LISTENER)
    log_in(page, analyst)
    # The analyst's draft (saved as the editor would) changes the instruction's label and name.
    page.goto(f"/studio/{KEY}/editeur")
    page.evaluate(
        """([url, xml, token]) => fetch(url, {method: 'POST', credentials: 'same-origin',
             headers: {'Content-Type': 'application/x-www-form-urlencoded'},
             body: new URLSearchParams({bpmn: xml, csrf_token: token})})""",
        [
            f"/studio/{KEY}/brouillon",
            _adresse_v2(),
            page.locator("input[name=csrf_token]").first.input_value(),
        ],
    )
    page.goto(f"/studio/{KEY}")
    page.get_by_role("link", name="Aperçu avant publication : demandes en cours et cas rejoués").click()
    expect(page.get_by_role("heading", name="Peuvent passer à la nouvelle version (1)")).to_be_visible()
    expect(page.locator("[data-verdicts='deplacables']")).to_contain_text(filed.reference)
    page.get_by_role("button", name="Rejouer les cas sur le brouillon").click()
    expect(page.locator("#resultats-cas [data-ok='oui']")).to_have_count(3)
    checked(page, "studio-apercu-1280")
    doc_screenshot(page, "studio-apercu")
    page.goto(f"/studio/{KEY}")
    page.get_by_label("Ce qui change dans cette version").fill("Nouveau libellé")
    page.get_by_role("button", name="Publier la version").click()
    expect(page.get_by_role("status")).to_contain_text("Version 2 publiée")
    page.get_by_role("link", name="Déplacer les demandes en cours vers la version 2").click()
    page.get_by_role("button", name="Déplacer cette demande vers la version 2").click()
    expect(page.get_by_role("status")).to_contain_text("1 demande déplacée vers la version 2.")
    expect(page.get_by_role("button", name="Annuler ce déplacement")).to_be_visible()
    checked(page, "studio-deplacement-1280")
    doc_screenshot(page, "studio-deplacement")
    page.set_viewport_size({"width": 375, "height": 800})
    no_horizontal_scroll(page)
    screenshot(page, "studio-deplacement-375")
