"""Payments racing for one invoice, on SQLite and on the real PostgreSQL of tests/fixtures/postgres.py:
threads released together by a barrier post the bank's answers through the web. Exactly one payment is
applied per invoice, whatever the interleaving; the others are recorded and flagged for an agent."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from tests.fixtures.app import empty_tables, login
from tests.fixtures.integration import create_account
from tests.integration.factures_world import FAMILIES, NOW, bank_answer, make_invoice, start_payment
from tests.integration.test_famille_import import ACTIVITIES
from web.extensions import db
from web.factures.models import BankCallback, Invoice, InvoiceSettlement, Payment
from web.famille.importer import run
from web.famille.models import FamilyRecord

ROUNDS = 5


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request, app):
    application = app if request.param == "sqlite" else request.getfixturevalue("pg_app_once")
    if request.param == "postgresql":
        empty_tables(application)
    family = create_account(
        application, "famille", username=f"paie-{request.param}", prenom="Camille", nom="Martin"
    )
    with time_machine.travel(NOW, tick=False), application.app_context():
        session = db.session()
        run(session, ACTIVITIES.encode(), dry_run=False)
        run(session, FAMILIES.encode(), dry_run=False)
        from web.accounts.models import User

        user = session.get(User, family.id)
        user.family_records.append(
            session.scalars(select(FamilyRecord).where(FamilyRecord.external_id == "F-1")).one()
        )
        ids = [make_invoice(session, "F-1", [("E-1", "CANT-JM", n + 1, 385)]).id for n in range(ROUNDS)]
        session.commit()
    yield application, family, ids
    if request.param == "postgresql":
        empty_tables(application)


def together(application, answers: list[dict[str, str]], paths: list[str]) -> list[int]:
    barrier = threading.Barrier(len(answers))
    statuses: list[Any] = [None] * len(answers)

    def post(index: int) -> None:
        client = application.test_client()
        barrier.wait(30)
        if paths[index].endswith("retour"):
            response = client.get(paths[index], query_string=answers[index])
        else:
            response = client.post(paths[index], data=answers[index])
        statuses[index] = response.status_code

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(answers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (deadlock?)"
    return statuses


NOTIFY = "/factures/paiement/notification"
RETURN = "/factures/paiement/retour"


def test_two_payments_of_one_invoice_at_once_one_applied(site):
    application, family, ids = site
    with time_machine.travel(NOW, tick=True):
        client = application.test_client()
        login(client, family)
        for invoice_id in ids:
            first = start_payment(client, [invoice_id])
            second = start_payment(client, [invoice_id])
            statuses = together(application, [bank_answer(first), bank_answer(second)], [NOTIFY, NOTIFY])
            assert statuses == [200, 200]
    with application.app_context():
        session = db.session()
        assert session.scalar(select(func.count()).select_from(InvoiceSettlement)) == ROUNDS
        assert {session.get(Invoice, i).status for i in ids} == {"payée"}
        paid = list(session.scalars(select(Payment).where(Payment.status == "payé")))
        assert len(paid) == 2 * ROUNDS  # the bank took both: one settles, the other is to refund
        assert sum(1 for p in paid if p.needs_review and "À rembourser" in p.review_reason) == ROUNDS
        for invoice_id in ids:
            settled_by = session.scalars(
                select(InvoiceSettlement.payment_id).where(InvoiceSettlement.invoice_id == invoice_id)
            ).one()
            assert not session.get(Payment, settled_by).needs_review


def test_the_return_and_the_notification_of_one_payment_at_once(site):
    application, family, ids = site
    with time_machine.travel(NOW, tick=True):
        client = application.test_client()
        login(client, family)
        for invoice_id in ids:
            asked = start_payment(client, [invoice_id])
            answer = bank_answer(asked)
            statuses = together(application, [answer, answer, answer], [NOTIFY, RETURN, NOTIFY])
            assert statuses[0] == statuses[2] == 200
            assert statuses[1] in (200, 302)
    with application.app_context():
        session = db.session()
        assert session.scalar(select(func.count()).select_from(InvoiceSettlement)) == ROUNDS
        assert session.scalar(select(func.count()).select_from(BankCallback)) == 3 * ROUNDS
        applied = session.scalar(
            select(func.count())
            .select_from(BankCallback)
            .where(BankCallback.outcome.like("Paiement appliqué%"))
        )
        assert applied == ROUNDS
        assert not session.scalar(
            select(func.count()).select_from(Payment).where(Payment.needs_review.is_(True))
        )
