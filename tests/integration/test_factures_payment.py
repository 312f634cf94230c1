"""Online payment over HTTP with the dummy backend: pay, refuse, cancel; replayed and forged answers;
the return before and after the notification; access of another family (404). Every answer stored."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import time_machine
from sqlalchemy import func, select

from tests.fixtures.app import csrf_token
from tests.fixtures.integration import outbox, snapshot, text
from tests.integration.factures_world import NOW, bank_answer, invoices, start_payment  # noqa: F401
from web.extensions import db
from web.factures.models import BankCallback, Invoice, InvoiceSettlement, Payment

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def state(app, invoice_ids):
    with app.app_context():
        session = db.session()
        rows = {i: session.get(Invoice, i).status for i in invoice_ids}
        payments = [(p.status, p.needs_review) for p in session.scalars(select(Payment).order_by(Payment.id))]
        settlements = session.scalar(select(func.count()).select_from(InvoiceSettlement))
        callbacks = session.scalar(select(func.count()).select_from(BankCallback))
        session.remove() if hasattr(session, "remove") else None
        return rows, payments, settlements, callbacks


def notify(client, answer: dict[str, str]):
    return client.post("/factures/paiement/notification", data=answer)


def test_a_family_pays_two_invoices_through_the_simulator_and_gets_its_receipt(
    app,
    people,
    client_for,
    invoices,  # noqa: F811
):
    famille = client_for(people["famille"])
    page = famille.get("/factures")
    assert page.status_code == 200
    body = text(page)
    assert "2 factures à payer" in body
    assert "En retard" in body
    asked = start_payment(famille, [invoices["nov"], invoices["late"]])
    assert asked["amount"] == f"{(16 * 385 + 3 * 1240 + 12 * 385) / 100:.2f}"  # computed on the server
    simulator = famille.get("/factures/banque-simulee?" + urlencode(asked))
    assert simulator.status_code == 200
    assert "Banque simulée" in text(simulator)
    token = csrf_token(famille, "/factures/banque-simulee?" + urlencode(asked))
    back = famille.post("/factures/banque-simulee", data={**asked, "choix": "payer", "csrf_token": token})
    assert back.status_code == 302
    assert back.headers["Location"].startswith("/factures/paiement/retour?")
    final = famille.get(back.headers["Location"], follow_redirects=True)
    assert "Paiement de 145,00 € accepté" in text(final).replace("\xa0", " ")
    rows, payments, settlements, callbacks = state(
        app, [invoices["nov"], invoices["late"], invoices["other"]]
    )
    assert rows == {invoices["nov"]: "payée", invoices["late"]: "payée", invoices["other"]: "à payer"}
    assert payments == [("payé", False)]
    assert settlements == 2
    assert callbacks == 2  # the simulator's notification, then the return (a replay: nothing applied twice)
    (mail,) = [m for m in outbox(app) if "Reçu" in m.subject]
    assert "145,00" in mail.subject
    assert mail.recipient == people["famille"].email
    history = famille.get("/factures/paiements")
    assert "Reçu" in text(history)
    receipt = famille.get(f"/factures/paiements/{_payment_id(app)}/recu.pdf")
    assert receipt.status_code == 200
    assert receipt.mimetype == "application/pdf"
    import io

    from pypdf import PdfReader

    receipt_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.data)).pages).replace(
        "\xa0", " "
    )
    for expected in (
        "Reçu de paiement en ligne",
        "FAC-2026-000001",
        "FAC-2026-000002",
        "Total payé : 145,00 €",
    ):
        assert expected in receipt_text, expected


def _payment_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(Payment.id).order_by(Payment.id.desc())).first()


@pytest.mark.parametrize(("choice", "status"), [("refuser", "refusé"), ("annuler", "annulé")])
def test_a_refused_or_cancelled_payment_pays_nothing(app, people, client_for, invoices, choice, status):  # noqa: F811
    famille = client_for(people["famille"])
    asked = start_payment(famille, [invoices["nov"]])
    token = csrf_token(famille, "/factures")
    back = famille.post("/factures/banque-simulee", data={**asked, "choix": choice, "csrf_token": token})
    final = famille.get(back.headers["Location"], follow_redirects=True)
    assert "rien n'a été payé" in text(final)
    rows, payments, settlements, _ = state(app, [invoices["nov"]])
    assert rows == {invoices["nov"]: "à payer"}
    assert payments == [(status, False)]
    assert settlements == 0
    assert not [m for m in outbox(app) if "Reçu" in m.subject]


def test_a_replayed_notification_applies_nothing_twice(app, people, client_for, invoices):  # noqa: F811
    famille = client_for(people["famille"])
    asked = start_payment(famille, [invoices["nov"]])
    bank = app.test_client()
    first = notify(bank, bank_answer(asked))
    assert first.status_code == 200
    assert first.get_data(as_text=True) == "signature ok"
    for _ in range(3):
        assert notify(bank, bank_answer(asked)).status_code == 200
    _rows, payments, settlements, callbacks = state(app, [invoices["nov"]])
    assert payments == [("payé", False)]
    assert settlements == 1
    assert callbacks == 4
    with app.app_context():
        outcomes = list(db.session.scalars(select(BankCallback.outcome).order_by(BankCallback.id)))
    assert outcomes[0].startswith("Paiement appliqué")
    assert all(o.startswith("Déjà traité") for o in outcomes[1:])
    assert len([m for m in outbox(app) if "Reçu" in m.subject]) == 1


def test_the_return_before_the_notification_and_after_it(app, people, client_for, invoices):  # noqa: F811
    famille = client_for(people["famille"])
    asked = start_payment(famille, [invoices["nov"]])
    back = famille.get("/factures/paiement/retour?" + urlencode(bank_answer(asked)))  # the return first
    assert back.status_code == 302
    assert back.headers["Location"].startswith("/factures/paiements/")
    assert notify(app.test_client(), bank_answer(asked)).status_code == 200  # then the bank's server
    asked2 = start_payment(famille, [invoices["late"]])
    assert notify(app.test_client(), bank_answer(asked2)).status_code == 200  # the bank's server first
    again = famille.get("/factures/paiement/retour?" + urlencode(bank_answer(asked2)), follow_redirects=True)
    assert "accepté" in text(again)
    rows, payments, settlements, callbacks = state(app, [invoices["nov"], invoices["late"]])
    assert set(rows.values()) == {"payée"}
    assert payments == [("payé", False), ("payé", False)]
    assert settlements == 2
    assert callbacks == 4


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"signed": None}, "signature absente"),
        ({"amount": "0.01"}, "montant annoncé par la banque (0,01"),
        ({"amount": "abc"}, "illisible"),
        ({"transaction_id": "inconnue"}, "Transaction inconnue"),
    ],
)
def test_a_forged_answer_pays_nothing_and_is_kept_for_the_agents(
    app,
    people,
    client_for,
    invoices,  # noqa: F811
    change,
    reason,
):
    famille = client_for(people["famille"])
    asked = start_payment(famille, [invoices["nov"]])
    forged = {**bank_answer(asked), **{k: v for k, v in change.items() if v is not None}}
    forged = {k: v for k, v in forged.items() if not (k in change and change[k] is None)}
    response = notify(app.test_client(), forged)
    assert response.status_code == 400
    returned = famille.get("/factures/paiement/retour?" + urlencode(forged), follow_redirects=True)
    assert "n'a pas pu être vérifiée" in text(returned)
    assert "rien n'est payé" in text(returned)
    rows, payments, settlements, callbacks = state(app, [invoices["nov"]])
    assert rows == {invoices["nov"]: "à payer"}
    assert settlements == 0
    assert callbacks == 2
    assert payments[0][0] == "en attente"
    with app.app_context():
        outcomes = list(db.session.scalars(select(BankCallback.outcome)))
    assert all(reason in outcome.replace("\xa0", " ") for outcome in outcomes), outcomes


def test_a_changed_amount_in_the_database_breaks_our_signature(app, people, client_for, invoices):  # noqa: F811
    famille = client_for(people["famille"])
    asked = start_payment(famille, [invoices["nov"]])
    with app.app_context():
        payment = db.session.scalars(select(Payment)).one()
        payment.amount_cents = 1  # someone changed what is owed after the bank was asked
        db.session.commit()
    answer = {**bank_answer(asked), "amount": "0.01"}
    assert notify(app.test_client(), answer).status_code == 400
    rows, payments, settlements, _ = state(app, [invoices["nov"]])
    assert rows == {invoices["nov"]: "à payer"}
    assert settlements == 0
    assert payments == [("en attente", True)]


def test_two_tabs_paying_the_same_invoice_one_applied_the_other_flagged(app, people, client_for, invoices):  # noqa: F811
    famille = client_for(people["famille"])
    first = start_payment(famille, [invoices["nov"]])
    second = start_payment(famille, [invoices["nov"]])
    bank = app.test_client()
    assert notify(bank, bank_answer(first)).status_code == 200
    assert notify(bank, bank_answer(second)).status_code == 200
    rows, payments, settlements, _ = state(app, [invoices["nov"]])
    assert rows == {invoices["nov"]: "payée"}
    assert settlements == 1
    assert payments == [("payé", False), ("payé", True)]
    with app.app_context():
        flagged = db.session.scalars(select(Payment).where(Payment.needs_review.is_(True))).one()
        assert "À rembourser" in flagged.review_reason
    agent_page = famille.get(f"/factures/paiements/{flagged.id}")
    assert "remboursement" in text(agent_page)


def test_an_invoice_of_another_family_is_a_404_everywhere(app, people, client_for, invoices):  # noqa: F811
    famille = client_for(people["famille"])
    other = client_for(people["autre_famille"])
    asked = start_payment(other, [invoices["other"]])
    assert notify(app.test_client(), bank_answer(asked)).status_code == 200
    with app.app_context():
        payment_id = db.session.scalars(select(Payment.id)).one()
    for url in (
        f"/factures/{invoices['other']}",
        f"/factures/{invoices['other']}/pdf",
        f"/factures/paiements/{payment_id}",
        f"/factures/paiements/{payment_id}/recu.pdf",
    ):
        assert famille.get(url).status_code == 404, url
        assert other.get(url).status_code == 200, url
    before = snapshot(app)
    token = csrf_token(famille, "/factures")
    for forged in (
        [str(invoices["other"])],
        [str(invoices["nov"]), str(invoices["other"])],
        ["1 OR 1=1"],
        ["99999"],
    ):
        response = famille.post("/factures/payer", data={"csrf_token": token, "facture": forged})
        assert response.status_code == 404, forged
    assert snapshot(app) == before


def test_paying_an_invoice_already_paid_or_nothing_ticked_says_so_in_french(
    app,
    people,
    client_for,
    invoices,  # noqa: F811
):
    famille = client_for(people["famille"])
    asked = start_payment(famille, [invoices["nov"]])
    notify(app.test_client(), bank_answer(asked))
    token = csrf_token(famille, "/factures")
    response = famille.post(
        "/factures/payer",
        data={"csrf_token": token, "facture": [str(invoices["nov"])]},
        follow_redirects=True,
    )
    assert "est payée : elle n'est plus à payer" in text(response)
    response = famille.post("/factures/payer", data={"csrf_token": token}, follow_redirects=True)
    assert "Cochez au moins une facture à payer." in text(response)


def test_the_year_filter_and_a_bad_year(app, people, client_for, invoices):  # noqa: F811
    famille = client_for(people["famille"])
    assert "Aucune facture à payer en 2025" in text(famille.get("/factures?annee=2025"))
    bad = famille.get("/factures?annee=deux-mille")
    assert bad.status_code == 400
    assert "n'est pas valable" in text(bad)


def test_an_empty_answer_writes_nothing(app, invoices):  # noqa: F811
    before = snapshot(app)
    bank = app.test_client()
    assert bank.get("/factures/paiement/notification").status_code == 400
    assert bank.get("/factures/paiement/retour").status_code == 404
    assert snapshot(app) == before
