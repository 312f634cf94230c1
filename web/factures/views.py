"""« Mes factures » for the families: the invoices (to pay first), their PDF, « Payer » one or several,
the payment history and its receipts. Another family's invoice or payment is a 404."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import eopayment
from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.db import utcnow
from web.core.access import family_required
from web.core.i18n import _
from web.core.presentation import PARIS
from web.core.security import CSP
from web.extensions import db

from . import bp, gateway
from .money import euros
from .pdf import invoice_pdf, receipt_pdf
from .services import (
    InvoiceError,
    NotFound,
    invoice_for_family,
    invoices_of,
    payment_for_family,
    payments_of,
    summary_of,
    years_of,
)


def today() -> Any:
    return utcnow().astimezone(PARIS).date()


def _year_arg() -> tuple[int | None, str | None]:
    text = request.args.get("annee", "").strip()
    if not text:
        return None, None
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        return None, _(
            "L'année « %(year)s » n'est pas valable : choisissez une année dans la liste.", year=text[:20]
        )
    return int(text), None


@bp.get("/factures")
@family_required
def my_invoices() -> tuple[str, int]:
    session = db.session()
    year, error = _year_arg()
    invoices = invoices_of(session, current_user, year)
    day = today()
    return render_template(
        "factures/mes_factures.html",
        to_pay=[i for i in invoices if i.status == "à payer"],
        others=[i for i in invoices if i.status != "à payer"],
        years=years_of(session, current_user),
        year=year,
        error=error,
        summary=summary_of(session, current_user, day),
        today=day,
        euros=euros,
        online=bool(current_app.config["PAYMENT_BACKEND"]),
    ), (400 if error else 200)


def _invoice_or_404(invoice_id: int) -> Any:
    try:
        return invoice_for_family(db.session(), current_user, invoice_id)
    except NotFound:
        abort(404)


@bp.get("/factures/<int:invoice_id>")
@family_required
def invoice(invoice_id: int) -> str:
    found = _invoice_or_404(invoice_id)
    return render_template("factures/facture.html", invoice=found, today=today(), euros=euros)


def _pdf(content: bytes, filename: str) -> Response:
    return Response(
        content,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


def town() -> dict[str, str]:
    config = current_app.config
    return {
        "town": config["TOWN_NAME"],
        "issuer": config["INVOICE_ISSUER"],
        "contact": config["CONTACT_EMAIL"],
    }


@bp.get("/factures/<int:invoice_id>/pdf")
@family_required
def invoice_file(invoice_id: int) -> Response:
    found = _invoice_or_404(invoice_id)
    return _pdf(invoice_pdf(found, today=today(), **town()), f"facture-{found.number}.pdf")


@bp.post("/factures/payer")
@family_required
def pay() -> Any:
    """« Payer »: the invoices ticked (or the one of the button); the amount is computed here."""
    from . import payments

    raw = request.form.getlist("facture")
    if not raw:
        flash(_("Cochez au moins une facture à payer."), "error")
        return redirect(url_for("factures.my_invoices"))
    if not all(value.isdigit() and len(value) < 12 for value in raw):
        abort(404)  # a forged invoice id: as for an invoice of another family
    session = db.session()
    try:
        started = payments.start(session, current_user, [int(v) for v in raw])
    except NotFound:
        abort(404)
    except (InvoiceError, gateway.PaymentUnavailable) as error:
        flash(str(error), "error")
        return redirect(url_for("factures.my_invoices"))
    return _to_the_bank(started)


def _to_the_bank(started: Any) -> Any:
    """To the bank's page. Our CSP says `form-action 'self'`, which Chromium also applies to the redirect
    that follows a form: so a redirect only to this site (the simulator); for another site a page with
    a link (URL backends) or with the bank's form, whose CSP allows that one bank (FORM backends)."""
    if started.kind == eopayment.URL and urlsplit(started.data).netloc in ("", request.host):
        return redirect(started.data)
    page = render_template("factures/vers_la_banque.html", started=started, euros=euros, kinds=eopayment)
    response = make_response(page)
    if started.kind == eopayment.FORM:
        bank = urlsplit(started.data.url)
        response.headers["Content-Security-Policy"] = CSP.replace(
            "form-action 'self'", f"form-action 'self' {bank.scheme}://{bank.netloc}"
        )
    return response


@bp.get("/factures/paiements")
@family_required
def my_payments() -> str:
    return render_template(
        "factures/mes_paiements.html", payments=payments_of(db.session(), current_user), euros=euros
    )


def _payment_or_404(payment_id: int) -> Any:
    try:
        return payment_for_family(db.session(), current_user, payment_id)
    except NotFound:
        abort(404)


@bp.get("/factures/paiements/<int:payment_id>")
@family_required
def payment(payment_id: int) -> str:
    found = _payment_or_404(payment_id)
    return render_template("factures/paiement.html", payment=found, euros=euros)


@bp.get("/factures/paiements/<int:payment_id>/recu.pdf")
@family_required
def receipt_file(payment_id: int) -> Response:
    found = _payment_or_404(payment_id)
    if found.status != "payé":
        abort(404)
    return _pdf(receipt_pdf(found, **town()), f"recu-{found.reference}.pdf")
