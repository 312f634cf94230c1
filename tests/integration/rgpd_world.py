"""Shared set-up of the personal-data tests across areas: a family record of the Enfance service with
invoices and activity sessions, the signup wizard with its « clé espace citoyens », a booking and an
online payment through the real pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from tests.activites.helpers import OPENS, make_activity
from tests.fixtures.app import PASSWORD, csrf_token
from tests.integration.factures_world import start_payment
from tests.integration.test_signup import CONTACT, IDENTITY, captcha_id, post, start, token
from web.accounts import captcha
from web.accounts.signup import issue_service_key
from web.activites.models import FamilyQuotient
from web.extensions import db
from web.factures.services import LineInput, create_invoice
from web.famille.models import Child, FamilyRecord

#: Inside the booking window of tests.activites.helpers (sessions: 15-19 and 22-26 February 2027).
DURING = OPENS + timedelta(hours=1)
#: Week 1 has begun, week 2 has not: the closure's two booking rules.
CLOSING_DAY = OPENS + timedelta(days=37)  # 17 February 2027


@dataclass
class World:
    record_id: int
    children: list[int]
    activity_id: int
    sessions: list[int]
    invoices: list[int]
    numbers: list[str]
    key: str


def family_world(app: Any, name: str = "HOULIER Famille", *, places: int = 1, code: str = "CL-RGPD") -> World:
    """A record with two children, a quotient, two invoices to pay, and an activity of two weeks."""
    with app.app_context():
        s = db.session()
        record = FamilyRecord(service="Enfance", name=name, external_id=f"R-{code}")
        s.add(record)
        s.flush()
        kids = [
            Child(family_record_id=record.id, last_name=name.split()[0], first_name=first,
                  birth_date=date(2018, 5, 1), class_name="CE1")
            for first in ("Aubin", "Bertille")
        ]  # fmt: skip
        s.add_all(kids)
        s.add(FamilyQuotient(family_record_id=record.id, quotient=742, resident=True))
        s.flush()
        offer = make_activity(s, code, places=places, sessions=2)
        invoices = [
            create_invoice(s, record, [LineInput(kids[0], None, f"Cantine {month}", 10, 385)],
                           period_start=date(2026, m, 1), period_end=date(2026, m, 28),
                           issued_on=date(2026, m + 1, 3), actor="tests")
            for m, month in ((10, "octobre"), (11, "novembre"))
        ]  # fmt: skip
        key = issue_service_key(s, record=record, issued_by_id=None)
        world = World(
            record.id, [k.id for k in kids], offer.activity_id, [x.id for x in offer.sessions],
            [i.id for i in invoices], [i.number for i in invoices], key,
        )  # fmt: skip
        s.commit()
        return world


def other_family(app: Any, user_id: int, name: str = "BERNARD Nina") -> int:
    """Another family record with one child, linked to `user_id`; its child's id."""
    with app.app_context():
        from web.accounts.models import User

        s = db.session()
        record = FamilyRecord(service="Enfance", name=name)
        s.add(record)
        s.flush()
        child = Child(family_record_id=record.id, last_name=name.split()[0], first_name=name.split()[1],
                      birth_date=date(2018, 6, 1), class_name="CE1")  # fmt: skip
        s.add(child)
        account = s.get(User, user_id)
        account.family_records.append(record)
        s.commit()
        return child.id


def signup(app: Any, client: Any, profile: dict[str, str], *, key: str = "") -> str:
    """The wizard « Créer mon espace » with `profile` (prenom, nom, username, email, mobile), the captcha
    solved, then the activation link; returns the activation mail's text."""
    identity = post(client, start(client), {"action": "suivant"}).location
    contact = post(
        client, identity, {**IDENTITY, "nom": profile["nom"], "prenom": profile["prenom"]}
    ).location
    url = post(
        client, contact, {**CONTACT, "courriel": profile["email"], "mobile": profile["mobile"]}
    ).location
    page = client.get(url).get_data(as_text=True)
    challenge = captcha_id(page)
    with app.app_context():
        code = captcha.code_for(challenge)
    data = {
        "csrf_token": token(page), "nom_utilisateur": profile["username"], "mot_de_passe": PASSWORD,
        "confirmation": PASSWORD, "cle_enfance": key, "captcha_id": challenge, "captcha_reponse": code,
        "action": "suivant",
    }  # fmt: skip
    done = client.post(url, data=data)
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    from tests.fixtures.integration import outbox

    (mail,) = [m for m in outbox(app) if m.recipient == profile["email"]]
    link = re.search(r"http://guichet\.test(/activation/\S+)", mail.body_text).group(1)
    activation = client.get(link)
    assert client.post(link, data={"csrf_token": token(activation.get_data(as_text=True))}).status_code == 302
    return mail.body_text


def log_in(client: Any, username: str) -> None:
    page = client.get("/connexion").get_data(as_text=True)
    response = client.post(
        "/connexion", data={"csrf_token": token(page), "username": username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def book(client: Any, activity_id: int, child: int, sessions: list[int]) -> None:
    data = {"csrf_token": csrf_token(client, f"/activites/{activity_id}"), "enfant": str(child),
            "sessions": [str(s) for s in sessions], "documents": "y"}  # fmt: skip
    response = client.post(f"/activites/{activity_id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]


def pay(client: Any, invoice_ids: list[int], choice: str = "payer") -> None:
    """« Payer » then the simulated bank's choice (payer, refuser, annuler)."""
    asked = start_payment(client, invoice_ids)
    url = "/factures/banque-simulee?" + urlencode(asked)
    answer = {**asked, "choix": choice, "csrf_token": csrf_token(client, url)}
    assert client.post("/factures/banque-simulee", data=answer).status_code == 302


def bookings_of_record(app: Any, record_id: int) -> list[tuple[Any, ...]]:
    from web.activites.models import ActivityBooking

    with app.app_context():
        rows = db.session().scalars(
            select(ActivityBooking)
            .where(ActivityBooking.family_record_id == record_id)
            .order_by(ActivityBooking.id)
        )
        return [(b.session_id, b.child_id, str(b.status), b.user_id, b.instance_id) for b in rows]
