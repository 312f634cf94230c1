"""Invoices' PDF read back with pypdf; the finance agents' pages (filters, CSV and ODS exports, cancel with
a reason, payments to verify, daily reconciliation); the CSV import (dry run, idempotent, bad amounts,
formulas); the service operation `factures_emettre` run by a real démarche; the dashboard summary."""

from __future__ import annotations

import io
from datetime import date

import pytest
import time_machine
from odf.opendocument import load
from odf.table import Table, TableRow
from pypdf import PdfReader
from sqlalchemy import func, select

from engine import api
from tests.fixtures.app import csrf_token
from tests.fixtures.integration import snapshot, text
from tests.integration.factures_world import NOW, bank_answer, invoices, start_payment  # noqa: F401
from web.app import lint_context
from web.extensions import db
from web.factures.models import Invoice, InvoiceSource, Payment

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def finances(client_for, make_user):
    return client_for(make_user("agent", groups=["Finances"], prenom="Inès", nom="Garnier"))


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).replace("\xa0", " ")


def test_the_invoice_pdf_says_the_lines_amounts_dates_and_the_town(app, people, client_for, invoices):  # noqa: F811
    famille = client_for(people["famille"])
    response = famille.get(f"/factures/{invoices['nov']}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    content = pdf_text(response.data)
    for expected in (
        "Ville de Test",  # TOWN_NAME
        "Hôtel de ville",  # INVOICE_ISSUER
        "Facture n° FAC-2026-000001",
        "MARTIN Camille",
        "Novembre 2026",
        "Léa MARTIN",
        "Cantine Jean Macé",
        "16",
        "3,85 €",
        "61,60 €",
        "Hugo MARTIN",
        "37,20 €",
        "Total : 98,80 €",
        "3 décembre 2026",
        "2 janvier 2027",
    ):
        assert expected in content, expected
    late = pdf_text(famille.get(f"/factures/{invoices['late']}/pdf").data)
    assert "Statut : en retard" in late


def test_amounts_are_french_with_thousands():
    from web.factures.money import euros, parse_cents

    assert euros(123450) == "1\u00a0234,50\u00a0€"
    assert euros(5) == "0,05\u00a0€"
    assert parse_cents("1 234,50 €") == 123450
    assert parse_cents("12.5") == 1250
    for bad in ("-3", "abc", "12,345", "1e3", ""):
        with pytest.raises(ValueError, match=r"montant|négatif"):
            parse_cents(bad)


def test_the_dashboard_shows_what_is_to_pay(app, people, client_for, invoices):  # noqa: F811
    page = text(client_for(people["famille"]).get("/"))
    assert "2 facture(s) à payer pour un total de 145,00 €, dont 1 en retard" in page.replace("\xa0", " ")


def test_the_finance_agent_filters_exports_and_cancels_with_a_reason(app, people, finances, invoices):  # noqa: F811
    listing = text(finances.get("/agents/factures?statut=en+retard"))
    assert "FAC-2026-000002" in listing
    assert "FAC-2026-000001" not in listing
    assert "BERNARD" in text(finances.get("/agents/factures?q=bernard"))
    csv = finances.get("/agents/factures/export.csv?statut=à+payer").get_data(as_text=True)
    assert csv.startswith("\ufeffNuméro;Famille")
    assert csv.count("\r\n") == 4  # header and three invoices
    ods = finances.get("/agents/factures/export.ods")
    assert ods.mimetype == "application/vnd.oasis.opendocument.spreadsheet"
    rows = load(io.BytesIO(ods.data)).spreadsheet.getElementsByType(Table)[0].getElementsByType(TableRow)
    assert len(rows) == 4
    url = f"/agents/factures/{invoices['nov']}"
    empty = finances.post(url, data={"csrf_token": csrf_token(finances, url), "motif": "  "})
    assert empty.status_code == 400
    assert "Indiquez le motif de l'annulation" in text(empty)
    done = finances.post(url, data={"csrf_token": csrf_token(finances, url), "motif": "Absence justifiée"})
    assert done.status_code == 302
    page = text(finances.get(url))
    assert "Facture annulée. Motif : Absence justifiée" in page
    assert "Inès Garnier" in page
    assert "Annulée" in text(client_for_family(app, people, "famille").get(f"/factures/{invoices['nov']}"))


def client_for_family(app, people, who):
    from tests.fixtures.app import login

    client = app.test_client()
    login(client, people[who])
    return client


def test_a_cancelled_invoice_cannot_be_paid_and_a_late_payment_of_it_is_to_refund(
    app,
    people,
    client_for,
    finances,
    invoices,  # noqa: F811
):
    famille = client_for(people["famille"])
    asked = start_payment(famille, [invoices["nov"]])
    url = f"/agents/factures/{invoices['nov']}"
    finances.post(url, data={"csrf_token": csrf_token(finances, url), "motif": "Erreur de tarif"})
    assert (
        app.test_client().post("/factures/paiement/notification", data=bank_answer(asked)).status_code == 200
    )
    with app.app_context():
        assert db.session.get(Invoice, invoices["nov"]).status == "annulée"
        payment = db.session.scalars(select(Payment)).one()
        assert payment.needs_review
        assert "À rembourser" in payment.review_reason
    to_verify = text(finances.get("/agents/paiements?a_verifier=1"))
    assert payment.reference in to_verify
    page = f"/agents/paiements/{payment.id}"
    assert "Paiement appliqué : 0 facture(s) payée(s)" in text(finances.get(page))
    done = finances.post(
        page, data={"csrf_token": csrf_token(finances, page), "note": "Remboursé par virement"}
    )
    assert done.status_code == 302, text(done)
    after = text(finances.get("/agents/paiements?a_verifier=1"))
    assert f"Paiement {payment.reference} marqué comme traité." in after
    assert "Aucun paiement ne correspond." in after
    report = text(finances.get("/agents/factures/rapprochement?jour=2026-12-07")).replace("\xa0", " ")
    assert "Encaissé : 98,80 € (1 paiement)" in report
    assert finances.get("/agents/factures/rapprochement?jour=demain").status_code == 400
    export = finances.get("/agents/factures/rapprochement?jour=2026-12-07&format=csv").get_data(as_text=True)
    assert payment.reference in export


def test_families_and_other_agents_do_not_reach_the_finance_pages(
    app,
    people,
    client_for,
    make_user,
    invoices,  # noqa: F811
):
    for client in (client_for(people["famille"]), client_for(make_user("agent", groups=["Enfance"]))):
        assert client.get("/agents/factures").status_code == 403
        assert client.get(f"/agents/factures/{invoices['nov']}").status_code == 403


IMPORT = (
    "facture_numero;famille_id;periode_debut;periode_fin;emission;echeance;enfant_id;activite_id;libelle;"
    "quantite;prix_unitaire\n"
    "2026-11-001;F-1;01/11/2026;30/11/2026;03/12/2026;02/01/2027;E-1;CANT-JM;;16;3,85\n"
    "2026-11-001;F-1;01/11/2026;30/11/2026;03/12/2026;02/01/2027;E-2;CL-MERC;Mercredis;3;12,40\n"
    "2026-11-002;F-2;01/11/2026;30/11/2026;03/12/2026;;E-3;;Stage de natation;1;1 095,00\n"
)


def upload(client, content: str, action: str = "essai"):
    url = "/agents/factures/import"
    data = {"csrf_token": csrf_token(client, url), "action": action}
    data["fichier"] = (io.BytesIO(content.encode("utf-8")), "factures.csv")
    return client.post(url, data=data, content_type="multipart/form-data")


def confirm(client, dry_run_page):
    import re

    body = dry_run_page.get_data(as_text=True)
    contenu = re.search(r'name="contenu" value="([^"]+)"', body).group(1)
    signature = re.search(r'name="signature" value="([^"]+)"', body).group(1)
    url = "/agents/factures/import"
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "action": "confirmer",
            "contenu": contenu,
            "signature": signature,
        },
    )


