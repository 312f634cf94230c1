"""The agent's dossier page in Chromium: the BPMN diagram (vendored bpmn-js) with the current task
marked, an internal comment, a decision, the absences page and the administration pages.

The screenshots are those of docs/guide-agent.md (copied to docs/images/ by hand after looking at them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.fixtures.app import PASSWORD
from tests.fixtures.browser import screenshot
from tests.fixtures.integration import file_address_change
from web.accounts.models import User

pytestmark = pytest.mark.browser
COMMENT = "Justificatif de domicile demandé par téléphone."


def log_in(tab: Any, user: User) -> None:
    tab.goto("/connexion")
    box = tab.get_by_role("region", name="MON ESPACE PERSO")
    box.get_by_role("textbox", name="Nom d'utilisateur").fill(user.username)
    box.get_by_label("Mot de passe").fill(PASSWORD)
    box.get_by_role("button", name="Connexion").click()
    expect(tab.get_by_role("status")).to_contain_text(f"Bienvenue, {user.display_name}.")


def test_dossier_diagram_comment_and_decision(app: Any, page: Any, make_user: Callable[..., User]) -> None:
    family = make_user("famille", prenom="Camille", nom="Lefèvre", telephone="+33130000000")
    agent = make_user("agent", groups=["Accueil"], prenom="Dominique", nom="Garnier")
    client = app.test_client()
    from tests.fixtures.app import login

    login(client, family)
    filed = file_address_change(app, client)

    log_in(page, agent)
    # Every CSP violation of the page is recorded (the CSP has no 'unsafe-eval' nor 'unsafe-inline').
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto(f"/agents/dossiers/{filed.instance_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(filed.reference)
    diagram = page.locator("#diagramme")
    expect(diagram).to_have_attribute("data-diagram-ready", "true")
    # bpmn-js drew the diagram of the instance's version; the current task carries the marker.
    marked = diagram.locator(".djs-element.tache-courante")
    expect(marked).to_have_count(1)
    expect(marked).to_have_attribute("data-element-id", "instruction")
    expect(diagram.locator(".djs-element[data-element-id='saisie']")).not_to_have_class(
        re.compile("tache-courante")
    )
    stroke = marked.locator(".djs-visual > :first-child").evaluate("e => getComputedStyle(e).stroke")
    assert stroke == "rgb(194, 65, 12)", stroke
    # The licence's bpmn.io watermark is kept.
    expect(diagram.locator(".bjs-powered-by")).to_be_visible()
    expect(page.locator("[data-diagram-error]")).to_be_hidden()
    csp = page.evaluate("window.__csp")
    assert csp == [], csp
    assert "unsafe-eval" not in page.request.get("/").headers["content-security-policy"]
    diagram.scroll_into_view_if_needed()
    screenshot(page, "dossier-01-agent-dossier")

    # « Ajouter un commentaire interne »
    page.get_by_role("textbox", name="Commentaire interne à ajouter").fill(COMMENT)
    page.get_by_role("button", name="Ajouter le commentaire").click()
    expect(page.get_by_role("status")).to_contain_text("Commentaire interne ajouté.")
    entry = page.locator(".timeline-item", has_text=COMMENT)
    expect(entry).to_contain_text("Interne")
    expect(entry).to_contain_text("Dominique Garnier")
    screenshot(page, "dossier-02-commentaire-interne")

    # Decide from the dossier page.
    task = page.locator(".dossier-task")
    task.get_by_label("Accepter la demande").check()
    task.get_by_role("textbox", name="Message à la famille").fill("Adresse mise à jour.")
    task.get_by_role("button", name="Enregistrer la décision").click()
    # Back to the queue the agent came from (here the whole queue), then the dossier again.
    expect(page.get_by_role("status")).to_contain_text("décision « Accepter la demande » enregistrée.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tâches à traiter")
    page.goto(f"/agents/dossiers/{filed.instance_id}")
    expect(page.locator(".details").first).to_contain_text("Acceptée")
    expect(page.locator("#diagramme")).to_have_attribute("data-diagram-ready", "true")
    expect(page.locator("#diagramme .tache-courante")).to_have_count(0)
    screenshot(page, "dossier-03-decision-enregistree")

    # The family never sees the internal comment.
    family_tab = page.context.browser.new_context(
        base_url=page.url.split("/agents")[0], locale="fr-FR"
    ).new_page()
    try:
        log_in(family_tab, family)
        family_tab.goto(f"/mes-demandes/{filed.instance_id}")
        expect(family_tab.locator(".timeline")).to_contain_text("Adresse mise à jour.")
        expect(family_tab.get_by_role("main")).not_to_contain_text(COMMENT)
    finally:
        family_tab.context.close()


def test_absence_and_administration_pages(page: Any, make_user: Callable[..., User]) -> None:
    admin = make_user("admin", groups=["Accueil"], prenom="Claude", nom="Petit")
    make_user("agent", groups=["Accueil"], prenom="Sam", nom="Moreau")
    log_in(page, admin)
    nav = page.get_by_role("navigation", name="Menu principal")
    nav.get_by_role("link", name="Mes absences").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes absences")
    page.get_by_label("Les confier à un collègue de mon service").check()
    page.get_by_role("button", name="Enregistrer l'absence").click()
    expect(page.locator("#delegate-erreur")).to_have_text("Choisissez le collègue à qui confier les tâches.")
    page.get_by_label("Collègue", exact=True).select_option(label="Sam Moreau (Accueil)")
    page.get_by_role("button", name="Enregistrer l'absence").click()
    expect(page.get_by_role("status").first).to_contain_text("Absence de Claude Petit enregistrée")
    expect(page.get_by_role("button", name="Je suis de retour")).to_be_visible()
    screenshot(page, "dossier-04-mes-absences")
    page.get_by_role("button", name="Je suis de retour").click()
    expect(page.get_by_role("status").first).to_contain_text("est de retour")

    nav.get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agents")
    expect(page.get_by_role("table")).to_contain_text("Sam Moreau")
    screenshot(page, "dossier-05-admin-agents")
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Groupes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Groupes (services)")
    expect(page.get_by_role("row", name=re.compile("^Accueil"))).to_contain_text(
        "Changement d'adresses postales"
    )
    screenshot(page, "dossier-06-admin-groupes")


def test_a_stale_decision_shows_the_new_state(app: Any, page: Any, make_user: Callable[..., User]) -> None:
    from tests.fixtures.app import login
    from tests.fixtures.integration import decide

    family = make_user("famille", prenom="Camille", nom="Lefèvre")
    agent = make_user("agent", groups=["Accueil"], prenom="Dominique", nom="Garnier")
    colleague = make_user("agent", groups=["Accueil"], prenom="Sam", nom="Moreau")
    client = app.test_client()
    login(client, family)
    filed = file_address_change(app, client)

    log_in(page, agent)
    page.goto(f"/agents/dossiers/{filed.instance_id}")
    task = page.locator(".dossier-task")
    task.get_by_label("Refuser la demande").check()
    task.get_by_role("textbox", name="Message à la famille").fill("Pièce justificative manquante.")
    # Meanwhile a colleague accepts the request.
    other = app.test_client()
    login(other, colleague)
    assert decide(other, filed.agent_task_id, "acceptee").status_code == 302
    task.get_by_role("button", name="Enregistrer la décision").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Votre envoi n'a pas été enregistré")
    expect(alert).to_contain_text("Pièce justificative manquante.")
    expect(page).to_have_title(re.compile("^Erreur – Dossier"))
    expect(page.locator(".status")).to_have_text("Acceptée")
    expect(page.locator(".dossier-task")).to_have_count(0)
    screenshot(page, "dossier-07-decision-perimee")
