"""What an enrolment request costs, for its invoice (the BPMN calls `activites_a_facturer`, then the
invoices' `factures_emettre` with the result: docs/guide-analyste.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.core.presentation import PARIS

from . import rules
from .models import ActivityBooking, ActivityOffer, BookingStatus


def invoice_lines(session: Session, request_ref: str, requester_id: int | None) -> dict[str, Any]:
    """The lines of the request's invoice: one per session where the child holds a place at a price
    above zero. `montant_centimes` 0 (nothing to invoice) when none, or for another family's request."""
    bookings = [
        b
        for b in session.scalars(
            select(ActivityBooking)
            .where(ActivityBooking.request_ref == request_ref)
            .order_by(ActivityBooking.session_id, ActivityBooking.id)
        )
        if b.status == BookingStatus.PLACED and b.price_cents > 0 and b.user_id == requester_id
    ]
    done = late_invoiced(session, [b.id for b in bookings])
    bookings = [b for b in bookings if b.id not in done]
    if not bookings:
        return {
            "montant_centimes": 0,
            "montant": rules.stored_euros(0),
            "enfant": None,
            "activite": None,
            "lignes": [],
        }
    first = bookings[0]
    lines = [
        {
            "libelle": _label(b),
            "quantite": 1,
            "prix_unitaire_centimes": b.price_cents,
        }
        for b in bookings
    ]
    return {
        "montant_centimes": sum(b.price_cents for b in bookings),
        "montant": rules.stored_euros(sum(b.price_cents for b in bookings)),
        "enfant": first.child_id,
        "activite": first.activity.external_id,
        "lignes": lines,
    }


def _label(booking: ActivityBooking) -> str:
    detail = booking.price_detail if booking.price_detail and booking.price_detail != "démo" else ""
    return f"{booking.activity.name} — {booking.session.label}" + (f" ({detail})" if detail else "")


def invoice_late_place(session: Session, booking: ActivityBooking) -> Any:
    """A place given after the request's démarche ran (the draw, a promotion from the waiting list):
    its own invoice, external id `INS-<booking id>` (given once). Not while the service has still to
    validate the request: the démarche invoices the places held at its acceptance."""
    from web.factures.models import Invoice, InvoiceSource
    from web.factures.services import LineInput, create_invoice

    if booking.status != BookingStatus.PLACED or booking.price_cents <= 0:
        return None
    offer = session.get(ActivityOffer, booking.activity_id)
    if offer is not None and offer.validation_required and booking.validated_at is None:
        return None
    external_id = f"INS-{booking.id}"
    existing = session.scalars(select(Invoice).where(Invoice.external_id == external_id)).first()
    if existing is not None:
        return existing
    today = utcnow().astimezone(PARIS).date()
    child = booking.child
    return create_invoice(
        session,
        child.record,
        [LineInput(child, booking.activity, _label(booking), 1, booking.price_cents)],
        period_start=today,
        period_end=today,
        issued_on=today,
        source=InvoiceSource.DEMARCHE,
        external_id=external_id,
        actor=f"inscription {booking.request_ref}",
    )


def late_invoiced(session: Session, booking_ids: list[int]) -> set[int]:
    """The bookings already invoiced on their own (`INS-<id>`)."""
    from web.factures.models import Invoice

    if not booking_ids:
        return set()
    names = {f"INS-{i}": i for i in booking_ids}
    found = session.scalars(select(Invoice.external_id).where(Invoice.external_id.in_(list(names))))
    return {names[n] for n in found if n in names}
