"""« Ma famille », the dashboard and « Actualités » in the real browser: a family with two children in two
activities, an agent of Enfance and Communication; axe on every new page, 320 px reflow, screenshots at
1280 and 375 px (test-artifacts/famille-*.png; with GUICHET_DOC_SCREENSHOTS=1 also docs/images/)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.guide_screens import doc_screenshot
from tests.browser.test_accessibility import Audit, log_in
from tests.fixtures.browser import screenshot, watch
from tests.integration.test_famille_import import ACTIVITIES
from tests.integration.test_famille_pages import _member, world  # noqa: F401 - the fixture
from web.extensions import db
from web.famille.models import Child

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def wide(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=WIDE)
    tab = context.new_page()
    problems = watch(tab)
    try:
        yield tab
    finally:
        context.close()
    assert not problems, problems


def both_widths(page: Any, name: str) -> None:
    """Screenshots at 1280 and 375 px; at 375 px and 320 px nothing scrolls sideways."""
    doc_screenshot(page, f"{name}")
    for label, size in (("375", PHONE), ("320", {"width": 320, "height": 640})):
        page.set_viewport_size(size)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        wide_elements = page.evaluate(
            "w => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w)"
            ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)",
            size["width"],
        )
        assert width <= size["width"], (name, label, width, wide_elements)
        if label == "375":
            screenshot(page, f"{name}-375")
    page.set_viewport_size(WIDE)


def test_a_family_sees_its_childrens_news_its_record_and_asks_for_a_correction(wide, people, world, app):  # noqa: F811
    page = wide
    audit = Audit(page)
    log_in(page, people["famille"])
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Bonjour Camille Martin")).to_be_visible()
    section = page.get_by_role("region", name="Actualités des activités de vos enfants")
    expect(section.get_by_role("link", name="Actualité cantine")).to_be_visible()
    expect(section.get_by_text("Actualité conservatoire")).to_have_count(0)  # Nina's activity, not theirs
    expect(page.get_by_text("Actualité conservatoire")).to_have_count(0)
    audit.check("famille-40-tableau-de-bord")
    both_widths(page, "famille-40-tableau-de-bord")

    section.get_by_role("link", name="Actualité cantine").click()
    expect(page.get_by_role("heading", level=1, name="Actualité cantine")).to_be_visible()
    expect(page.get_by_role("img", name="Image cantine")).to_be_visible()
    audit.check("famille-41-actualite")

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Actualités").click()
    expect(page.get_by_role("link", name="Actualité public")).to_be_visible()
    expect(page.get_by_text("Actualité conservatoire")).to_have_count(0)
    audit.check("famille-42-actualites")
    both_widths(page, "famille-42-actualites")

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Ma famille").click()
    expect(page.get_by_role("heading", name="Léa MARTIN")).to_be_visible()
    expect(page.get_by_role("heading", name="Hugo MARTIN")).to_be_visible()
    expect(page.get_by_text("Nina")).to_have_count(0)
    audit.check("famille-43-ma-famille")
    both_widths(page, "famille-43-ma-famille")

    page.get_by_role("button", name="Demander une correction").click()
    expect(page.get_by_role("heading", level=1, name="Décrire la correction")).to_be_visible()
    page.get_by_role("button", name="Envoyer ma demande").click()  # nothing chosen: French errors
    expect(page.get_by_role("alert")).to_contain_text("Choisissez ce qu'il faut corriger.")
    page.get_by_label("Une information sur un de mes enfants").check()
    page.get_by_label("Enfant concerné").select_option(label="Léa MARTIN")
    page.get_by_label("Classe").check()
    page.get_by_label("Valeur correcte").fill("CM1")
    audit.check("famille-44-correction-saisie")
    doc_screenshot(page, "famille-44-correction-saisie")
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page).to_have_url(re.compile(r"/mes-demandes/\d+$"))
    expect(page.get_by_text("En cours d'instruction").first).to_be_visible()
    audit.done(5)


def test_an_agent_imports_a_csv_and_publishes_news_for_one_activity(wide, make_user, app, tmp_path):
    page = wide
    audit = Audit(page)
    agent = make_user("agent", groups=["Enfance", "Communication"], prenom="Morgane", nom="Lefèvre")
    log_in(page, agent)
    menu = page.get_by_role("navigation", name="Menu principal")
    menu.get_by_role("link", name="Dossiers famille").click()
    page.get_by_role("link", name="Importer un fichier CSV").click()
    csv = tmp_path / "activites.csv"
    csv.write_text(ACTIVITIES, encoding="utf-8")
    page.get_by_label("Fichier CSV").set_input_files(str(csv))
    page.get_by_role("button", name="Essayer l'import").click()
    report = page.get_by_role("status").filter(has_text="Essai")
    expect(report).to_contain_text("Activité CL-MERC « Centre de loisirs du mercredi » (serait créé)")
    audit.check("agent-famille-50-import-essai")
    both_widths(page, "agent-famille-50-import-essai")
    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.get_by_role("heading", name="Import enregistré")).to_be_visible()

    bad = tmp_path / "mauvais.csv"
    bad.write_bytes(b"activite_id;nom;type;service;lieu\nX;=1+1;sport;Enfance;\n")
    page.get_by_label("Fichier CSV").set_input_files(str(bad))
    page.get_by_role("button", name="Essayer l'import").click()
    expect(page.get_by_role("alert")).to_contain_text("comme une formule de tableur ; elle est refusée")
    audit.check("agent-famille-51-import-refuse")

    menu.get_by_role("link", name="Gérer les actualités").click()
    page.get_by_role("link", name="Écrire une actualité").click()
    page.get_by_label("Titre").fill("Sortie à la ferme mercredi")
    page.get_by_label("Résumé").fill("Prévoir des bottes et un vêtement de pluie.")
    page.get_by_label("Texte", exact=True).fill(
        "Départ à 9 h 30.\n\n<strong>Retour</strong> vers 17 h.<script>alert(1)</script>"
    )
    page.get_by_label("Date de publication").fill("2026-12-01")
    page.get_by_label("Date de fin d'affichage").fill("2026-11-30")
    page.get_by_label("Les familles d'une activité").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text("La date de fin d'affichage doit être après")
    expect(page.get_by_role("alert")).to_contain_text("Choisissez l'activité")
    expect(page.get_by_label("Titre")).to_have_value("Sortie à la ferme mercredi")  # nothing lost
    audit.check("agent-famille-52-actualite-erreurs")
    page.get_by_label("Date de fin d'affichage").fill("")
    page.get_by_label("Activité", exact=True).select_option(
        label="Centre de loisirs du mercredi (centre de loisirs)"
    )
    both_widths(page, "agent-famille-53-actualite-saisie")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Actualité « Sortie à la ferme mercredi » enregistrée."
    )
    row = page.get_by_role("row").filter(has_text="Sortie à la ferme mercredi")
    expect(row).to_contain_text("Familles de l'activité « Centre de loisirs du mercredi »")
    audit.check("agent-famille-54-actualites")
    both_widths(page, "agent-famille-54-actualites")
    row.get_by_role("link", name="Voir").click()
    expect(page.locator(".news-body strong")).to_have_text("Retour")
    expect(page.locator(".news-body script")).to_have_count(0)
    audit.done(4)


def test_agent_record_pages_pass_axe_and_reflow(wide, make_user, world, app):  # noqa: F811
    page = wide
    audit = Audit(page)
    _member(app, world["records"]["F-1"])
    log_in(page, make_user("agent", groups=["Enfance"]))
    page.goto("/agents/familles")
    audit.check("agent-famille-55-dossiers")
    both_widths(page, "agent-famille-55-dossiers")
    page.get_by_role("link", name="MARTIN Camille").click()
    expect(page.get_by_role("heading", name="Dossier MARTIN Camille")).to_be_visible()
    audit.check("agent-famille-56-dossier")
    both_widths(page, "agent-famille-56-dossier")
    page.get_by_role("link", name="Corriger : Léa MARTIN").click()
    page.get_by_label("Classe").fill("CM1")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Dossier corrigé (classe) pour Léa MARTIN.")
    with app.app_context():
        assert db.session.query(Child).filter_by(external_id="E-1").one().class_name == "CM1"
    page.get_by_role("link", name="Corriger l'adresse").click()
    audit.check("agent-famille-57-adresse")
    page.get_by_label("Adresse").fill("12 rue des Lilas 78140 Vélizy")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Adresse du dossier MARTIN Camille corrigée.")
    page.get_by_role("link", name="Corriger : Camille MARTIN").click()
    expect(page.get_by_label("Téléphone")).to_have_value("06 12 34 56 78")
    page.get_by_label("Adresse de courriel").fill("pas-un-courriel")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Cette adresse de courriel n'est pas valable.").first).to_be_visible()
    audit.check("agent-famille-58-responsable-erreur")
    page.get_by_label("Adresse de courriel").fill("c.martin@exemple.fr")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Dossier corrigé (courriel) pour Camille MARTIN.")
    audit.done(4)
