"""A crash between the bank's notification and our commit, on SQLite and on the real PostgreSQL: the
request's one commit fails (fault injection: a SQLAlchemy `before_commit` listener that raises, installed
by this test only; the database itself is real). The bank gets an error, so it sends the notification
again; nothing was paid, nothing half-written, the raw answer is kept (committed on its own as it arrived);
the retry is applied, exactly once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from flask import has_request_context, request
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from engine.models import OutboxMessage
from tests.fixtures.app import login
from tests.integration.factures_world import NOW, bank_answer, start_payment
from tests.integration.test_factures_concurrency import site  # noqa: F401
from web.extensions import db
from web.factures.models import BankCallback, Invoice, InvoiceSettlement, Payment
from web.factures.payments import INTERRUPTED

NOTIFY = "/factures/paiement/notification"


class DatabaseCrash(Exception):
    pass


@pytest.fixture
def crash_once() -> Iterator[dict[str, int]]:
    """The first commit of a notification request's session fails, as if the database went away then."""
    left = {"crashes": 1}

    def crash(session: Session) -> None:
        # The notification request's own session (not the one that stored the raw answer before it).
        requests_session = (
            has_request_context()
            and request.path == NOTIFY
            and db.session.registry.has()
            and session is db.session.registry()
        )
        if left["crashes"] and requests_session:
            left["crashes"] -= 1
            raise DatabaseCrash("panne simulée pendant le commit")

    event.listen(Session, "before_commit", crash)
    yield left
    event.remove(Session, "before_commit", crash)


def world(application, invoice_id: int) -> dict[str, object]:
    with application.app_context():
        session = db.session()
        outcome = {
            "invoice": session.get(Invoice, invoice_id).status,
            "payments": [(p.status, p.needs_review) for p in session.scalars(select(Payment))],
            "settlements": session.scalar(select(func.count()).select_from(InvoiceSettlement)),
            "answers": list(session.scalars(select(BankCallback.outcome).order_by(BankCallback.id))),
            "receipts": session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.subject.like("Reçu%"))
            ),
        }
        db.session.remove()
        return outcome


def test_a_crash_before_our_commit_loses_nothing_and_the_retry_is_applied_once(site, crash_once, monkeypatch):  # noqa: F811
    application, family, ids = site
    monkeypatch.setitem(application.config, "PROPAGATE_EXCEPTIONS", False)  # a real 500, as in production
    with time_machine.travel(NOW, tick=False):
        client = application.test_client()
        login(client, family)
        answer = bank_answer(start_payment(client, [ids[0]]))
        bank = application.test_client()
        first = bank.post(NOTIFY, data=answer)
        assert crash_once["crashes"] == 0  # the fault did fire
        assert first.status_code == 500  # not « OK »: the bank will send it again
        assert "signature ok" not in first.get_data(as_text=True)  # the dummy backend's acknowledgement
        assert world(application, ids[0]) == {
            "invoice": "à payer",
            "payments": [("en attente", False)],
            "settlements": 0,
            "answers": [INTERRUPTED],  # the raw answer was committed on its own before: kept
            "receipts": 0,
        }
        retry = bank.post(NOTIFY, data=answer)
        assert (retry.status_code, retry.get_data(as_text=True)) == (200, "signature ok")
        later = bank.post(NOTIFY, data=answer)  # a bank retries until it is answered; one more for good
        assert later.status_code == 200
    after = world(application, ids[0])
    assert after["invoice"] == "payée"
    assert after["payments"] == [("payé", False)]
    assert after["settlements"] == 1
    assert after["receipts"] == 1
    (crashed, applied, replay) = after["answers"]
    assert crashed == INTERRUPTED
    assert applied == "Paiement appliqué : 1 facture(s) payée(s)."
    assert replay.startswith("Déjà traité (paiement payé)")
