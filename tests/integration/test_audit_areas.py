"""The security log across areas (issue 11.4): a payment applied, refused, rejected or flagged, a data
export asked and downloaded, an account closed, an invoice cancelled by an agent, an activity's draw.
Each is caused through the real pages or job, then read back from `audit_event`; never a secret."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from sqlalchemy import select

from tests.activites.helpers import OPENS
from tests.fixtures.app import PASSWORD, csrf_token
from tests.fixtures.integration import html, post_form, start_demarche
from tests.integration.factures_world import NOW, bank_answer, invoices, start_payment  # noqa: F401
from tests.integration.rgpd_world import book, family_world, other_family
from web.activites.draw import due_draws
from web.core.audit import AuditEvent, Event
from web.extensions import db
from web.factures.models import Payment


def rows(app, event: Event) -> list[tuple[int | None, str, str, dict[str, str]]]:
    with app.app_context():
        found = db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == event).order_by(AuditEvent.id)
        )
        return [(r.actor_id, r.actor_name, r.target, json.loads(r.details)) for r in found]


def simulate(client, asked: dict[str, str], choice: str) -> None:
    url = "/factures/banque-simulee?" + urlencode(asked)
    data = {**asked, "choix": choice, "csrf_token": csrf_token(client, url)}
    assert client.post("/factures/banque-simulee", data=data).status_code == 302


@pytest.fixture
def invoice_time():
    with time_machine.travel(NOW, tick=False):
        yield


def test_payments_applied_refused_rejected_and_flagged_are_logged_without_secrets(
    invoice_time,
    app,
    people,
    client_for,
    invoices,  # noqa: F811
):
    famille = client_for(people["famille"])
    simulate(famille, start_payment(famille, [invoices["late"]]), "refuser")
    first = start_payment(famille, [invoices["nov"]])
    second = start_payment(famille, [invoices["nov"]])  # a second tab
    simulate(famille, first, "payer")
    simulate(famille, second, "payer")  # already paid: money to give back
    forged = bank_answer(first, signed=None)
    assert famille.post("/factures/paiement/notification", data=forged).status_code == 400
    logged = rows(app, Event.PAYMENT)
    results = [details["resultat"] for _, _, _, details in logged]
    assert results == ["refusé", "appliqué", "signalé", "réponse rejetée"]
    refused, applied, flagged, rejected = logged
    with app.app_context():
        payments = db.session.scalars(select(Payment).order_by(Payment.id)).all()
        references = [p.reference for p in payments]
        hidden = [p.signature for p in payments] + [p.bank_transaction_id for p in payments]
    assert refused[2] == f"paiement {references[0]}"
    assert applied[:2] == (people["famille"].id, people["famille"].username)
    assert (applied[3]["montant"], applied[3]["payees"]) == ("98,80\xa0€", "1")
    assert flagged[2] == f"paiement {references[2]}"
    assert flagged[3]["a_rembourser"] == "98,80\xa0€"
    assert "Réponse rejetée : signature absente" in rejected[3]["motif"]
    dump = json.dumps(logged, ensure_ascii=False)
    for secret in hidden:
        assert secret
        assert secret not in dump


@pytest.fixture
def finances(client_for, make_user):
    return client_for(make_user("agent", groups=["Finances"], prenom="Inès", nom="Garnier"))


def test_an_invoice_cancelled_by_an_agent_is_logged_with_its_reason(invoice_time, app, finances, invoices):  # noqa: F811
    url = f"/agents/factures/{invoices['nov']}"
    empty = finances.post(url, data={"csrf_token": csrf_token(finances, url), "motif": "  "})
    assert empty.status_code == 400
    assert rows(app, Event.INVOICE_CANCELLED) == []  # refused: nothing logged
    done = finances.post(url, data={"csrf_token": csrf_token(finances, url), "motif": "Erreur de tarif"})
    assert done.status_code == 302
    ((_, name, target, details),) = rows(app, Event.INVOICE_CANCELLED)
    assert (name, target) == ("agent1", "facture FAC-2026-000001")
    assert details == {"montant": "98,80\xa0€", "motif": "Erreur de tarif"}


@pytest.mark.usefixtures("clock")
def test_a_data_export_asked_and_downloaded_and_an_account_closed_are_logged(app, people, client_for):
    me = people["famille"]
    famille = client_for(me)
    assert post_form(famille, "/mes-donnees", {}, action="/mes-donnees/export").status_code == 302
    (action,) = html(famille.get("/mes-donnees")).xpath(
        "//form[starts-with(@action, '/mes-donnees/export/')]/@action"
    )
    assert post_form(famille, "/mes-donnees", {}, action=action).status_code == 200
    assert post_form(famille, "/mes-donnees", {}, action=action).status_code == 404  # spent: not logged
    asked, downloaded = rows(app, Event.DATA_EXPORT)
    assert asked[:3] == (me.id, me.username, f"compte {me.id}")
    assert (asked[3]["etape"], asked[3]["statut"]) == ("demandé", "pret")
    assert downloaded[3]["etape"] == "téléchargé"
    assert int(downloaded[3]["octets"]) > 0
    task_id = start_demarche(famille, "cloture_compte")
    closing = post_form(famille, f"/taches/{task_id}", {"confirmation": "y", "mot_de_passe_actuel": PASSWORD})
    assert closing.status_code == 302
    ((actor, name, target, details),) = rows(app, Event.ACCOUNT_CLOSED)
    assert (actor, name, target) == (me.id, f"compte-clos-{me.id}", f"compte {me.id}")
    assert details["demandes_annulees"] == "0"
    assert re.fullmatch(r"DEM-\d{4}-\d+", details["demande"])
    with app.app_context():  # the family's earlier rows no longer name it either
        names = db.session.scalars(select(AuditEvent.actor_name).where(AuditEvent.actor_id == me.id)).all()
    assert set(names) == {f"compte-clos-{me.id}"}


def test_an_activity_draw_is_logged_by_the_job(app, people, client_for):
    with time_machine.travel(OPENS + timedelta(minutes=5), tick=False):
        world = family_world(app, places=1)
        with app.app_context():
            from web.activites.models import ActivityOffer

            db.session.get(ActivityOffer, world.activity_id).fair_minutes = 30
            db.session.commit()
        other_kid = other_family(app, people["autre_famille"].id)
        book(client_for(people["autre_famille"]), world.activity_id, other_kid, world.sessions[:1])
    with time_machine.travel(OPENS + timedelta(minutes=31), tick=False), app.app_context():
        session = db.session()
        (draw,) = due_draws(session)
        session.commit()
        assert due_draws(session) == []  # idempotent: one draw, one row
        session.commit()
    ((actor, name, target, details),) = rows(app, Event.ACTIVITY_DRAW)
    assert (actor, name, target) == (None, "", "activité Activité CL-RGPD")
    assert details["demandes"] == "1"
    assert details["graine"] == draw.seed
