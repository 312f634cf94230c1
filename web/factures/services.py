"""What the pages read and change of the invoices; every lookup is scoped to who asks (a family sees only
the invoices of its own records: anything else is a 404, never « it exists but is not yours »)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import extract, func, or_, select
from sqlalchemy.orm import Session, selectinload

from engine.db import utcnow
from web.core.i18n import _
from web.famille.models import Activity, Child, FamilyRecord
from web.famille.services import records_of

from .labels import status_label
from .models import (
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceSource,
    InvoiceStatus,
    Payment,
    PaymentItem,
    PaymentStatus,
)
from .money import euros, euros_fr, period_label

log = logging.getLogger(__name__)


class NotFound(LookupError):
    """No such invoice or payment for this user (a 404)."""


class InvoiceError(ValueError):
    """The invoice cannot be made or changed as asked; the message is a French sentence."""


# --- Families ------------------------------------------------------------------------------------


def record_ids(user: Any) -> list[int]:
    return [r.id for r in records_of(user)]


def invoices_of(session: Session, user: Any, year: int | None = None) -> list[Invoice]:
    """The family's invoices: to pay first (oldest due date first), then paid, then cancelled."""
    ids = record_ids(user)
    if not ids:
        return []
    query = select(Invoice).where(Invoice.family_record_id.in_(ids)).options(selectinload(Invoice.lines))
    if year:
        query = query.where(extract("year", Invoice.issued_on) == year)
    invoices = list(session.scalars(query))
    return sorted(invoices, key=_family_order)


def _family_order(invoice: Invoice) -> tuple[int, int, int]:
    """To pay first, the oldest due date first; then paid and cancelled ones, the newest first."""
    if invoice.status == InvoiceStatus.A_PAYER:
        return (0, invoice.due_on.toordinal(), invoice.id)
    rank = 1 if invoice.status == InvoiceStatus.PAYEE else 2
    return (rank, -invoice.issued_on.toordinal(), -invoice.id)


def years_of(session: Session, user: Any) -> list[int]:
    ids = record_ids(user)
    if not ids:
        return []
    years = session.scalars(
        select(extract("year", Invoice.issued_on)).where(Invoice.family_record_id.in_(ids)).distinct()
    )
    return sorted({int(y) for y in years}, reverse=True)


def invoice_for_family(session: Session, user: Any, invoice_id: int) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.family_record_id not in record_ids(user):
        raise NotFound(invoice_id)
    return invoice


def payment_for_family(session: Session, user: Any, payment_id: int) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None or payment.family_record_id not in record_ids(user):
        raise NotFound(payment_id)
    return payment


def payments_of(session: Session, user: Any) -> list[Payment]:
    ids = record_ids(user)
    if not ids:
        return []
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.family_record_id.in_(ids), Payment.status != PaymentStatus.EN_ATTENTE)
            .order_by(Payment.created_at.desc(), Payment.id.desc())
        )
    )


@dataclass(frozen=True)
class Summary:
    """The dashboard's « Mes factures »: invoices to pay, their total, how many are late."""

    to_pay: int
    total_cents: int
    late: int

    @property
    def total(self) -> str:
        return euros(self.total_cents)


def summary_of(session: Session, user: Any, today: date) -> Summary:
    ids = record_ids(user)
    if not ids:
        return Summary(0, 0, 0)
    rows = session.execute(
        select(Invoice.total_cents, Invoice.due_on).where(
            Invoice.family_record_id.in_(ids), Invoice.status == InvoiceStatus.A_PAYER
        )
    ).all()
    return Summary(len(rows), sum(r.total_cents for r in rows), sum(1 for r in rows if r.due_on < today))


# --- Creating and cancelling ---------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    child: Child | None
    activity: Activity | None
    label: str
    quantity: int
    unit_price_cents: int


def create_invoice(
    session: Session,
    record: FamilyRecord,
    lines: list[LineInput],
    *,
    period_start: date,
    period_end: date,
    issued_on: date,
    due_on: date | None = None,
    source: InvoiceSource = InvoiceSource.AGENT,
    number: str | None = None,
    external_id: str | None = None,
    actor: str,
) -> Invoice:
    """A new invoice « à payer » (flush only); its number is FAC-<year>-<id> unless one is given."""
    _check_lines(record, lines)
    if period_end < period_start:
        raise InvoiceError(_("La fin de la période est avant son début."))
    due = due_on or issued_on + timedelta(days=int(current_app.config["INVOICE_DUE_DAYS"]))
    if due < issued_on:
        raise InvoiceError(_("L'échéance ne peut pas être avant la date d'émission."))
    invoice = Invoice(
        number=number or f"EN-COURS-{secrets.token_hex(8)}",  # replaced by FAC-<year>-<id> below
        record=record,
        family_record_id=record.id,
        period_label=period_label(period_start, period_end, "fr"),  # stored French; shown per language
        period_start=period_start,
        period_end=period_end,
        issued_on=issued_on,
        due_on=due,
        total_cents=sum(line.quantity * line.unit_price_cents for line in lines),
        status=InvoiceStatus.A_PAYER,
        source=source,
        external_id=external_id,
    )
    for position, line in enumerate(lines, start=1):
        invoice.lines.append(
            InvoiceLine(
                position=position,
                child_id=line.child.id if line.child else None,
                activity_id=line.activity.id if line.activity else None,
                child_name=line.child.full_name if line.child else "",
                label=line.label or (line.activity.name if line.activity else ""),
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
                amount_cents=line.quantity * line.unit_price_cents,
            )
        )
    session.add(invoice)
    session.flush()
    if number is None:
        invoice.number = f"FAC-{issued_on.year}-{invoice.id:06d}"
    add_event(invoice, f"Facture émise : {euros_fr(invoice.total_cents)}, échéance le {due:%d/%m/%Y}.", actor)
    session.flush()
    log.info("Invoice %s created for record %s by %s", invoice.number, record.id, actor)
    return invoice


