"""« Mes factures » and the online payment in the real browser, with the dummy backend and Guichet's
bank simulator: refuse, cancel, then pay two invoices; the receipt; the finance agent's pages. axe on
every new page, no sideways scroll at 375 and 320 px, screenshots at 1280 and 375 px
(test-artifacts/factures-*.png)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_accessibility import Audit, log_in
from tests.browser.test_famille import WIDE, both_widths
from tests.fixtures.browser import watch
from tests.integration.factures_world import NOW, invoices  # noqa: F401 - the fixture
from web.extensions import db
from web.factures.models import Invoice, Payment

pytestmark = pytest.mark.browser


@pytest.fixture
def tab(browser: Any, live_server: str) -> Iterator[Any]:
    with time_machine.travel(NOW, tick=True):
        context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=WIDE)
        page = context.new_page()
        problems = watch(page)
        try:
            yield page
        finally:
            context.close()
    assert not problems, problems


def pay(page: Any, numbers: list[str], choice: str) -> None:
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Mes factures").click()
    for box in page.get_by_role("checkbox").all():
        box.set_checked(any(n in (box.get_attribute("id") or "") for n in numbers))
    page.get_by_role("button", name="Payer les factures cochées").click()
    expect(page.get_by_role("heading", level=1, name="Banque simulée")).to_be_visible()
    page.get_by_role("button", name=choice, exact=True).click()


def test_a_family_refuses_cancels_then_pays_two_invoices(tab, people, invoices, app):  # noqa: F811
    page = tab
    audit = Audit(page)
    log_in(page, people["famille"])
    section = page.get_by_role("region", name="Mes factures")
    expect(section).to_contain_text("2 facture(s) à payer pour un total de 145,00")
    expect(section).to_contain_text("dont 1 en retard")
    audit.check("factures-10-tableau-de-bord")
    section.get_by_role("link", name="Voir et payer mes factures").click()
    expect(page.get_by_role("heading", level=1, name="Mes factures")).to_be_visible()
    expect(page.get_by_role("cell", name="En retard")).to_be_visible()
    audit.check("factures-11-mes-factures")
    both_widths(page, "factures-11-mes-factures")

    nov = str(invoices["nov"])
    pay(page, [f"facture-{nov}"], "Refuser le paiement")
    expect(page.get_by_role("status")).to_contain_text("Paiement refusé par la banque : rien n'a été payé.")
    audit.check("factures-12-paiement-refuse")
    pay(page, [f"facture-{nov}"], "Annuler")
    expect(page.get_by_role("status")).to_contain_text("Paiement annulé : rien n'a été payé.")

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Mes factures").click()
    page.get_by_role("button", name="Payer les factures cochées").click()  # both ticked by default
    expect(page.get_by_text("145.00 €")).to_be_visible()
    audit.check("factures-13-banque-simulee")
    both_widths(page, "factures-13-banque-simulee")
    page.get_by_role("button", name="Payer", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Paiement de 145,00 € accepté. Merci !")
    audit.check("factures-14-paiement-accepte")
    both_widths(page, "factures-14-paiement-accepte")
    with page.expect_download() as receipt:
        page.get_by_role("link", name="Télécharger le reçu (PDF)").click()
    assert receipt.value.suggested_filename.startswith("recu-P2026")

    page.get_by_role("link", name="Mes factures").first.click()
    expect(page.get_by_text("Aucune facture à payer.")).to_be_visible()
    page.get_by_role("link", name="Historique de mes paiements et reçus").click()
    expect(page.get_by_role("row")).to_have_count(4)  # header, refused, cancelled, paid
    audit.check("factures-15-mes-paiements")
    both_widths(page, "factures-15-mes-paiements")
    with page.expect_download() as invoice_pdf:
        page.goto(f"/factures/{nov}")
        page.get_by_role("link", name="Télécharger la facture (PDF)").click()
    assert invoice_pdf.value.suggested_filename == "facture-FAC-2026-000001.pdf"
    audit.done(6)
    with app.app_context():
        assert {
            i.status for i in db.session.scalars(select(Invoice).where(Invoice.id != invoices["other"]))
        } == {"payée"}
        assert sorted(p.status for p in db.session.scalars(select(Payment))) == ["annulé", "payé", "refusé"]


def test_the_finance_agent_sees_the_invoices_and_the_reconciliation(tab, make_user, invoices):  # noqa: F811
    page = tab
    audit = Audit(page)
    agent = make_user("agent", groups=["Finances"], prenom="Inès", nom="Garnier")
    log_in(page, agent)
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Factures et paiements"
    ).click()
    expect(page.get_by_role("heading", level=1, name="Factures")).to_be_visible()
    page.get_by_label("Statut").select_option("en retard")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("link", name="FAC-2026-000002")).to_be_visible()
    expect(page.get_by_role("link", name="FAC-2026-000001")).to_have_count(0)
    audit.check("factures-20-agents-factures")
    both_widths(page, "factures-20-agents-factures")
    page.get_by_role("link", name="FAC-2026-000002").click()
    page.get_by_label("Motif de l'annulation").fill("Absence justifiée (certificat médical)")
    page.get_by_role("button", name="Annuler la facture").click()
    expect(page.get_by_role("status")).to_contain_text("Facture FAC-2026-000002 annulée.")
    expect(page.get_by_text(re.compile("Motif : Absence justifiée"))).to_be_visible()
    audit.check("factures-21-agents-facture")
    page.get_by_role("navigation", name="Finances").get_by_role("link", name="Rapprochement du jour").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("Rapprochement du"))).to_be_visible()
    audit.check("factures-22-rapprochement")
    both_widths(page, "factures-22-rapprochement")
    page.get_by_role("navigation", name="Finances").get_by_role("link", name="Nouvelle facture").click()
    page.get_by_label("Dossier famille (n° du logiciel)").fill("F-2")
    page.get_by_label("Début de la période").fill("2026-11-01")
    page.get_by_label("Fin de la période").fill("2026-11-30")
    page.get_by_label("Libellé, ligne 1").fill("Stage de natation")
    page.get_by_label("Quantité, ligne 1").fill("zéro")
    page.get_by_label("Prix unitaire (€), ligne 1").fill("45,00")
    page.get_by_role("button", name="Émettre la facture").click()
    expect(page.get_by_role("alert")).to_contain_text("La quantité doit être un nombre entier de 1 à 10 000.")
    expect(page.get_by_label("Libellé, ligne 1")).to_have_value("Stage de natation")
    audit.check("factures-23-nouvelle-facture")
    both_widths(page, "factures-23-nouvelle-facture")
    page.get_by_label("Quantité, ligne 1").fill("1")
    page.get_by_role("button", name="Émettre la facture").click()
    expect(page.get_by_role("status")).to_contain_text("émise pour BERNARD Louise")
    audit.done(4)