def test_the_import_dry_run_then_confirm_then_again_changes_nothing(app, finances, invoices):  # noqa: F811
    before = snapshot(app)
    dry = upload(finances, IMPORT)
    assert dry.status_code == 200
    report = text(dry).replace("\xa0", " ")
    assert "2 création(s)" in report
    assert "Facture 2026-11-002 de BERNARD Louise : 1 095,00 € (serait créé)" in report
    assert snapshot(app) == before
    assert confirm(finances, dry).status_code == 200
    with app.app_context():
        imported = db.session.scalars(select(Invoice).where(Invoice.source == InvoiceSource.IMPORT)).all()
        assert sorted(i.total_cents for i in imported) == [9880, 109500]
        assert {i.due_on for i in imported} == {date(2027, 1, 2)}  # the second: issue + 30 days
    again = upload(finances, IMPORT)
    assert "Rien ne changerait : le fichier a déjà été importé." in text(again)
    changed = IMPORT.replace("1 095,00", "1 096,00")
    refused = upload(finances, changed)
    assert refused.status_code == 400
    assert "a déjà été importée avec un autre contenu" in text(refused)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("-12,50", "comme une formule de tableur"),
        ("-12.50", "est négatif"),
        ("douze", "n'est pas un montant"),
        ("=1+1", "comme une formule de tableur"),
        ("@SUM(A1)", "comme une formule de tableur"),
    ],
)
def test_bad_amounts_and_formulas_refuse_the_whole_file(app, finances, invoices, cell, message):  # noqa: F811
    before = snapshot(app)
    bad = IMPORT.replace("1 095,00", cell)
    response = upload(finances, bad)
    assert response.status_code == 400
    assert message in text(response)
    assert "rien n'a été enregistré" in text(response)
    assert snapshot(app) == before


