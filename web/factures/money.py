"""Amounts in integer cents, shown and read the French way: « 1 234,50 € »."""

from __future__ import annotations

import re
from datetime import date

NBSP = "\u00a0"
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
# 12 ; 12,5 ; 12,50 ; 1 234,50 ; 1234.50 (a dot from a software export) ; optional « € ».
_AMOUNT = re.compile(r"^(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[,.](\d{1,2}))?$")
MAX_CENTS = 100_000_000  # one million euros: anything above is a typo


def euros(cents: int) -> str:
    """1234 50 → « 1 234,50 € » (no-break spaces, so it never wraps)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    grouped = f"{whole:,}".replace(",", NBSP)
    return f"{sign}{grouped},{rest:02d}{NBSP}€"


def decimal_euros(cents: int) -> str:
    """« 1234.50 »: what the payment backends expect."""
    whole, rest = divmod(int(cents), 100)
    return f"{whole}.{rest:02d}"


def parse_cents(text: str) -> int:
    """« 1 234,50 € » → 123450. ValueError with a French message for anything else (negative included)."""
    value = (text or "").strip().removesuffix("€").strip()
    if value.startswith("-"):
        raise ValueError(f"le montant « {text} » est négatif : un montant ne peut pas être négatif")
    match = _AMOUNT.match(value)
    if not match:
        raise ValueError(f"« {text} » n'est pas un montant (exemple : 12,50)")
    whole = int(re.sub(r"\D", "", match.group(1)))
    cents = whole * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if cents > MAX_CENTS:
        raise ValueError(f"le montant « {text} » dépasse un million d'euros")
    return cents


def date_long(day: date) -> str:
    """« 7 décembre 2026 »."""
    return f"{day.day}{'er' if day.day == 1 else ''} {MONTHS[day.month - 1]} {day.year}"


def month_label(day: date) -> str:
    """« Novembre 2026 »."""
    return f"{MONTHS[day.month - 1].capitalize()} {day.year}"
