"""Invoices, their lines, payments and receipts in « Télécharger mes données »; what closure keeps.

The rule at closure (docs/guide-famille.md, « Clôturer mon compte »): invoices and payments are
accounting documents the town must keep (`INVOICE_RETENTION_YEARS`, 10 years by default: public
accounting and the Code de commerce, art. L123-22); they stay attached to the family record of the
Enfance service, with the name of the household printed on them. Nothing else of the account stays on
them: the payments forget the account and its mail address (also scrubbed from the bank's stored
answers), and the timeline entries written in the family's name say « la famille ». A closure is
reviewed by an agent when an invoice of the family is still to pay.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, quote_plus

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.core.i18n import _, _l
from web.core.personal_data import Provider, register
from web.core.presentation import PARIS

from .models import BankCallback, Invoice, InvoiceEvent, InvoiceStatus, Payment, PaymentStatus
from .money import euros_fr as euros  # the export's data: French amounts, as stored
from .pdf import invoice_pdf, receipt_pdf
from .services import invoices_of, record_ids

FAMILY = "la famille"


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def invoice_rows(session: Session, user: Any) -> list[dict[str, Any]]:
    return [
        {
            "numero": i.number,
            "dossier_famille": i.record.name,
            "periode": i.period_label,
            "du": _iso(i.period_start),
            "au": _iso(i.period_end),
            "emise_le": _iso(i.issued_on),
            "echeance": _iso(i.due_on),
            "montant": euros(i.total_cents),
            "montant_centimes": i.total_cents,
            "statut": str(i.status),
            "payee_le": _iso(i.paid_at),
            "annulee_le": _iso(i.cancelled_at),
            "motif_annulation": i.cancel_reason or "",
            "historique": [{"date": _iso(e.at), "texte": e.text} for e in i.events],
            "fichier": f"factures/facture-{i.number}.pdf",
        }
        for i in invoices_of(session, user)
    ]


def line_rows(session: Session, user: Any) -> list[dict[str, Any]]:
    return [
        {
            "facture": i.number,
            "ligne": line.position,
            "enfant": line.child_name,
            "libelle": line.label,
            "quantite": line.quantity,
            "prix_unitaire": euros(line.unit_price_cents),
            "montant": euros(line.amount_cents),
            "montant_centimes": line.amount_cents,
        }
        for i in invoices_of(session, user)
        for line in i.lines
    ]


def payment_rows(session: Session, user: Any) -> list[dict[str, Any]]:
    return [
        {
            "reference": p.reference,
            "factures": ", ".join(item.invoice.number for item in p.items),
            "montant": euros(p.amount_cents),
            "montant_centimes": p.amount_cents,
            "statut": str(p.status),
            "moyen": p.backend,
            "transaction_bancaire": p.bank_transaction_id or "",
            "commence_le": _iso(p.created_at),
            "decide_le": _iso(p.decided_at),
            "recu": f"factures/recu-{p.reference}.pdf" if p.status == PaymentStatus.PAYE else "",
        }
        for p in _payments(session, user)
    ]


def _payments(session: Session, user: Any) -> list[Payment]:
    """Every payment of the family's records, « en attente » included (payments_of hides those)."""
    ids = record_ids(user)
    if not ids:
        return []
    query = select(Payment).where(Payment.family_record_id.in_(ids)).order_by(Payment.created_at, Payment.id)
    return list(session.scalars(query))


def files(session: Session, user: Any) -> list[tuple[str, bytes]]:
    """The invoices and the receipts of the payments made, as the family downloads them."""
    from .views import town as town_of

    town = town_of()
    today = utcnow().astimezone(PARIS).date()
    found = [
        (f"factures/facture-{i.number}.pdf", invoice_pdf(i, today=today, **town))
        for i in invoices_of(session, user)
    ]
    found += [
        (f"factures/recu-{p.reference}.pdf", receipt_pdf(p, **town))
        for p in _payments(session, user)
        if p.status == PaymentStatus.PAYE
    ]
    return found


def unpaid(session: Session, user: Any) -> str | None:
    """The documented rule: an agent reviews the closure of a family with an invoice still to pay."""
    ids = record_ids(user)
    if not ids:
        return None
    numbers = list(
        session.scalars(
            select(Invoice.number)
            .where(Invoice.family_record_id.in_(ids), Invoice.status == InvoiceStatus.A_PAYER)
            .order_by(Invoice.due_on, Invoice.id)
        )
    )
    if not numbers:
        return None
    return f"Facture(s) restant à payer : {', '.join(numbers)}."


def erase(session: Session, user: Any) -> None:
    """Invoices and payments are kept; only what links them to the account is removed (flush only)."""
    ids = record_ids(user)
    payments = list(session.scalars(select(Payment).where(Payment.user_id == user.id)))
    if ids:
        payments += list(session.scalars(select(Payment).where(Payment.family_record_id.in_(ids))))
    addresses = [a for a in {user.email, *(p.email for p in payments)} if a]
    for payment in {p.id: p for p in payments}.values():
        payment.user_id, payment.email = None, None
        for callback in session.scalars(select(BankCallback).where(BankCallback.payment_id == payment.id)):
            callback.raw = _scrub(callback.raw, addresses)
    names = [n for n in {user.display_name, user.username} if n]
    if ids and names:
        invoice_ids = select(Invoice.id).where(Invoice.family_record_id.in_(ids))
        session.execute(
            update(InvoiceEvent)
            .where(InvoiceEvent.invoice_id.in_(invoice_ids), InvoiceEvent.actor.in_(names))
            .values(actor=FAMILY)
            .execution_options(synchronize_session=False)
        )
    session.flush()


def _scrub(raw: str, addresses: list[str]) -> str:
    for address in addresses:
        for form in {address, quote(address, safe=""), quote_plus(address)}:
            raw = raw.replace(form, "adresse-effacee")
    return raw


def kept() -> str:
    years = current_app.config["INVOICE_RETENTION_YEARS"]
    return _(
        "Vos factures et vos paiements sont conservés %(years)s ans (obligation comptable de la ville) : "
        "ils restent au dossier famille du service, au nom du foyer, sans lien avec votre compte.",
        years=years,
    )


for provider in (
    Provider("factures", _l("Factures"), _l("Vos factures : numéro, période, montants, statut, échéance et "
             "historique ; chaque facture est aussi en PDF dans le dossier factures/."), invoice_rows,
             files=files, erase=erase, kept=kept, needs_review=unpaid, order=50),
    Provider("lignes_de_factures", _l("Lignes des factures"),
             _l("Le détail de chaque facture : enfant, activité, quantité, prix unitaire, montant."),
             line_rows, order=51),
    Provider("paiements", _l("Paiements"), _l("Vos paiements en ligne : référence, factures payées, montant, "
             "statut, dates ; le reçu de chaque paiement accepté est dans le dossier factures/."),
             payment_rows, order=52),
):  # fmt: skip
    register(provider)
