"""axe-core on the main page states, error states included (SECURITY.md check 51, RGAA 4.1 via WCAG 2.1 AA).

Each test walks its pages, runs axe (tags wcag2a, wcag2aa, wcag21a, wcag21aa) on each state and
fails at the end with every serious or critical violation found, page by page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.fixtures.app import PASSWORD, login
from tests.fixtures.axe import BLOCKING, axe_violations, describe
from tests.fixtures.browser import screenshot
from tests.fixtures.integration import file_address_change
from web.accounts.models import User

pytestmark = pytest.mark.browser
NARROW = 320


class Audit:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.found: list[str] = []
        self.pages = 0

    def check(self, name: str, exclude: list[str] | None = None) -> None:
        self.pages += 1
        screenshot(self.page, f"a11y-{name}")
        blocking = [v for v in axe_violations(self.page, exclude) if v["impact"] in BLOCKING]
        if blocking:
            self.found.append(f"--- {name} ({self.page.url})\n{describe(blocking)}")
        self.reflow(name)

    def reflow(self, name: str) -> None:
        """Every audited page at 320 CSS pixels (WCAG 1.4.10): no horizontal scrolling."""
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": NARROW, "height": 640})
        width = self.page.evaluate("() => document.documentElement.scrollWidth")
        if width > NARROW:
            culprits = self.page.evaluate(
                """(w) => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > w + 1)
                    .slice(-3).map(e => e.tagName + '.' + e.className).join(', ')""",
                NARROW,
            )
            self.found.append(f"--- {name} ({self.page.url}) is {width} px wide at {NARROW} px: {culprits}")
        if size:
            self.page.set_viewport_size(size)

    def done(self, pages: int) -> None:
        assert self.pages == pages
        assert not self.found, "\n".join(self.found)


def log_in(tab: Any, user: User) -> None:
    tab.goto("/connexion")
    box = tab.get_by_role("region", name="MON ESPACE PERSO")
    box.get_by_role("textbox", name="Nom d'utilisateur").fill(user.username)
    box.get_by_label("Mot de passe").fill(PASSWORD)
    box.get_by_role("button", name="Connexion").click()
    expect(tab.get_by_role("status")).to_contain_text(f"Bienvenue, {user.display_name}.")


def test_axe_finds_a_violation_on_a_broken_page(page: Any) -> None:
    """The helper is not blind: an unlabelled field and an image without alt are reported."""
    page.goto("/connexion")
    page.evaluate(
        "() => { const m = document.querySelector('main');"
        " m.insertAdjacentHTML('beforeend', '<input type=text id=sans-nom><img src=/x.png id=sans-alt>'); }"
    )
    ids = {v["id"] for v in axe_violations(page) if v["impact"] in BLOCKING}
    assert {"label", "image-alt"} <= ids, ids


def test_public_pages(page: Any) -> None:
    audit = Audit(page)
    page.goto("/")
    audit.check("01-accueil")
    box = page.get_by_role("region", name="MON ESPACE PERSO")
    box.get_by_role("textbox", name="Nom d'utilisateur").fill("personne")
    box.get_by_label("Mot de passe").fill("pas le bon")
    box.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("02-connexion-erreur")
    page.goto("/demarches")
    audit.check("03-catalogue")
    page.goto("/demarches/changement_adresse/aide")
    audit.check("04-aide-a-la-saisie")
    page.goto("/page-qui-n-existe-pas")
    audit.check("05-erreur-404")
    page.goto("/accessibilite")
    audit.check("06-accessibilite")
    # Signup wizard: welcome, identity with an error, then the next steps.
    page.goto("/")
    page.get_by_role("button", name="Créer mon espace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("BIENVENUE")
    audit.check("07-inscription-1")
    page.get_by_role("button", name="JE CRÉE MON ESPACE").click()
    expect(page).to_have_title(re.compile(r"^Étape 2 sur 4"))
    audit.check("08-inscription-2")
    page.get_by_role("button", name="SUIVANT").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("09-inscription-2-erreur")
    page.get_by_label("Civilité").select_option("Madame")
    page.get_by_label("Nom usuel").fill("Bernard")
    page.get_by_label("Prénom(s)").fill("Louise")
    page.get_by_label("Date de naissance").fill("1990-05-17")
    page.get_by_role("button", name="SUIVANT").click()
    expect(page).to_have_title(re.compile(r"^Étape 3 sur 4"))
    audit.check("10-inscription-3")
    page.get_by_label("Mobile").fill("06 12 34 56 78")
    page.get_by_label("Courriel").fill("louise.bernard@exemple.fr")
    page.get_by_role("button", name="SUIVANT").click()
    expect(page).to_have_title(re.compile(r"^Étape 4 sur 4"))
    audit.check("11-inscription-4")
    page.get_by_label("Nom d'utilisateur").fill("louise")
    page.get_by_label("Entrez le texte ci-dessous").fill("000000")
    page.get_by_role("button", name="VALIDER").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("12-inscription-4-erreur")
    # Forgotten password.
    page.goto("/")
    page.get_by_role("button", name="J'ai oublié mon mot de passe.").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("OUBLI DE MOT DE PASSE")
    audit.check("13-oubli-de-mot-de-passe")
    page.get_by_role("button", name="VALIDER").click()
    audit.check("14-oubli-de-mot-de-passe-erreur")
    audit.done(14)


def test_family_pages(app: Any, page: Any, make_user: Callable[..., User]) -> None:
    family = make_user("famille", prenom="Camille", nom="Lefèvre")
    client = app.test_client()
    login(client, family)
    filed = file_address_change(app, client)

    audit = Audit(page)
    log_in(page, family)
    page.goto("/mes-demandes")
    audit.check("20-mes-demandes")
    page.goto(f"/mes-demandes/{filed.instance_id}")
    audit.check("21-une-demande")
    page.goto("/demarches")
    card = page.get_by_role("region", name="Changement d'adresse")
    card.get_by_role("button", name="Commencer la démarche").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saisir la nouvelle adresse")
    audit.check("22-changement-adresse")
    page.get_by_role("textbox", name="Code postal").fill("7814")
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("23-changement-adresse-erreurs")
    page.goto("/profil")
    audit.check("24-profil")
    page.goto("/profil/espace")
    audit.check("25-profil-espace")
    page.goto("/profil/identifiants")
    audit.check("26-profil-identifiants")
    page.goto("/profil/services")
    audit.check("27-profil-services")
    response = page.goto("/agents/")
    assert response is not None
    assert response.status == 403
    audit.check("28-erreur-403")
    audit.done(9)


def test_agent_and_admin_pages(app: Any, page: Any, make_user: Callable[..., User]) -> None:
    family = make_user("famille", prenom="Camille", nom="Lefèvre")
    admin = make_user("admin", groups=["Accueil"], prenom="Claude", nom="Petit")
    client = app.test_client()
    login(client, family)
    filed = file_address_change(app, client)

    audit = Audit(page)
    log_in(page, admin)
    page.goto("/agents/")
    audit.check("30-file-des-taches")
    page.goto(f"/agents/dossiers/{filed.instance_id}")
    expect(page.locator("#diagramme")).to_have_attribute("data-diagram-ready", "true")
    audit.check("31-dossier")  # the bpmn-js diagram included: it needs no exclusion
    page.goto("/agents/absences")
    audit.check("32-absences")
    page.goto("/admin/agents")
    audit.check("33-admin-agents")
    page.goto("/admin/groupes")
    audit.check("34-admin-groupes")
    page.goto(f"/admin/agents/{admin.id}")
    audit.check("35-admin-un-agent")
    page.goto(f"/taches/{filed.agent_task_id}")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("36-decision-agent-erreur")
    page.goto("/agents/cles")
    audit.check("37-cles-espace-citoyens")
    page.goto("/agents/demandes-cloturees")
    audit.check("38-demandes-cloturees")
    audit.done(9)


def start(tab: Any, demarche: str) -> None:
    tab.goto("/demarches")
    rubrique = tab.get_by_role("region", name="Coordonnées", exact=True)
    rubrique.get_by_role("region", name=demarche).get_by_role("button", name="Commencer la démarche").click()


def test_phone_and_email_changes_and_drafts(page: Any, make_user: Callable[..., User]) -> None:
    family = make_user("famille", prenom="Camille", nom="Bernard")
    audit = Audit(page)
    log_in(page, family)
    start(page, "Changement de téléphones")
    mobile = page.get_by_role("textbox", name="Mobile")
    audit.check("40-changement-telephones")
    mobile.fill("06 12 34")
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("41-changement-telephones-erreur")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_role("region", name="Brouillons")).to_contain_text("Changement de téléphones")
    audit.check("42-mes-demandes-brouillon")
    start(page, "Changement de courriels")
    audit.check("43-changement-courriels")
    page.get_by_role("button", name="Envoyer le lien de vérification").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("44-changement-courriels-erreur")
    audit.done(5)


def test_session_warning_dialog(page: Any, make_user: Callable[..., User]) -> None:
    """The « Votre session va expirer » dialog, open (the browser's clock is moved, not waited for)."""
    audit = Audit(page)
    page.clock.install()
    log_in(page, make_user("famille"))
    page.goto("/mes-demandes")
    page.clock.fast_forward("28:30")
    expect(page.get_by_role("alertdialog", name="Votre session va expirer")).to_be_visible()
    audit.check("45-session-va-expirer")
    audit.done(1)


def test_narrow_screen(browser: Any, live_server: str) -> None:
    """320 CSS pixels wide (WCAG 1.4.10 reflow) from the start: the home page and the catalogue
    (every page audited above is also checked at 320 px by Audit.reflow)."""
    narrow = {"width": 320, "height": 640}
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=narrow)
    try:
        page = context.new_page()
        audit = Audit(page)
        for path, name in [("/", "50-etroit-accueil"), ("/demarches", "51-etroit-catalogue")]:
            page.goto(path)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 320, (path, width)  # no horizontal scrolling
            audit.check(name)
        audit.done(2)
    finally:
        context.close()
