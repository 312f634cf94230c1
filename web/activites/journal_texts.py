"""The texts of the bookings' journal (« Historique » on the family's page, the personal-data export).

They are stored in French, the town's record (`activity_booking_event.text`), and shown in the reader's
language: each text is written from one of the messages below, and `shown` reads a stored text back
into its message and values, then translates it. A text that matches none (older wording, demo data)
is shown as stored."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

from web.core.i18n import PARIS, _, local_date, money


def N_(text: str) -> str:  # noqa: N802 - the usual marker: extracted for translation, returned as is
    return text


#: How a place or a waiting-list ticket was given (`allocate(..., how=...)`), keyed by `how`.
PLACED = {
    "": N_("Place attribuée."),
    "tirage": N_("Place attribuée au tirage au sort (rang de tirage %(draw_rank)s)."),
    "apres_tirage": N_("Place attribuée (demande reçue après le tirage, par ordre d'arrivée)."),
    "deplace": N_("Place attribuée (déplacé depuis « %(session)s » par %(by)s)."),
}
WAITING = {
    "": N_("Inscrit sur liste d'attente, rang %(rank)s."),
    "tirage": N_(
        "Inscrit sur liste d'attente au tirage au sort (rang de tirage %(draw_rank)s), rang %(rank)s."
    ),
    "apres_tirage": N_(
        "Inscrit sur liste d'attente (demande reçue après le tirage, par ordre d'arrivée), rang %(rank)s."
    ),
    "deplace": N_("Inscrit sur liste d'attente (déplacé depuis « %(session)s » par %(by)s), rang %(rank)s."),
}
PROMOTED = N_("Place attribuée depuis la liste d'attente (une place s'est libérée).")
CANCELLED_BY_FAMILY = N_("Annulée par la famille.")
REFUSED = N_("Refusée par le service : %(reason)s")
VALIDATED = N_("Demande validée par le service (%(by)s).")
MOVED = N_("Déplacé vers « %(session)s » par %(by)s.")
AWAITS_DRAW = N_("Demande reçue pendant l'ouverture équitable : tirage au sort le %(when)s.")
ACCOUNT_CLOSED = N_("Annulée : le compte de la famille a été clôturé.")
INVOICE_PAID = N_("Facture %(number)s déjà payée : %(amount)s à rembourser.")
INVOICE_CANCELLED = N_("Facture %(number)s annulée.")
INVOICE_REPLACED = N_("Facture %(number)s annulée, remplacée par la facture %(replacement)s.")

MESSAGES = (
    *PLACED.values(),
    *WAITING.values(),
    PROMOTED,
    CANCELLED_BY_FAMILY,
    REFUSED,
    VALIDATED,
    MOVED,
    AWAITS_DRAW,
    ACCOUNT_CLOSED,
    INVOICE_PAID,
    INVOICE_REPLACED,
    INVOICE_CANCELLED,
)


def stored(message: str, **values: Any) -> str:
    """The French text kept in the journal."""
    return message % values if values else message


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for message in MESSAGES:
        parts = re.split(r"%\((\w+)\)s", message)
        regex = "".join(re.escape(part) if n % 2 == 0 else f"(?P<{part}>.+?)" for n, part in enumerate(parts))
        patterns.append((re.compile(f"^{regex}$", re.S), message))
    return patterns


def shown(text: str) -> str:
    """A stored journal text in the reader's language (as stored when it is none of the messages)."""
    for pattern, message in _patterns():
        found = pattern.match(text)
        if found is not None:
            return _(message, **{name: _value(name, value) for name, value in found.groupdict().items()})
    return text


def _value(name: str, value: str) -> str:
    """A stored moment (« 11/01/2027 à 09:00 », Paris time) or amount (« 12,50 € ») in the reader's
    format; other values as stored."""
    if name == "when":
        try:
            return local_date(datetime.strptime(value, "%d/%m/%Y à %H:%M").replace(tzinfo=PARIS))
        except ValueError:
            return value
    amount = re.fullmatch(r"(\d+),(\d\d) €", value) if name == "amount" else None
    return money(int(amount[1]) * 100 + int(amount[2])) if amount else value
