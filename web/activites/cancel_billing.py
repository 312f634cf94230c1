"""A place given back and its invoice: the family does not pay for a place it cancelled.

The invoice of a place is the request's (`DEM-<reference>`, one line per place: web/activites/
billing.py), its replacement (`DEM-<reference>-R<id>`, see below) or the place's own (`INS-<booking
id>`, a place given after the démarche ran); its line names the child, the activity, the session and
the amount. When the family cancels a placed booking:
- its invoice is unpaid and holds only that place → the invoice is cancelled (« annulée », reason in
  its timeline);
- unpaid with other places → it is cancelled and replaced by an invoice of the other places (French
  public accounting issues a new title rather than editing one); both timelines name each other;
- already paid → nothing is cancelled: the invoice's timeline says an amount is to be refunded, for
  the finances service (« Factures et paiements »), and the booking's history says so too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.core.presentation import PARIS
from web.famille.models import Activity, Child

from .allocation import journal
from .billing import _label
from .models import ActivityBooking
from .rules import euros


def _invoice_line(session: Session, booking: ActivityBooking) -> tuple[Any, Any] | None:
    """(invoice, line) that bills this booking — the newest invoice still standing with a line of this
    child, activity, label and amount; None when the place was never invoiced."""
    from web.factures.models import Invoice, InvoiceLine, InvoiceStatus

    line = session.scalars(
        select(InvoiceLine)
        .join(Invoice)
        .where(
            InvoiceLine.child_id == booking.child_id,
            InvoiceLine.activity_id == booking.activity_id,
            InvoiceLine.label == _label(booking),
            InvoiceLine.amount_cents == booking.price_cents,
            Invoice.status != InvoiceStatus.ANNULEE,
            or_(Invoice.external_id == f"INS-{booking.id}", Invoice.external_id.like("DEM-%")),
        )
        .order_by(Invoice.id.desc())
    ).first()
    return (line.invoice, line) if line is not None else None


def bill_cancelled_booking(session: Session, booking: ActivityBooking, actor: str) -> None:
    """Cancel, replace or flag for refund the invoice of a booking the family just cancelled."""
    from web.factures.models import InvoiceStatus
    from web.factures.services import add_event, cancel_invoice

    found = _invoice_line(session, booking)
    if found is None:
        return
    invoice, line = found
    if invoice.status == InvoiceStatus.PAYEE:
        add_event(
            invoice,
            f"Place annulée par la famille après paiement ({line.label}) : {euros(line.amount_cents)} à "
            "rembourser.",
            actor,
        )
        journal(
            session,
            booking,
            f"Facture {invoice.number} déjà payée : {euros(line.amount_cents)} à rembourser.",
        )
        return
    if invoice.status != InvoiceStatus.A_PAYER:
        return
    others = [other for other in invoice.lines if other is not line]
    replacement = _replace(session, invoice, others, actor) if others else None
    reason = f"Place annulée par la famille : {line.label}" + (
        f" ; remplacée par la facture {replacement.number}" if replacement is not None else ""
    )
    cancel_invoice(session, invoice, reason, actor=actor)
    journal(
        session,
        booking,
        f"Facture {invoice.number} annulée"
        + (f", remplacée par la facture {replacement.number}." if replacement is not None else "."),
    )


def _replace(session: Session, invoice: Any, lines: list[Any], actor: str) -> Any:
    """A new unpaid invoice of `lines` (the places still held), due no earlier than the old one."""
    from web.factures.models import InvoiceSource
    from web.factures.services import LineInput, add_event, create_invoice

    today = utcnow().astimezone(PARIS).date()
    base = (invoice.external_id or "").split("-R")[0] or f"FAC-{invoice.id}"
    replacement = create_invoice(
        session,
        invoice.record,
        [
            LineInput(
                session.get(Child, line.child_id) if line.child_id else None,
                session.get(Activity, line.activity_id) if line.activity_id else None,
                line.label,
                line.quantity,
                line.unit_price_cents,
            )
            for line in lines
        ],
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        issued_on=today,
        due_on=max(invoice.due_on, today),
        source=InvoiceSource.DEMARCHE,
        external_id=f"{base}-R{invoice.id}",
        actor=actor,
    )
    add_event(replacement, f"Remplace la facture {invoice.number} (une place annulée par la famille).", actor)
    return replacement
