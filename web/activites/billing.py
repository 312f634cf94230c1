"""What an enrolment request costs, for its invoice (the BPMN calls `activites_a_facturer`, then the
invoices' `factures_emettre` with the result: docs/guide-analyste.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import rules
from .models import ActivityBooking, BookingStatus


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
    if not bookings:
        return {
            "montant_centimes": 0,
            "montant": rules.euros(0),
            "enfant": None,
            "activite": None,
            "lignes": [],
        }
    first = bookings[0]
    lines = [
        {
            "libelle": f"{b.activity.name} — {b.session.label}"
            + (f" ({b.price_detail})" if b.price_detail and b.price_detail != "démo" else ""),
            "quantite": 1,
            "prix_unitaire_centimes": b.price_cents,
        }
        for b in bookings
    ]
    return {
        "montant_centimes": sum(b.price_cents for b in bookings),
        "montant": rules.euros(sum(b.price_cents for b in bookings)),
        "enfant": first.child_id,
        "activite": first.activity.external_id,
        "lignes": lines,
    }
