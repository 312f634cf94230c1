"""« Factures et paiements » for the agents of the finance service (group FINANCES_GROUP): invoices and
payments with filters, CSV and ODS exports, payments awaiting an agent, cancelling an invoice with a
reason, the daily reconciliation report, the CSV import of invoices."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import wraps
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from engine.db import utcnow
from web.core.audit import Event, audit
from web.core.i18n import _, _l
from web.core.spreadsheets import download, local, stream_csv, stream_ods
from web.extensions import db

from . import bp
from .labels import period, status_label
from .models import Invoice, InvoiceStatus, Payment, PaymentStatus
from .money import euros, euros_fr
from .report import daily_report
from .services import InvoiceError, cancel_invoice, may_manage_finances, search_invoices, search_payments
from .views import today

# The exports' headers and statuses in the agent's language (the values themselves are data).
INVOICE_HEADERS = (
    _l("Numéro"),
    _l("Famille"),
    _l("N° de dossier"),
    _l("Période"),
    _l("Émise le"),
    _l("Échéance"),
    _l("Montant (€)"),
    _l("Statut"),
    _l("Payée le"),
)
PAYMENT_HEADERS = (
    _l("Paiement"),
    _l("Famille"),
    _l("Module"),
    _l("Transaction bancaire"),
    _l("Montant (€)"),
    _l("Statut"),
    _l("Commencé le"),
    _l("Réponse le"),
    _l("À vérifier"),
)


def _headers(headers: tuple[Any, ...]) -> list[str]:
    return [str(header) for header in headers]


def finances_required(view: Any) -> Any:
    """Agents of the finance service only: families and other agents get a 403."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not may_manage_finances(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _invoice_filters() -> dict[str, Any]:
    status = request.args.get("statut", "")
    if status not in ("", "en retard", *InvoiceStatus):
        status = ""
    year_text = request.args.get("annee", "")
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else None
    return {"status": status, "year": year, "text": request.args.get("q", "")[:100]}


@bp.get("/agents/factures")
@finances_required
def agent_invoices() -> str:
    filters = _invoice_filters()
    day = today()
    invoices = search_invoices(db.session(), today=day, limit=current_app.config["PAGE_SIZE"] * 4, **filters)
    return render_template(
        "factures/agents/factures.html",
        invoices=invoices,
        filters=filters,
        statuses=["à payer", "en retard", "payée", "annulée"],
        today=day,
        euros=euros,
    )


def _euros_cell(cents: int) -> float:
    return round(cents / 100, 2)  # a number cell in the spreadsheet (display only; never computed on)


@bp.get("/agents/factures/export.<fmt>")
@finances_required
def export_invoices(fmt: str) -> Response:
    if fmt not in ("csv", "ods"):
        abort(404)
    filters = _invoice_filters()
    day = today()
    invoices = search_invoices(db.session(), today=day, limit=100_000, **filters)

    def rows() -> Iterator[list[Any]]:
        for i in invoices:
            yield [
                i.number,
                i.record.name,
                i.record.external_id or "",
                period(i),
                i.issued_on.strftime("%d/%m/%Y"),
                i.due_on.strftime("%d/%m/%Y"),
                _euros_cell(i.total_cents),
                status_label(i.shown_status(day)),
                local(i.paid_at),
            ]

    name = f"factures-{day:%Y-%m-%d}"
    table = list(rows())  # read now: the request's session is closed before a streamed body ends
    chunks = (
        stream_csv(_headers(INVOICE_HEADERS), table)
        if fmt == "csv"
        else stream_ods(_("Factures"), _headers(INVOICE_HEADERS), table)
    )
    return download(chunks, name, fmt)


def _invoice_or_404(invoice_id: int) -> Invoice:
    return db.session.get(Invoice, invoice_id) or abort(404)


@bp.route("/agents/factures/<int:invoice_id>", methods=["GET", "POST"])
@finances_required
def agent_invoice(invoice_id: int) -> Any:
    """An invoice, its lines, its payments and timeline; « Annuler la facture » with a reason."""
    from forms.factures import CancelInvoiceForm

    invoice = _invoice_or_404(invoice_id)
    form = CancelInvoiceForm()
    status = 200
    if form.validate_on_submit():
        try:
            cancel_invoice(db.session(), invoice, form.motif.data, actor=current_user.display_name)
        except InvoiceError as error:
            form.motif.errors.append(str(error))
            status = 409
        else:
            audit(
                Event.INVOICE_CANCELLED,
                target=f"facture {invoice.number}",
                details={"montant": euros_fr(invoice.total_cents), "motif": form.motif.data},
            )
            flash(_("Facture %(number)s annulée.", number=invoice.number), "success")
            return redirect(url_for("factures.agent_invoice", invoice_id=invoice.id))
    elif form.errors:
        status = 400
    payments = sorted({item.payment for item in _items_of(invoice)}, key=lambda p: p.id)
    return render_template(
        "factures/agents/facture.html",
        invoice=invoice,
        form=form,
        payments=payments,
        today=today(),
        euros=euros,
    ), status