def _check_lines(record: FamilyRecord, lines: list[LineInput]) -> None:
    if not lines:
        raise InvoiceError(_("Une facture doit avoir au moins une ligne."))
    for line in lines:
        if line.quantity <= 0:
            raise InvoiceError(_("La quantité de chaque ligne doit être un nombre entier positif."))
        if line.unit_price_cents < 0:
            raise InvoiceError(_("Un prix unitaire ne peut pas être négatif."))
        if line.child is not None and line.child.family_record_id != record.id:
            raise InvoiceError(
                _(
                    "%(child)s n'est pas un enfant du dossier %(record)s.",
                    child=line.child.full_name,
                    record=record.name,
                )
            )


def add_event(invoice: Invoice, text: str, actor: str | None) -> None:
    invoice.events.append(InvoiceEvent(text=text, actor=actor))


def cancel_invoice(session: Session, invoice: Invoice, reason: str, *, actor: str) -> None:
    """An agent cancels an unpaid invoice; the reason goes to its timeline. A paid one cannot be."""
    reason = (reason or "").strip()
    if not reason:
        raise InvoiceError(
            _("Indiquez le motif de l'annulation : il figure dans l'historique de la facture.")
        )
    # Conditional update: a payment settling it at the same moment wins or loses, never both.
    done = session.execute(
        Invoice.__table__.update()
        .where(Invoice.id == invoice.id, Invoice.status == InvoiceStatus.A_PAYER)
        .values(status=InvoiceStatus.ANNULEE, cancelled_at=utcnow(), cancel_reason=reason)
    ).rowcount
    session.refresh(invoice)
    if not done:
        raise InvoiceError(
            _(
                "La facture %(number)s est %(status)s : elle ne peut plus être annulée.",
                number=invoice.number,
                status=status_label(invoice.status),
            )
        )
    add_event(invoice, f"Facture annulée. Motif : {reason}", actor)
    session.flush()


# --- Agents --------------------------------------------------------------------------------------


def may_manage_finances(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False)) and current_app.config["FINANCES_GROUP"] in user.groups


def search_invoices(
    session: Session, *, status: str = "", year: int | None = None, text: str = "", today: date, limit: int
) -> list[Invoice]:
    query = select(Invoice).join(FamilyRecord, FamilyRecord.id == Invoice.family_record_id)
    if status == "en retard":
        query = query.where(Invoice.status == InvoiceStatus.A_PAYER, Invoice.due_on < today)
    elif status:
        query = query.where(Invoice.status == status)
    if year:
        query = query.where(extract("year", Invoice.issued_on) == year)
    text = text.strip().lower()
    if text:
        like = f"%{text}%"
        query = query.where(
            or_(
                func.lower(Invoice.number).like(like),
                func.lower(FamilyRecord.name).like(like),
                func.lower(FamilyRecord.external_id).like(like),
            )
        )
    return list(session.scalars(query.order_by(Invoice.issued_on.desc(), Invoice.id.desc()).limit(limit)))


def search_payments(
    session: Session, *, status: str = "", review: bool = False, day: date | None = None, limit: int
) -> list[Payment]:
    query = select(Payment)
    if status:
        query = query.where(Payment.status == status)
    if review:
        query = query.where(Payment.needs_review.is_(True), Payment.reviewed_at.is_(None))
    if day is not None:
        from .report import day_bounds

        start, end = day_bounds(day)
        query = query.where(Payment.created_at >= start, Payment.created_at < end)
    return list(session.scalars(query.order_by(Payment.created_at.desc(), Payment.id.desc()).limit(limit)))


def invoices_of_payment(payment: Payment) -> list[Invoice]:
    return [item.invoice for item in payment.items]


def pending_payment_items(session: Session, invoice_ids: list[int]) -> list[PaymentItem]:
    return list(
        session.scalars(
            select(PaymentItem)
            .join(Payment, Payment.id == PaymentItem.payment_id)
            .where(PaymentItem.invoice_id.in_(invoice_ids), Payment.status == PaymentStatus.EN_ATTENTE)
        )
    )
