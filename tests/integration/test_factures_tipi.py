"""TIPI: eopayment reports every TIPI answer as signed (../shared/FACTS.md §4), so Guichet confirms it
another way: the answer must name a transaction it created (`refdet` = our unguessable reference) with
the amount it asked; even then the payment is flagged « à rapprocher » for an agent. The real eopayment
TIPI backend builds the request and reads the answers; nothing is mocked."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import select

from tests.fixtures.app import csrf_token, login
from tests.fixtures.integration import html, text
from tests.integration.factures_world import NOW, invoices  # noqa: F401
from web.extensions import db
from web.factures.models import BankCallback, Invoice, Payment


@pytest.fixture
def tipi(app_factory, app, invoices):  # noqa: F811
    application = app_factory(PAYMENT_BACKEND="tipi", PAYMENT_OPTIONS={"numcli": "123456", "saisie": "T"})
    return application, invoices


def start(application, user, invoice_id) -> dict[str, str]:
    client = application.test_client()
    login(client, user)
    token = csrf_token(client, "/factures")
    response = client.post("/factures/payer", data={"csrf_token": token, "facture": [str(invoice_id)]})
    assert response.status_code == 200  # a page with a link: a redirect would break our CSP form-action
    (link,) = html(response).xpath("//a[normalize-space()='Continuer vers la page de paiement']/@href")
    location = urlsplit(link)
    assert location.netloc == "www.payfip.gouv.fr"  # the treasury's page, not the simulator
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def answer(application, **fields):
    return application.test_client().post("/factures/paiement/notification", data=fields)


def test_a_tipi_answer_is_applied_only_if_it_matches_and_is_always_flagged(tipi, people):
    application, ids = tipi
    with time_machine.travel(NOW, tick=True):
        asked = start(application, people["famille"], ids["nov"])
        with application.app_context():
            payment = db.session.scalars(select(Payment)).one()
            assert asked["refdet"] == payment.reference == payment.bank_transaction_id
            assert asked["montant"] == "9880"
        # Forged: another reference, the right amount; the right reference, another amount.
        assert (
            answer(application, refdet="P20261207000000000000", resultrans="P", montant="9880").status_code
            == 400
        )
        assert answer(application, refdet=asked["refdet"], resultrans="P", montant="1").status_code == 400
        assert answer(application, refdet=asked["refdet"], resultrans="P").status_code == 400  # no amount
        with application.app_context():
            assert db.session.get(Invoice, ids["nov"]).status == "à payer"
            outcomes = list(db.session.scalars(select(BankCallback.outcome).order_by(BankCallback.id)))
        assert outcomes[0] == "Transaction inconnue : rien n'est payé."
        assert "montant annoncé par la banque" in outcomes[1]
        assert "n'indique pas le montant" in outcomes[2]
        ok = answer(application, refdet=asked["refdet"], resultrans="P", montant="9880", numauto="123")
        assert ok.status_code == 200
        with application.app_context():
            assert db.session.get(Invoice, ids["nov"]).status == "payée"
            payment = db.session.scalars(select(Payment)).one()
            assert payment.status == "payé"
            assert payment.needs_review
            assert "à rapprocher du relevé de la DGFiP" in payment.review_reason


def test_dummy_is_refused_in_production_and_the_simulator_is_off(app_factory, app, people, invoices):  # noqa: F811
    production = app_factory(ENV="production", SESSION_COOKIE_SECURE=False)
    assert production.config["PAYMENT_SIMULATOR"] is False
    with time_machine.travel(NOW, tick=True):
        client = production.test_client()
        assert client.get("/factures/banque-simulee?transaction_id=x").status_code == 404


def test_a_form_backend_gets_a_page_whose_csp_allows_that_bank_only(app_factory, app, people, invoices):  # noqa: F811
    options = {"vads_site_id": "12345678", "secret_test": "abcdefgh"}
    systempay = app_factory(PAYMENT_BACKEND="systempayv2", PAYMENT_OPTIONS=options)
    with time_machine.travel(NOW, tick=True):
        client = systempay.test_client()
        login(client, people["famille"])
        token = csrf_token(client, "/factures")
        response = client.post(
            "/factures/payer", data={"csrf_token": token, "facture": [str(invoices["nov"])]}
        )
        assert response.status_code == 200
        assert (
            "form-action 'self' https://paiement.systempay.fr;" in response.headers["Content-Security-Policy"]
        )
        (form,) = html(response).xpath("//form[@action='https://paiement.systempay.fr/vads-payment/']")
        fields = dict(zip(form.xpath(".//input/@name"), form.xpath(".//input/@value"), strict=True))
        assert fields["vads_amount"] == "9880"
        assert fields["vads_url_check"] == "http://guichet.test/factures/paiement/notification"
        # A forged Systempay answer: its signature does not check out, nothing is paid.
        forged = {k: v for k, v in fields.items() if k.startswith("vads_")}
        forged |= {"vads_trans_status": "AUTHORISED", "vads_result": "00", "vads_auth_result": "00"}
        forged["signature"] = "0" * 64
        refused = systempay.test_client().post("/factures/paiement/notification", data=forged)
        assert refused.status_code == 400
        with systempay.app_context():
            assert db.session.get(Invoice, invoices["nov"]).status == "à payer"
            (outcome,) = db.session.scalars(select(BankCallback.outcome))
        assert "signature absente ou invalide" in outcome
    assert "Paiement en ligne de 98,80" in text(response).replace("\xa0", " ")


def test_a_bank_that_refuses_the_request_keeps_the_attempt_and_says_so_in_french(tipi, people):
    from tests.integration.factures_world import make_invoice

    application, _ = tipi
    with time_machine.travel(NOW, tick=True):
        with application.app_context():
            big = make_invoice(
                db.session(), "F-1", [("E-1", "CANT-JM", 1, 1_000_000)]
            ).id  # TIPI: 9 999,99 € max
            db.session.commit()
        client = application.test_client()
        login(client, people["famille"])
        token = csrf_token(client, "/factures")
        response = client.post(
            "/factures/payer", data={"csrf_token": token, "facture": [str(big)]}, follow_redirects=True
        )
        assert "Le service de paiement ne répond pas pour le moment : rien n'a été payé." in text(response)
        with application.app_context():
            payment = db.session.scalars(select(Payment)).one()
            assert payment.status == "annulé"
            assert db.session.get(Invoice, big).status == "à payer"
