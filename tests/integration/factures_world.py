"""Shared set-up of the invoices' tests: two families with records and invoices, and helpers to pay
through the real routes (the dummy backend, the simulator) and to send the bank's answers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import select

from tests.fixtures.app import csrf_token
from tests.integration.test_famille_import import ACTIVITIES, do
from web.extensions import db
from web.factures.models import Invoice
from web.factures.services import LineInput, create_invoice
from web.famille.models import Activity, Child, FamilyRecord

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
FAMILIES = (
    "famille_id;famille_nom;adresse;enfant_id;enfant_nom;enfant_prenom;enfant_date_naissance;enfant_ecole;"
    "enfant_classe;enfant_services;enfant_activites\n"
    "F-1;MARTIN Camille;3 rue des Lilas;E-1;MARTIN;Léa;14/03/2017;École Jean Macé;CE2;Enfance;CANT-JM\n"
    "F-1;MARTIN Camille;3 rue des Lilas;E-2;MARTIN;Hugo;02/09/2021;École Rabelais;MS;Enfance;CL-MERC\n"
    "F-2;BERNARD Louise;;E-3;BERNARD;Nina;21/06/2015;École Jean Macé;CM2;Enfance;CONS-EV\n"
)


def make_invoice(
    session, record_ext: str, lines: list[tuple[str | None, str, int, int]], **dates: date
) -> Invoice:
    record = session.scalars(select(FamilyRecord).where(FamilyRecord.external_id == record_ext)).one()
    inputs = []
    for child_ext, activity_ext, quantity, cents in lines:
        child = (
            session.scalars(select(Child).where(Child.external_id == child_ext)).first()
            if child_ext
            else None
        )
        activity = session.scalars(select(Activity).where(Activity.external_id == activity_ext)).first()
        inputs.append(
            LineInput(child, activity, activity.name if activity else activity_ext, quantity, cents)
        )
    return create_invoice(
        session,
        record,
        inputs,
        period_start=dates.get("start", date(2026, 11, 1)),
        period_end=dates.get("end", date(2026, 11, 30)),
        issued_on=dates.get("issued", date(2026, 12, 3)),
        due_on=dates.get("due", date(2027, 1, 2)),
        actor="tests",
    )


@pytest.fixture
def invoices(app, people):
    """MARTIN (people["famille"]): two invoices to pay (one late), BERNARD (people["autre_famille"]): one."""
    with time_machine.travel(NOW, tick=False):
        do(app, ACTIVITIES)
        do(app, FAMILIES)
        with app.app_context():
            session = db.session()
            records = {r.external_id: r for r in session.scalars(select(FamilyRecord))}
            from web.accounts.models import User

            martin = session.get(User, people["famille"].id)
            bernard = session.get(User, people["autre_famille"].id)
            martin.family_records.append(records["F-1"])
            bernard.family_records.append(records["F-2"])
            nov = make_invoice(session, "F-1", [("E-1", "CANT-JM", 16, 385), ("E-2", "CL-MERC", 3, 1240)])
            late = make_invoice(
                session,
                "F-1",
                [("E-1", "CANT-JM", 12, 385)],
                start=date(2026, 10, 1),
                end=date(2026, 10, 31),
                issued=date(2026, 11, 3),
                due=date(2026, 12, 3),
            )
            other = make_invoice(session, "F-2", [("E-3", "CONS-EV", 1, 9500)])
            session.commit()
            return {"nov": nov.id, "late": late.id, "other": other.id}


def start_payment(client, invoice_ids: list[int]) -> dict[str, str]:
    """« Payer » through the family's page; returns the simulator's query (transaction_id, amount...)."""
    token = csrf_token(client, "/factures")
    response = client.post(
        "/factures/payer", data={"csrf_token": token, "facture": [str(i) for i in invoice_ids]}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = urlsplit(response.headers["Location"])
    assert location.path == "/factures/banque-simulee", response.headers["Location"]
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def bank_answer(asked: dict[str, str], *, ok: bool = True, **extra: Any) -> dict[str, str]:
    answer = {"transaction_id": asked["transaction_id"], "amount": asked["amount"], "signed": "1"}
    if ok:
        answer["ok"] = "1"
    answer.update({k: str(v) for k, v in extra.items()})
    return {k: v for k, v in answer.items() if v != "None"}
