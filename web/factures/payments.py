"""Online payment: the attempt created on the server, the bank's answers stored then applied exactly once.

1. `start`: the family chose invoices; the amount is their total read from the database (never from the
   form); a `Payment` « en attente » is written with an HMAC of what it pays, then the bank is asked.
2. `handle`: every return (the family's browser) and notification (the bank's server) is stored raw in
   `bank_callback` and committed at once in its own unit of work (kept even if the request fails later),
   then read by the backend (its verdict stored too), then checked: signed by the backend, a transaction
   we know, our HMAC intact, the amount the bank reports equal to ours.
3. `_decide`: the payment leaves « en attente » through one conditional UPDATE: of a replayed callback, a
   return racing the notification, only one moves it; the others are recorded as such.
4. `_settle`: each invoice is settled by inserting its `invoice_settlement` row (primary key: the invoice)
   in a savepoint: a second payment of the same invoice (two tabs) cannot settle it; it is flagged « à
   rembourser » for an agent. Then the receipt is written to the outbox (sent after the commit).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.accounts.models import User
from web.core import transaction
from web.core.audit import Event, audit
from web.core.i18n import _
from web.core.mail import queue_mail

from . import gateway
from .labels import status_label
from .models import (
    BankCallback,
    Invoice,
    InvoiceSettlement,
    InvoiceStatus,
    Payment,
    PaymentItem,
    PaymentStatus,
)
from .money import euros_fr, lazy_euros
from .services import InvoiceError, add_event, invoice_for_family

log = logging.getLogger(__name__)
ONLINE = "paiement en ligne"


def new_reference() -> str:
    """« P20261207A1B2C3D4E5F6 »: letters and digits only (TIPI's `refdet`: 6 to 30 of them), unguessable."""
    day = utcnow().strftime("%Y%m%d")
    return f"P{day}{secrets.token_hex(6).upper()}"


def signature(payment: Payment) -> str:
    """HMAC of what the payment pays: checked again before anything is applied."""
    items = ",".join(
        f"{i.invoice_id}:{i.amount_cents}" for i in sorted(payment.items, key=lambda i: i.invoice_id)
    )
    message = "|".join(
        (
            "paiement",
            payment.reference,
            str(payment.amount_cents),
            str(payment.family_record_id),
            items,
            payment.backend,
        )
    )
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Started:
    payment: Payment
    kind: int  # eopayment.URL, FORM or HTML
    data: str


def start(session: Session, user: Any, invoice_ids: list[int]) -> Started:
    """Create the attempt for the user's chosen invoices. NotFound (a 404) for an invoice not theirs;
    InvoiceError (French) for one that cannot be paid; gateway.PaymentUnavailable if the bank is down."""
    ids = sorted(set(invoice_ids))
    if not ids:
        raise InvoiceError(_("Cochez au moins une facture à payer."))
    invoices = [invoice_for_family(session, user, invoice_id) for invoice_id in ids]
    for invoice in invoices:
        if not invoice.payable:
            raise InvoiceError(
                _(
                    "La facture %(number)s est %(status)s : elle n'est plus à payer.",
                    number=invoice.number,
                    status=status_label(invoice.status),
                )
            )
    if len({i.family_record_id for i in invoices}) > 1:
        raise InvoiceError(_("Payez séparément les factures de chacun de vos dossiers famille."))
    payment = Payment(
        reference=new_reference(),
        family_record_id=invoices[0].family_record_id,
        user_id=user.id,
        email=user.email,
        backend=gateway.kind(),
        amount_cents=sum(i.total_cents for i in invoices),
        signature="",
        status=PaymentStatus.EN_ATTENTE,
    )
    payment.items = [PaymentItem(invoice_id=i.id, amount_cents=i.total_cents) for i in invoices]
    session.add(payment)
    session.flush()
    payment.signature = signature(payment)
    try:
        transaction_id, kind, data = gateway.request(
            payment.amount_cents, reference=payment.reference, email=user.email
        )
    except gateway.PaymentUnavailable as error:  # the attempt stays on record, closed
        payment.status, payment.decided_at = PaymentStatus.ANNULE, utcnow()
        payment.bank_status = str(error)[:200]
        session.flush()
        raise
    payment.bank_transaction_id = str(transaction_id)[:100]
    for invoice in invoices:
        add_event(invoice, f"Paiement en ligne commencé (paiement {payment.reference}).", user.display_name)
    session.flush()
    log.info("Payment %s started: %s cents, %d invoice(s)", payment.reference, payment.amount_cents, len(ids))
    return Started(payment, kind, data)


@dataclass(frozen=True)
class Handled:
    callback: BankCallback
    payment: Payment | None
    ok: bool  # the answer was authentic and known (applied now, or already)
    body: str  # what to answer the bank


#: What a stored answer says until the request that received it commits (web/factures/bank.py): if that
#: commit fails, it stays so (the bank's answer was received, nothing was applied; the bank sends it again).
INTERRUPTED = (
    "Reçue, traitement interrompu avant d'être enregistré : rien n'a été appliqué par cette réponse."
)


def store_raw(raw: str, *, via: str, method: str, remote_addr: str | None) -> int:
    """Keep the bank's answer as it arrived, committed at once in its own unit of work: whatever happens
    to the request next (its commit fails, the process dies), the raw answer stays on record."""
    with transaction.separate_unit_of_work() as own:
        callback = BankCallback(
            via=via,
            method=method,
            backend=gateway.kind(),
            raw=raw[:20_000],
            remote_addr=remote_addr,
            outcome=INTERRUPTED,
        )
        own.add(callback)
        own.flush()
        return callback.id


def handle(session: Session, raw: str, *, via: str, method: str, remote_addr: str | None) -> Handled:
    """Store (committed at once), read, check, then apply one answer of the bank. Flush only: the caller
    commits, then answers. Call it before the request's session wrote anything (SQLite's write lock)."""
    callback_id = store_raw(raw, via=via, method=method, remote_addr=remote_addr)
    callback = session.get_one(BankCallback, callback_id)  # committed just above
    try:
        verdict = gateway.read(raw)
    except (ValueError, gateway.PaymentUnavailable) as exc:
        return _refuse(session, callback, None, f"Réponse refusée : {exc}")
    callback.result = verdict.result_label
    callback.signed = verdict.signed
    callback.transaction_id = verdict.transaction_id
    callback.bank_status = verdict.bank_status
    session.flush()  # the backend's verdict, stored before it is acted on
    payment = _payment_of(session, verdict)
    if payment is None:
        return _refuse(session, callback, None, "Transaction inconnue : rien n'est payé.")
    callback.payment_id = payment.id
    problem = _check(payment, verdict)
    if problem:
        payment.flag(f"Réponse de la banque rejetée ({via}, {utcnow():%d/%m/%Y %H:%M} UTC) : {problem}")
        return _refuse(session, callback, payment, f"Réponse rejetée : {problem}")
    callback.accepted = True
    callback.outcome = _decide(session, payment, verdict)
    session.flush()
    return Handled(callback, payment, True, verdict.return_content or "OK")


def _audit(session: Session, payment: Payment | None, result: str, **details: Any) -> None:
    """One row of the security log per decision on a payment: amounts and references, never the bank's
    raw answer, a card number or a signature."""
    target = f"paiement {payment.reference}" if payment is not None else "paiement inconnu"
    if payment is not None:
        details = {"montant": euros_fr(payment.amount_cents), "factures": len(payment.items), **details}
    audit(Event.PAYMENT, target=target, details={"resultat": result, **details}, session=session)


def _refuse(session: Session, callback: BankCallback, payment: Payment | None, outcome: str) -> Handled:
    callback.outcome = outcome
    session.flush()
    _audit(session, payment, "réponse rejetée", motif=outcome, via=callback.via, reponse=callback.id)
    log.warning("Bank answer %s refused: %s", callback.id, outcome)
    return Handled(callback, payment, False, "REFUSE")


def _payment_of(session: Session, verdict: gateway.Verdict) -> Payment | None:
    if verdict.transaction_id:
        found = session.scalars(
            select(Payment).where(
                Payment.backend == gateway.kind(), Payment.bank_transaction_id == verdict.transaction_id
            )
        ).first()
        if found is not None:
            return found
    if verdict.order_id:
        return session.scalars(
            select(Payment).where(Payment.backend == gateway.kind(), Payment.reference == verdict.order_id)
        ).first()
    return None


def _check(payment: Payment, verdict: gateway.Verdict) -> str | None:
    """Why an answer cannot be trusted, or None."""
    if not verdict.signed:
        return "signature absente ou invalide."
    if not hmac.compare_digest(payment.signature, signature(payment)):
        return "le paiement enregistré ne correspond plus à sa signature (montant ou factures modifiés)."
    if verdict.amount_cents is not None and verdict.amount_cents != payment.amount_cents:
        return (
            f"montant annoncé par la banque ({_cents(verdict.amount_cents)}) différent du montant demandé "
            f"({euros_fr(payment.amount_cents)})."
        )
    if verdict.amount_cents is None and payment.backend in gateway.UNAUTHENTICATED:
        return "la réponse n'indique pas le montant payé : elle ne peut pas être vérifiée."
    return None


def _cents(value: int) -> str:
    return euros_fr(value) if value >= 0 else "illisible"


def _decide(session: Session, payment: Payment, verdict: gateway.Verdict) -> str:
    if verdict.status == PaymentStatus.EN_ATTENTE:
        return "La banque indique un paiement en cours : rien n'est encore appliqué."
    moved = session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == PaymentStatus.EN_ATTENTE)
        .values(status=verdict.status, decided_at=utcnow(), bank_status=verdict.bank_status)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(payment)
    if not moved:
        if payment.status == verdict.status:
            return (
                f"Déjà traité (paiement {payment.status}) : réponse rejouée, "
                "rien n'est appliqué une seconde fois."
            )
        payment.flag(
            f"La banque indique maintenant « {verdict.result_label} » pour un paiement déjà {payment.status}."
        )
        _audit(session, payment, "signalé", motif=f"contradiction : banque {verdict.result_label}")
        return f"Contradiction : le paiement est déjà {payment.status} ; signalé aux agents des finances."
    if verdict.status != PaymentStatus.PAYE:
        for item in payment.items:
            add_event(item.invoice, f"Paiement en ligne {payment.reference} {payment.status}.", ONLINE)
        _audit(session, payment, "refusé", statut=payment.status, banque=payment.bank_status or "")
        return f"Paiement {payment.status} par la banque : aucune facture n'est payée."
    return _settle(session, payment)


