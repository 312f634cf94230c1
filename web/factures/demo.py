"""Demo data of « Mes factures »: invoices of the demo family MARTIN (to pay, late, paid) and one of the
BERNARD family, loaded through the CSV importer itself (so running it twice changes nothing), and the
finance agent `finances`. The dates follow today's, so that « à payer » and « en retard » stay true."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.core.presentation import PARIS

from .importer import run
from .models import Invoice, InvoiceSettlement, InvoiceStatus, Payment, PaymentItem, PaymentStatus
from .services import add_event

HEADER = (
    "facture_numero;famille_id;periode_debut;periode_fin;emission;echeance;"
    "enfant_id;activite_id;libelle;quantite;prix_unitaire"
)


def _month(today: date, back: int) -> tuple[date, date]:
    first = today.replace(day=1)
    for _ in range(back):
        first = (first - timedelta(days=1)).replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def demo_csv(today: date) -> str:
    rows = [HEADER]
    for back, number in ((3, "A"), (2, "B"), (1, "C")):
        start, end = _month(today, back)
        issued = end + timedelta(days=3)
        due = issued + timedelta(days=30)
        code = f"DEMO-{start:%Y%m}-{number}"
        cells = f"{code};F-0001;{start:%d/%m/%Y};{end:%d/%m/%Y};{issued:%d/%m/%Y};{due:%d/%m/%Y}"
        rows.append(f"{cells};E-0001;CANT-JMACE;Repas de restauration scolaire;{14 + back};3,85")
        rows.append(f"{cells};E-0001;CL-MERC;Mercredis au centre de loisirs;{2 + back};12,40")
        rows.append(f"{cells};E-0002;PERI-RABEL;Accueil périscolaire du soir;{8 + back};2,10")
    start, end = _month(today, 1)
    rows.append(
        f"DEMO-{start:%Y%m}-N;F-0002;{start:%d/%m/%Y};{end:%d/%m/%Y};{end + timedelta(days=3):%d/%m/%Y};;"
        "E-0003;SPORT-NAT;École municipale de natation (trimestre);1;95,00"
    )
    return "\n".join(rows) + "\n"


def load_invoices_demo(session: Session) -> None:
    today = utcnow().astimezone(PARIS).date()
    run(session, demo_csv(today).encode(), dry_run=False, actor="démonstration")
    oldest = f"DEMO-{_month(today, 3)[0]:%Y%m}-A"
    invoice = session.scalars(select(Invoice).where(Invoice.external_id == oldest)).first()
    if invoice is not None and invoice.status == InvoiceStatus.A_PAYER:
        _paid_by_demo(session, invoice)


def _paid_by_demo(session: Session, invoice: Invoice) -> None:
    """The oldest invoice paid online (so that « Mes paiements » shows a receipt)."""
    from .payments import new_reference, signature

    now = utcnow()
    payment = Payment(
        reference=new_reference(),
        family_record_id=invoice.family_record_id,
        email="famille@demo.example",
        backend="dummy",
        bank_transaction_id=f"demo-{invoice.number}",
        amount_cents=invoice.total_cents,
        signature="",
        status=PaymentStatus.PAYE,
        decided_at=now,
        items=[PaymentItem(invoice_id=invoice.id, amount_cents=invoice.total_cents)],
    )
    session.add(payment)
    session.flush()
    payment.signature = signature(payment)
    session.add(InvoiceSettlement(invoice_id=invoice.id, payment_id=payment.id))
    invoice.status = InvoiceStatus.PAYEE
    invoice.paid_at = now
    add_event(invoice, f"Payée en ligne (paiement {payment.reference}, démonstration).", "paiement en ligne")
    session.flush()
