"""What the pages show for the statuses stored in French (codes of the database, never translated
themselves) and for an invoice's period, in the request's language; given to every template of the
area (`status_label`, `period`, `euros`)."""

from __future__ import annotations

from typing import Any

from web.core.i18n import _l

from . import bp
from .money import euros, period_label

STATUS_LABELS = {
    "à payer": _l("à payer"),
    "en retard": _l("en retard"),
    "payée": _l("payée"),
    "annulée": _l("annulée"),
    "en attente": _l("en attente"),
    "payé": _l("payé"),
    "refusé": _l("refusé"),
    "annulé": _l("annulé"),
    # Where an invoice comes from, and by which way a bank's answer came (codes too).
    "agent": _l("agent"),
    "import": _l("import"),
    "démarche": _l("démarche"),
    "retour": _l("retour"),
    "notification": _l("notification"),
}


def status_label(status: Any) -> str:
    """« à payer » → « to pay » on an English page; an unknown value is shown as it is."""
    return str(STATUS_LABELS.get(str(status), status))


def period(invoice: Any) -> str:
    """The invoice's period in the request's language (the stored `period_label` is French)."""
    if invoice.period_start and invoice.period_end:
        return period_label(invoice.period_start, invoice.period_end)
    return str(invoice.period_label)


@bp.context_processor
def factures_helpers() -> dict[str, Any]:
    return {"status_label": status_label, "period": period, "euros": euros}