class _NotPayable(Exception):
    pass


def _settle(session: Session, payment: Payment) -> str:
    settled, refused = [], []
    for item in payment.items:
        try:
            with session.begin_nested():
                session.add(InvoiceSettlement(invoice_id=item.invoice_id, payment_id=payment.id))
                session.flush()
                done = session.execute(
                    update(Invoice)
                    .where(Invoice.id == item.invoice_id, Invoice.status == InvoiceStatus.A_PAYER)
                    .values(status=InvoiceStatus.PAYEE, paid_at=utcnow())
                    .execution_options(synchronize_session=False)
                ).rowcount
                if not done:
                    raise _NotPayable
        except (IntegrityError, _NotPayable):
            refused.append(item)
            continue
        settled.append(item)
    for item in payment.items:
        session.refresh(item.invoice)
    for item in settled:
        add_event(
            item.invoice,
            f"Payée en ligne : {euros_fr(item.amount_cents)} (paiement {payment.reference}).",
            ONLINE,
        )
    outcome = f"Paiement appliqué : {len(settled)} facture(s) payée(s)."
    if refused:
        numbers = ", ".join(f"{i.invoice.number} ({i.invoice.status})" for i in refused)
        amount = euros_fr(sum(i.amount_cents for i in refused))
        payment.flag(
            f"À rembourser : {amount}. Facture(s) déjà payée(s) ou annulée(s) par ailleurs : {numbers}."
        )
        for item in refused:
            add_event(
                item.invoice,
                f"Paiement {payment.reference} reçu en double : {euros_fr(item.amount_cents)} à rembourser.",
                ONLINE,
            )
        outcome += f" En double, à rembourser : {amount} ({numbers})."
    if payment.backend == "tipi":
        payment.flag("TIPI : réponse non authentifiée par la banque ; à rapprocher du relevé de la DGFiP.")
    session.flush()
    _audit(
        session,
        payment,
        "signalé" if payment.needs_review else "appliqué",
        payees=len(settled),
        a_rembourser=euros_fr(sum(i.amount_cents for i in refused)) if refused else "",
        motif=payment.review_reason or "",
    )
    if settled and payment.email:
        _queue_receipt(session, payment, [i.invoice for i in settled])
    log.info("Payment %s applied: %d settled, %d refused", payment.reference, len(settled), len(refused))
    return outcome


def _queue_receipt(session: Session, payment: Payment, invoices: list[Invoice]) -> None:
    payer = session.get(User, payment.user_id) if payment.user_id is not None else None
    queue_mail(
        session,
        "recu_paiement",
        payment.email or "",
        language=getattr(payer, "langue", None) or "fr",  # the payer's language (none: French)
        payment=payment,
        invoices=invoices,
        amount=lazy_euros(payment.amount_cents),
        when=payment.decided_at,
    )