def _items_of(invoice: Invoice) -> list[Any]:
    from sqlalchemy import select

    from .models import PaymentItem

    return list(db.session.scalars(select(PaymentItem).where(PaymentItem.invoice_id == invoice.id)))


def _payment_filters() -> dict[str, Any]:
    status = request.args.get("statut", "")
    if status not in ("", *PaymentStatus):
        status = ""
    return {"status": status, "review": request.args.get("a_verifier") == "1"}


@bp.get("/agents/paiements")
@finances_required
def agent_payments() -> str:
    filters = _payment_filters()
    payments = search_payments(db.session(), limit=current_app.config["PAGE_SIZE"] * 4, **filters)
    return render_template(
        "factures/agents/paiements.html",
        payments=payments,
        filters=filters,
        statuses=list(PaymentStatus),
        euros=euros,
    )


def _payment_rows(payments: list[Payment]) -> Iterator[list[Any]]:
    for p in payments:
        yield [
            p.reference,
            p.record.name,
            p.backend,
            p.bank_transaction_id or "",
            _euros_cell(p.amount_cents),
            status_label(p.status),
            local(p.created_at),
            local(p.decided_at),
            _("oui") if p.needs_review and not p.reviewed_at else "",
        ]


@bp.get("/agents/paiements/export.<fmt>")
@finances_required
def export_payments(fmt: str) -> Response:
    if fmt not in ("csv", "ods"):
        abort(404)
    payments = search_payments(db.session(), limit=100_000, **_payment_filters())
    rows = list(_payment_rows(payments))
    name = f"paiements-{today():%Y-%m-%d}"
    chunks = (
        stream_csv(_headers(PAYMENT_HEADERS), rows)
        if fmt == "csv"
        else stream_ods(_("Paiements"), _headers(PAYMENT_HEADERS), rows)
    )
    return download(chunks, name, fmt)


@bp.route("/agents/paiements/<int:payment_id>", methods=["GET", "POST"])
@finances_required
def agent_payment(payment_id: int) -> Any:
    """A payment, every answer of the bank (raw, verdict, what Guichet did); « Marquer comme traité »."""
    from forms.factures import ReviewPaymentForm

    payment = db.session.get(Payment, payment_id) or abort(404)
    form = ReviewPaymentForm()
    if payment.needs_review and not payment.reviewed_at and form.validate_on_submit():
        payment.reviewed_at = utcnow()
        payment.reviewed_by = current_user.display_name
        payment.review_note = form.note.data
        db.session.flush()
        flash(_("Paiement %(reference)s marqué comme traité.", reference=payment.reference), "success")
        return redirect(url_for("factures.agent_payment", payment_id=payment.id))
    status = 400 if form.errors else 200
    return render_template("factures/agents/paiement.html", payment=payment, form=form, euros=euros), status


def _day_arg() -> tuple[date, str | None]:
    text = request.args.get("jour", "")
    if not text:
        return today(), None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return today(), _(
            "La date « %(day)s » n'est pas valable : choisissez un jour dans le calendrier.", day=text[:20]
        )


@bp.get("/agents/factures/rapprochement")
@finances_required
def reconciliation() -> Any:
    day, error = _day_arg()
    report = daily_report(db.session(), day)
    if request.args.get("format") in ("csv", "ods") and not error:
        fmt = request.args["format"]
        rows = list(_payment_rows(report.paid + report.refused))
        name = f"rapprochement-{day:%Y-%m-%d}"
        chunks = (
            stream_csv(_headers(PAYMENT_HEADERS), rows)
            if fmt == "csv"
            else stream_ods(_("Rapprochement"), _headers(PAYMENT_HEADERS), rows)
        )
        return download(chunks, name, fmt)
    return render_template("factures/agents/rapprochement.html", report=report, error=error, euros=euros), (
        400 if error else 200
    )