def test_a_non_numeric_quantity_and_an_unknown_family(app, finances, invoices):  # noqa: F811
    bad = IMPORT.replace(";16;", ";seize;").replace("F-2;", "F-9;")
    page = text(upload(finances, bad))
    assert "« seize » n'est pas un nombre entier positif" in page
    assert "le dossier famille « F-9 » est inconnu" in page


SERVICE_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Definitions_facture" targetNamespace="https://guichet.example/bpmn">
  <bpmn:process id="essai_facture" name="Inscription payante (essai)" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="dureeMaximale" value="P30D" />
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="facturer" />
    <bpmn:serviceTask id="facturer" name="Émettre la facture"><bpmn:extensionElements>
      <spiffworkflow:serviceTaskOperator id="factures_emettre" resultVariable="facture">
        <spiffworkflow:parameters>
          <spiffworkflow:parameter id="enfant" type="str" value="enfant" />
          <spiffworkflow:parameter id="activite" type="str" value="&quot;CL-MERC&quot;" />
          <spiffworkflow:parameter id="quantite" type="int" value="jours" />
          <spiffworkflow:parameter id="prix_unitaire_centimes" type="int" value="1240" />
        </spiffworkflow:parameters>
      </spiffworkflow:serviceTaskOperator></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="facturer" targetRef="fin" />
    <bpmn:endEvent id="fin"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_demarche_issues_an_invoice_to_the_requesters_family(app, people, invoices):  # noqa: F811
    from web.accounts.models import User
    from web.famille.models import Child

    with app.app_context():
        session = db.session()
        api.deploy(session, SERVICE_BPMN.encode(), "essai", lint_context())
        family = session.get(User, people["famille"].id)
        hugo = session.scalars(select(Child).where(Child.external_id == "E-2")).one()
        instance = api.start(session, "essai_facture", family, {"enfant": str(hugo.id), "jours": 4})
        session.commit()
        invoice = session.scalars(select(Invoice).where(Invoice.source == InvoiceSource.DEMARCHE)).one()
        assert invoice.total_cents == 4 * 1240
        assert invoice.lines[0].child_name == "Hugo MARTIN"
        assert invoice.record.external_id == "F-1"
        assert invoice.external_id == f"DEM-{instance.reference}"
        nina = session.scalars(select(Child).where(Child.external_id == "E-3")).one()
        count = session.scalar(select(func.count()).select_from(Invoice))
        with pytest.raises(Exception, match="pas dans le dossier famille du demandeur"):
            api.start(session, "essai_facture", family, {"enfant": str(nina.id), "jours": 1})
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Invoice)) == count


def test_a_finance_agent_issues_an_invoice_by_hand(app, people, client_for, finances, invoices):  # noqa: F811
    url = "/agents/factures/nouvelle"
    data = {"famille": "F-1", "debut": "01/11/2026", "fin": "30/11/2026", "echeance": ""}
    bad = {**data, "enfant_1": "E-3", "activite_1": "CL-MERC", "quantite_1": "deux", "prix_1": "-5"}
    response = finances.post(url, data={"csrf_token": csrf_token(finances, url), **bad})
    assert response.status_code == 400
    page = text(response)
    assert "Cet enfant n'est pas un enfant de ce dossier famille." in page
    assert "La quantité doit être un nombre entier de 1 à 10 000." in page
    assert "est négatif" in page
    assert 'value="deux"' in response.get_data(as_text=True)  # nothing typed is lost
    good = {**data, "enfant_1": "E-2", "activite_1": "CL-MERC", "quantite_1": "2", "prix_1": "12,40"}
    good |= {"libelle_2": "Sortie au musée", "quantite_2": "1", "prix_2": "5"}
    done = finances.post(url, data={"csrf_token": csrf_token(finances, url), **good})
    assert done.status_code == 302
    with app.app_context():
        invoice = db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()
        assert invoice.total_cents == 2 * 1240 + 500
        assert [x.label for x in invoice.lines] == ["Centre de loisirs du mercredi", "Sortie au musée"]
        assert invoice.due_on == date(2027, 1, 6)  # today + INVOICE_DUE_DAYS
    assert "Sortie au musée" in text(client_for(people["famille"]).get(f"/factures/{invoice.id}"))
