"""« Mes factures », the payment and the finance agents' pages in English: `lang="en"`, the English
texts there and their French gone, amounts as « €1,234.50 », months and dates from Babel, the English
error of a bad amount (and « 1,234.50 » read on an English page), the invoice PDF in the family's
language. French stays the default (the other tests of the area)."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import select

from tests.fixtures.app import csrf_token
from tests.fixtures.integration import html, text
from tests.integration.factures_world import NOW, invoices, start_payment  # noqa: F401
from web.extensions import db
from web.factures.models import Invoice

pytestmark = pytest.mark.usefixtures("clock")

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def family(client_for, people):
    client = client_for(people["famille"])
    client.environ_base.update(ENGLISH)
    return client


@pytest.fixture
def finances(client_for, make_user):
    client = client_for(make_user("agent", groups=["Finances"], prenom="Inès", nom="Garnier"))
    client.environ_base.update(ENGLISH)
    return client


def _english(response) -> str:
    assert response.status_code == 200, response.status_code
    assert html(response).get("lang") == "en"
    return text(response).replace("\xa0", " ")


def test_my_invoices_and_one_invoice_in_english(family, invoices):  # noqa: F811
    page = _english(family.get("/factures"))
    for expected in (
        "My invoices",
        "2 invoices to pay, for a total of €145.00.",
        "Tick the invoices to pay together",
        "Pay the ticked invoices",
        "November 2026",
        "October 2026",
        "Overdue",
        "To pay",
        "2 Jan 2027",  # due date, per language
        "History of my payments and receipts",
    ):
        assert expected in page, expected
    for french in ("Mes factures", "à payer", "Novembre 2026", "Payer les factures cochées", "145,00"):
        assert french not in page, french
    labels = html(family.get("/factures")).xpath("//td/@data-label")
    assert "Amount" in labels
    assert "Montant" not in labels

    one = _english(family.get(f"/factures/{invoices['nov']}"))
    for expected in ("Invoice FAC-2026-000001", "Unit price", "€3.85", "€98.80", "Pay €98.80", "Issued on"):
        assert expected in one, expected
    for french in ("Prix unitaire", "Télécharger la facture", "3,85"):
        assert french not in one, french


def test_the_year_filter_error_is_english(family, invoices):  # noqa: F811
    response = family.get("/factures?annee=deux")
    assert response.status_code == 400
    page = text(response)
    assert "The year “deux” is not valid: choose a year from the list." in page
    assert "n'est pas valable" not in page


def test_the_invoice_pdf_is_in_the_language_of_the_family(family, client_for, people, invoices):  # noqa: F811
    content = " ".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(family.get(f"/factures/{invoices['late']}/pdf").data)).pages
    ).replace("\xa0", " ")
    for expected in (
        "Invoice no. FAC-2026-000002",
        "Total: €46.20",
        "3 November 2026",
        "Status: overdue",
        "Unit price",
    ):
        assert expected in content, expected
    assert "Facture n°" not in content
    french = client_for(people["famille"]).get(f"/factures/{invoices['late']}/pdf").data
    assert "Facture n° FAC-2026-000002" in " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(french)).pages
    )


def test_the_payment_confirmation_is_english(family, invoices):  # noqa: F811
    asked = start_payment(family, [invoices["nov"], invoices["late"]])
    simulator = _english(family.get("/factures/banque-simulee?" + urlencode(asked)))
    assert "Simulated bank" in simulator
    assert "Banque simulée" not in simulator
    token = csrf_token(family, "/factures/banque-simulee?" + urlencode(asked))
    back = family.post("/factures/banque-simulee", data={**asked, "choix": "payer", "csrf_token": token})
    final = family.get(back.headers["Location"], follow_redirects=True)
    page = _english(final)
    assert "Payment of €145.00 accepted. Thank you! A receipt is being sent to you by e-mail." in page
    assert "Download the receipt (PDF)" in page
    assert "Paid" in page
    assert "accepté" not in page
    assert "Télécharger le reçu" not in page
    history = _english(family.get("/factures/paiements"))
    assert "My payments" in history
    assert "Receipt" in history
    assert "Mes paiements" not in history


def test_the_finance_agents_list_in_english(finances, invoices):  # noqa: F811
    page = _english(finances.get("/agents/factures"))
    for expected in (
        "Invoices",
        "Year of issue",
        "3 invoices.",
        "Export these invoices:",
        "Overdue",
        "To pay",
    ):
        assert expected in page, expected
    for french in ("Année d'émission", "facture(s)", "Aucune facture", "Échéance"):
        assert french not in page, french
    options = html(finances.get("/agents/factures")).xpath("//select[@id='statut']/option/text()")
    assert options == ["All", "To pay", "Overdue", "Paid", "Cancelled"]
    csv = finances.get("/agents/factures/export.csv").get_data(as_text=True)
    assert csv.lstrip("\ufeff").startswith("Number;Family;")
    payments = _english(finances.get("/agents/paiements"))
    assert "Online payments" in payments
    assert "Paiements en ligne" not in payments


def test_a_bad_amount_is_refused_in_english_and_an_english_amount_is_read(app, finances, invoices):  # noqa: F811
    url = "/agents/factures/nouvelle"
    data = {"famille": "F-1", "debut": "01/11/2026", "fin": "30/11/2026", "echeance": ""}
    bad = {**data, "libelle_1": "Sortie", "quantite_1": "1", "prix_1": "douze"}
    response = finances.post(url, data={"csrf_token": csrf_token(finances, url), **bad})
    assert response.status_code == 400
    page = text(response)
    assert "Amount refused: “douze” is not an amount (for example: 12.50)." in page
    assert "n'est pas un montant" not in page
    assert 'value="douze"' in response.get_data(as_text=True)  # nothing typed is lost
    good = {**data, "libelle_1": "Séjour", "quantite_1": "1", "prix_1": "1,234.50"}
    done = finances.post(url, data={"csrf_token": csrf_token(finances, url), **good})
    assert done.status_code == 302
    with app.app_context():
        invoice = db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()
        assert invoice.total_cents == 123450
        assert invoice.period_label == "Novembre 2026"  # stored in French, shown per language
    shown = _english(finances.get(done.headers["Location"]))
    assert f"Invoice {invoice.number} issued to MARTIN Camille." in shown
    assert "€1,234.50" in shown
    assert "November 2026" in shown


def test_parse_cents_reads_french_always_and_english_grouping_only_on_english_pages():
    from web.factures.money import parse_cents

    assert parse_cents("1 234,50 €") == 123450
    assert parse_cents("1234.50", english=True) == 123450
    assert parse_cents("1,234.50", english=True) == 123450
    assert parse_cents("12,50", english=True) == 1250  # French input still read on an English page
    with pytest.raises(ValueError, match="pas un montant"):
        parse_cents("1,234.50", english=False)
