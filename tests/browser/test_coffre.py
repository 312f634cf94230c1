"""« Mes documents » in the real browser: upload, preview, reuse in « Changement d'adresses postales »,
keep a file uploaded during a démarche, delete; « Mes données » and « Clôturer mon compte » pages.
Screenshots at 1280 and 375 px (test-artifacts/coffre-*.png)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from forms.dates import today_in_france
from tests.browser.guide_screens import VIEWPORT, doc_screenshot
from tests.fixtures.axe import BLOCKING, axe_violations, describe
from tests.fixtures.browser import screenshot
from web.accounts.models import User

from .test_changement_adresse import ADDRESS, log_in

pytestmark = pytest.mark.browser


def pdf_file(tmp_path: Path, name: str, colour: tuple[int, int, int]) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (300, 420), colour).save(out, format="PDF")
    path = tmp_path / name
    path.write_bytes(out.getvalue())
    return path


def both_widths(page: Any, name: str, guide: str | None = None) -> None:
    """Screenshots at 1280 and 375 px, and no horizontal scroll at 375 px; and the guide's image."""
    if guide:
        page.set_viewport_size(VIEWPORT)
        doc_screenshot(page, guide)
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name}: {overflow}px of horizontal scroll at 375 px"
    screenshot(page, f"{name}-375")
    page.set_viewport_size({"width": 1280, "height": 900})


def no_blocking_axe(page: Any, name: str) -> None:
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, f"{name}: {describe(blocking)}"


def fill_address(page: Any) -> None:
    page.get_by_role("textbox", name="Numéro et libellé de la voie").fill(ADDRESS["adresse_ligne1"])
    page.get_by_role("textbox", name="Code postal").fill(ADDRESS["code_postal"])
    page.get_by_role("textbox", name="Commune").fill(ADDRESS["commune"])
    page.get_by_label("Date d'effet").fill(today_in_france().isoformat())


def start_address_change(page: Any) -> None:
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Démarches", exact=True
    ).click()
    page.get_by_role("region", name="Changement d'adresses postales").get_by_role(
        "button", name="Commencer la démarche"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saisir la nouvelle adresse")


def agent_tab(browser: Any, live_server: str, agent: User, instance_id: str) -> None:
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport={"width": 1280, "height": 900}
    )
    tab = context.new_page()
    try:
        log_in(tab, agent)
        tab.goto(f"/agents/dossiers/{instance_id}")
        preview = tab.get_by_role("img", name="Aperçu de Facture EDF octobre.pdf (première page)")
        expect(preview).to_be_visible()
        assert preview.evaluate("async (img) => { await img.decode(); return img.naturalWidth; }") > 100
        both_widths(tab, "coffre-07-dossier-agent")
    finally:
        context.close()


def test_a_family_stores_previews_reuses_keeps_and_deletes_documents(
    page: Any, browser: Any, live_server: str, make_user: Callable[..., User], tmp_path: Path
) -> None:
    family = make_user("famille", prenom="Camille", nom="Lefèvre")
    agent = make_user("agent", groups=["Accueil"], prenom="Dominique", nom="Garnier")
    facture = pdf_file(tmp_path, "facture-edf.pdf", (20, 80, 180))
    quittance = pdf_file(tmp_path, "quittance-loyer.pdf", (20, 150, 60))
    log_in(page, family)

    # « Mes documents » from the menu: add a justificatif with its type and validity.
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Mes documents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes documents")
    form = page.get_by_role("region", name="Ajouter un document")
    form.get_by_label("Fichier").set_input_files(facture)
    form.get_by_label("Type de document").select_option("Justificatif de domicile")
    form.get_by_label("Nom du document").fill("Facture EDF octobre")
    form.get_by_label("Valable jusqu'au").fill("2099-12-31")
    form.get_by_role("button", name="Ajouter le document").click()

    # Its page shows a preview made on the server.
    expect(page.get_by_role("heading", level=1)).to_have_text("Facture EDF octobre")
    preview = page.get_by_role("img", name=re.compile("Aperçu de Facture EDF octobre"))
    expect(preview).to_be_visible()
    # The PNG is drawn on the server (PDFium): wait until the browser has decoded it.
    assert preview.evaluate("async (img) => { await img.decode(); return img.naturalWidth; }") > 100
    no_blocking_axe(page, "document")
    both_widths(page, "coffre-02-document")
    page.get_by_role("link", name="← Mes documents").click()
    expect(page.get_by_role("table")).to_contain_text("Facture EDF octobre")
    no_blocking_axe(page, "mes-documents")
    both_widths(page, "coffre-01-mes-documents", "famille-50-mes-documents")

    # Reuse it in the address change: « Choisir dans mes documents », no upload.
    start_address_change(page)
    fill_address(page)
    page.get_by_label("Choisir dans mes documents").select_option(
        label="Facture EDF octobre — Justificatif de domicile"
    )
    both_widths(page, "coffre-03-choix-dans-une-demarche", "famille-51-choisir-dans-mes-documents")
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_role("region", name="Documents de la demande")).to_contain_text(
        "Facture EDF octobre.pdf"
    )
    request_url = page.url

    # A second request: upload a file and keep it in the store.
    start_address_change(page)
    fill_address(page)
    page.get_by_label("Justificatif de domicile").set_input_files(quittance)
    page.get_by_label("Garder ce fichier dans mes documents").check()
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_role("region", name="Documents de la demande")).to_contain_text("quittance-loyer.pdf")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Mes documents").click()
    table = page.get_by_role("table")
    expect(table).to_contain_text("quittance-loyer.pdf")
    expect(table.get_by_role("row")).to_have_count(3)  # header + 2

    # The Accueil agent sees the chosen document with its preview in the dossier.
    agent_tab(browser, live_server, agent, request_url.rsplit("/", 1)[-1])

    # Delete the kept one.
    table.get_by_role("link", name="quittance-loyer.pdf").click()
    page.get_by_role("button", name="Supprimer ce document").click()
    expect(page.get_by_role("status")).to_contain_text("supprimé de vos documents")
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(2)


def test_my_data_register_and_closure_pages(page: Any, make_user: Callable[..., User]) -> None:
    family = make_user("famille", prenom="Louise", nom="Bernard")
    log_in(page, family)
    # « Mes données » is under « Modifier mon profil », not in the main menu.
    menu = page.get_by_role("navigation", name="Menu principal")
    expect(menu.get_by_role("link", name="Mes données")).to_have_count(0)
    menu.get_by_role("link", name="Modifier mon profil").click()
    page.get_by_role("main").get_by_role("link", name="Mes données").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes données")
    page.get_by_role("button", name="Préparer mes données").click()
    expect(page.get_by_role("button", name="Télécharger mes données (ZIP)")).to_be_visible()
    no_blocking_axe(page, "mes-donnees")
    both_widths(page, "coffre-04-mes-donnees")
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger mes données (ZIP)").click()
    assert download.value.suggested_filename == "mes-donnees-guichet.zip"

    page.get_by_role("contentinfo").get_by_role("link", name="Données personnelles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Données personnelles")
    no_blocking_axe(page, "registre")
    both_widths(page, "coffre-05-donnees-personnelles")

    page.goto("/profil")
    page.get_by_role("main").get_by_role("link", name="Mes données").click()
    page.get_by_role("region", name="Clôturer mon compte").get_by_role(
        "button", name="Clôturer mon compte"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer la clôture du compte")
    expect(page.get_by_role("region", name="Ce que la clôture va faire")).to_contain_text(
        "aucune demande en cours"
    )
    no_blocking_axe(page, "cloture")
    both_widths(page, "coffre-06-cloture")
