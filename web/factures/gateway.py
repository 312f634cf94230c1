"""The one place that talks to eopayment (Entr'ouvert, 3.15): the configured backend, a payment request,
the bank's answer read into a `Verdict`.

Facts that shape it (../shared/FACTS.md §4):
- the `dummy` backend builds its URL from the module constant `SERVICE_URL` and ignores the option
  `dummy_service_url`: with the simulator on, the constant is pointed at Guichet's own simulator page;
  `dummy` has no cryptography at all (`signed` is the mere presence of the word), so it is refused in
  production;
- `tipi` reports every answer as signed: its answers are never trusted alone (see `UNAUTHENTICATED`);
- `payfip_ws` asks the treasury's web service for the real state (server to server): safe as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import eopayment
from eopayment import dummy as eopayment_dummy
from flask import current_app, url_for

from web.core.i18n import _

from .models import PaymentStatus
from .money import decimal_euros

#: Backends whose answers eopayment authenticates itself (a signature checked with the merchant's key,
#: or the state asked to the bank's web service). The others are confirmed another way.
AUTHENTICATED = frozenset(
    {
        "payfip_ws",
        "systempayv2",
        "payzen",
        "sips2",
        "ogone",
        "paybox",
        "mollie",
        "keyware",
        "saga",
        "worldline",
    }
)
#: TIPI: eopayment says « signed » for any answer. A payment is applied only when the answer matches
#: our transaction on reference and amount (the reference carries our HMAC), and is flagged « à rapprocher »
#: for an agent, who checks it on the treasury's statement. `dummy`: development and tests only.
UNAUTHENTICATED = frozenset({"tipi", "dummy"})


class PaymentUnavailable(Exception):
    """The bank could not be reached or refused the request; the message is French."""


@dataclass(frozen=True)
class Verdict:
    """What the backend says of an answer, before Guichet acts on it."""

    status: PaymentStatus
    result_label: str
    signed: bool
    transaction_id: str | None
    order_id: str | None
    bank_status: str | None
    amount_cents: int | None  # as reported by the bank, when its answer says it
    return_content: str | None


RESULTS = {
    eopayment.PAID: ("payé", PaymentStatus.PAYE),
    eopayment.ACCEPTED: ("payé", PaymentStatus.PAYE),
    eopayment.DENIED: ("refusé", PaymentStatus.REFUSE),
    eopayment.CANCELLED: ("annulé", PaymentStatus.ANNULE),
    eopayment.EXPIRED: ("expiré", PaymentStatus.ANNULE),
    eopayment.WAITING: ("en attente", PaymentStatus.EN_ATTENTE),
    eopayment.RECEIVED: ("en attente", PaymentStatus.EN_ATTENTE),
    eopayment.ERROR: ("refusé", PaymentStatus.REFUSE),
}


def kind() -> str:
    return str(current_app.config["PAYMENT_BACKEND"])


def simulator_on() -> bool:
    return kind() == "dummy" and bool(current_app.config["PAYMENT_SIMULATOR"])


def _backend() -> eopayment.Payment:
    config = current_app.config
    if kind() == "dummy" and config["ENV"] == "production":
        raise PaymentUnavailable(
            _(
                "Le paiement en ligne n'est pas configuré (le module de test est refusé en production). "
                "Payez auprès de la régie ou réessayez plus tard."
            )
        )
    base = config["BASE_URL"].rstrip("/")
    options: dict[str, Any] = dict(config["PAYMENT_OPTIONS"] or {})
    options.setdefault("normal_return_url", base + url_for("factures.bank_return"))
    options.setdefault("automatic_return_url", base + url_for("factures.bank_notification"))
    if kind() == "dummy":
        options["consider_all_response_signed"] = False
        options.setdefault("origin", config["TOWN_NAME"])
        if simulator_on():  # eopayment 3.15 ignores `dummy_service_url`: the module constant decides
            # The address the family's browser used (development only: the simulator is off in production).
            eopayment_dummy.SERVICE_URL = url_for("factures.simulator", _external=True)
    return eopayment.Payment(kind(), options)


def request(amount_cents: int, *, reference: str, email: str | None) -> tuple[str, int, str]:
    """(bank transaction id, eopayment.URL / FORM / HTML, the URL or the form)."""
    backend = _backend()
    try:
        return backend.request(Decimal(decimal_euros(amount_cents)), email=email, orderid=reference)
    except Exception as exc:  # network, SOAP or configuration error of the backend
        current_app.logger.warning("Payment request refused by %s: %s", kind(), exc)
        raise PaymentUnavailable(
            _("Le service de paiement ne répond pas pour le moment : rien n'a été payé. Réessayez plus tard.")
        ) from exc


def read(raw: str) -> Verdict:
    """The backend's verdict on an answer (query string or form body). ValueError when unreadable."""
    try:
        response = _backend().response(raw)
    except PaymentUnavailable:
        raise
    except Exception as exc:
        raise ValueError(f"réponse illisible pour le module {kind()} : {exc}") from exc
    label, status = RESULTS.get(response.result, ("refusé", PaymentStatus.REFUSE))
    bank_status = _first(response.bank_status)
    if kind() == "dummy" and status == PaymentStatus.REFUSE and bank_status == "annulation":
        label, status = "annulé", PaymentStatus.ANNULE
    return Verdict(
        status=status,
        result_label=label,
        signed=bool(response.signed),
        transaction_id=_first(response.transaction_id),
        order_id=_first(response.order_id),
        bank_status=bank_status,
        amount_cents=reported_cents(response.bank_data or {}),
        return_content=response.return_content,
    )


def _first(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return None if value in (None, "") else str(value)[:200]


def reported_cents(bank_data: dict[str, Any]) -> int | None:
    """The amount the bank says was paid: `amount` in euros (dummy), `montant` or `vads_amount` in cents."""
    try:
        if (euros := _first(bank_data.get("amount"))) is not None:
            return int((Decimal(euros) * 100).to_integral_exact())
        for key in ("montant", "vads_amount"):
            if (cents := _first(bank_data.get(key))) is not None:
                return int(cents)
    except (InvalidOperation, ValueError, ArithmeticError):
        return -1  # unreadable: never equal to an amount we asked for
    return None
