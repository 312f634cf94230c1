"""Objects of the second round's areas for tests/integration/test_idor.py, each owned by one side:
a family's invoice and paid payment, a family's activity booking, an activity (and its session) run
by the « Sports » service, a family's stored document (« Mes documents ») and data export.

Everything a family owns is built for people["famille"] (its own family record) and requested by
people["autre_famille"]; through the real routes where a route creates it (stored document, export),
with the area's services or rows otherwise (invoices are issued by agents and imports, bookings by a
démarche).
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from PIL import Image
from sqlalchemy import select

from tests.fixtures.integration import post_form
from web.accounts.models import User
from web.activites.models import ActivityBooking, ActivityOffer, ActivitySession, BookingStatus, PriceRule
from web.coffre.models import StoredDocument
from web.donnees.models import DataExport, ExportStatus
from web.extensions import db
from web.factures.models import Payment, PaymentItem, PaymentStatus
from web.factures.services import LineInput, create_invoice
from web.famille.models import Activity, ActivityKind, Child, FamilyMember, FamilyRecord


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def family_objects(app, famille_user: User) -> dict[str, int]:
    """A record of the family with a child, an invoice, its paid payment, an activity of « Sports »
    with one session and the child's booking in it."""
    with app.app_context():
        session = db.session()
        record = FamilyRecord(service="Sports", name="MARTIN Camille", external_id="F-IDOR")
        record.members.append(FamilyMember(last_name="MARTIN", first_name="Camille"))
        record.children.append(Child(last_name="MARTIN", first_name="Léa", external_id="E-IDOR"))
        account = session.get(User, famille_user.id)
        account.family_records.append(record)
        session.flush()
        child = record.children[0]
        invoice = create_invoice(
            session,
            record,
            [LineInput(child, None, "Stage multisport", 2, 4500)],
            period_start=date(2026, 2, 1),
            period_end=date(2026, 2, 28),
            issued_on=date(2026, 3, 2),
            due_on=date(2026, 4, 1),
            actor="tests",
        )
        payment = Payment(
            reference="P-IDOR-1",
            family_record_id=record.id,
            user_id=famille_user.id,
            email=famille_user.email,
            backend="dummy",
            bank_transaction_id="T-IDOR-1",
            amount_cents=invoice.total_cents,
            signature="-",
            status=PaymentStatus.PAYE,
        )
        payment.items = [PaymentItem(invoice_id=invoice.id, amount_cents=invoice.total_cents)]
        session.add(payment)
        activity, offered = _activity(session)
        booking = ActivityBooking(
            session_id=offered.id,
            activity_id=activity.id,
            child_id=child.id,
            family_record_id=record.id,
            user_id=famille_user.id,
            request_ref="DEM-2026-IDOR",
            status=BookingStatus.PLACED,
            child_slot=1,
            place_no=1,
        )
        session.add(booking)
        session.commit()
        return {
            "invoice_id": invoice.id,
            "payment_id": payment.id,
            "booking_id": booking.id,
            "activity_id": activity.id,
            "session_id": offered.id,
        }


def _activity(session: Any) -> tuple[Activity, ActivitySession]:
    activity = Activity(
        external_id="SPORT-IDOR", name="Stage multisport", kind=ActivityKind.SPORT, service="Sports"
    )
    session.add(activity)
    session.flush()
    session.add(
        ActivityOffer(
            activity_id=activity.id,
            price_rule=PriceRule.FLAT,
            price_cents=4500,
            fair_minutes=0,
            cancel_days=7,
            validation_required=False,
        )
    )
    offered = ActivitySession(
        activity_id=activity.id,
        label="Vacances d'avril",
        starts_on=date(2026, 4, 13),
        ends_on=date(2026, 4, 17),
        places=12,
        allocated=1,
    )
    session.add(offered)
    session.flush()
    return activity, offered


def stored_document(app, famille) -> int:
    """« Mes documents » : the family adds a PNG through the page."""
    data = {
        "fichier": (io.BytesIO(png_bytes()), "quittance.png"),
        "type_document": "Justificatif de domicile",
    }
    added = post_form(famille, "/mes-documents", data)
    assert added.status_code == 302, added.get_data(as_text=True)[:500]
    with app.app_context():
        return (
            db.session.execute(select(StoredDocument.id).order_by(StoredDocument.id.desc())).scalars().first()
        )


def data_export(app, famille) -> int:
    """« Télécharger mes données » : a small account's export is ready at once."""
    asked = post_form(famille, "/mes-donnees", {}, action="/mes-donnees/export")
    assert asked.status_code == 302, asked.get_data(as_text=True)[:500]
    with app.app_context():
        export = db.session.execute(select(DataExport).order_by(DataExport.id.desc())).scalars().first()
        assert export is not None
        assert export.status == ExportStatus.READY, export
        return export.id
