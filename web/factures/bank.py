"""The bank's side: the family's return, the server-to-server notification, and (development only) the
bank simulator served by Guichet itself, so that a newcomer pays in `make run`.

Return and notification do not rely on the session (the bank's server has none; a bank may POST the
return from its own site, without our cookies); both go through `payments.handle`, which stores the raw
answer first. The answer to the bank is sent after the request's one commit (web/core/transaction.py):
if the commit fails the bank gets a 500 and sends the notification again, nothing is lost (the raw
answer itself was committed before, on its own: tests/integration/test_factures_crash.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from web.core.i18n import _
from web.core.transaction import keep_writes
from web.extensions import csrf, db

from . import bp, gateway
from .models import Payment, PaymentStatus
from .money import euros

MAX_ANSWER = 20_000


def _raw_answer() -> str:
    """The bank's answer as eopayment reads it: the query string of a GET, the form body of a POST."""
    if request.method == "POST":
        body = request.get_data(cache=True, as_text=True)[:MAX_ANSWER]
        return body or request.query_string.decode("latin-1")[:MAX_ANSWER]
    return request.query_string.decode("latin-1")[:MAX_ANSWER]


def _handle(via: str) -> Any:
    from . import payments

    raw = _raw_answer()
    if not raw.strip():
        return None
    keep_writes(f"bank {via}: the raw answer and its verdict are kept whatever is answered")
    return payments.handle(db.session(), raw, via=via, method=request.method, remote_addr=request.remote_addr)


@bp.route("/factures/paiement/notification", methods=["GET", "POST"])
@csrf.exempt
def bank_notification() -> Response:
    """Server to server: « OK » (or the backend's own answer) once stored and applied, else a 400."""
    handled = _handle("notification")
    if handled is None:
        return Response("Réponse vide.", status=400, mimetype="text/plain")
    return Response(handled.body, status=200 if handled.ok else 400, mimetype="text/plain")


@bp.route("/factures/paiement/retour", methods=["GET", "POST"])
@csrf.exempt
def bank_return() -> Any:
    """The family's browser back from the bank: the answer is handled as a notification would be, then
    the family sees its payment (if logged in as its owner) or a page that says what to do."""
    handled = _handle("retour")
    if handled is None:
        abort(404)
    payment = handled.payment
    owner = (
        payment is not None
        and current_user.is_authenticated
        and not current_user.is_staff
        and payment.family_record_id in [r.id for r in current_user.family_records]
    )
    if owner and payment is not None:
        _flash_outcome(payment, handled.ok)
        return redirect(url_for("factures.payment", payment_id=payment.id))
    return render_template("factures/retour.html", ok=handled.ok), (200 if handled.ok else 400)


def _flash_outcome(payment: Payment, ok: bool) -> None:
    if not ok:
        flash(
            _(
                "La réponse de la banque n'a pas pu être vérifiée : rien n'est payé par cette réponse. "
                "Le service des finances est prévenu."
            ),
            "error",
        )
    elif payment.status == PaymentStatus.PAYE:
        flash(
            _(
                "Paiement de %(amount)s accepté. Merci ! Un reçu vous est envoyé par courriel.",
                amount=euros(payment.amount_cents),
            ),
            "success",
        )
    elif payment.status == PaymentStatus.ANNULE:
        flash(_("Paiement annulé : rien n'a été payé. Vos factures restent à payer."), "info")
    elif payment.status == PaymentStatus.REFUSE:
        flash(_("Paiement refusé par la banque : rien n'a été payé. Vos factures restent à payer."), "error")
    else:
        flash(_("Votre paiement est en cours de traitement par la banque."), "info")


# --- The bank simulator (development: `dummy` backend with PAYMENT_SIMULATOR on) -------------------

SIMULATED = {"payer": ("ok", ""), "refuser": ("", "refus"), "annuler": ("", "annulation")}


@bp.route("/factures/banque-simulee", methods=["GET", "POST"])
def simulator() -> Any:
    """A fake bank page: « Payer », « Refuser », « Annuler ». On a choice it notifies Guichet as the bank's
    server would (the same handler, in this request), then sends the browser to the return page."""
    if not gateway.simulator_on():
        abort(404)
    source = request.form if request.method == "POST" else request.args
    asked = {
        key: source.get(key, "")[:200] for key in ("transaction_id", "amount", "orderid", "origin", "email")
    }
    if not asked["transaction_id"]:
        abort(404)
    if request.method == "GET":
        return render_template("factures/banque_simulee.html", asked=asked)
    choice = request.form.get("choix", "")
    if choice not in SIMULATED:
        abort(400)
    ok, reason = SIMULATED[choice]
    answer = {"transaction_id": asked["transaction_id"], "amount": asked["amount"], "signed": "1"}
    if ok:
        answer["ok"] = "1"
    if reason:
        answer["reason"] = reason
    query = urlencode(answer)
    from . import payments

    payments.handle(db.session(), query, via="notification", method="POST", remote_addr="simulateur")
    current_app.logger.info("Bank simulator: %s for %s", choice, asked["transaction_id"])
    return redirect(url_for("factures.bank_return") + "?" + query)
