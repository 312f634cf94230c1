"""Amounts in integer cents, shown per language (« 1 234,50 € » / « €1,234.50 », through
`web.core.i18n.money`), read the French way (and, on English pages, also « 1,234.50 »).

Texts stored in the database (an invoice's timeline, a payment's review reason, the audit log) keep
French amounts: `euros_fr`. Month names and long dates come from Babel, per language.
"""

from __future__ import annotations

import re
from datetime import date

from babel import Locale
from babel.dates import format_date
from flask_babel import LazyString

from web.core.i18n import SOURCE, _, current_language, local_date, money

NBSP = "\u00a0"
# 12 ; 12,5 ; 12,50 ; 1 234,50 ; 1234.50 (a dot from a software export) ; optional « € ».
_AMOUNT = re.compile(r"^(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[,.](\d{1,2}))?$")
# English pages only: 1,234.50 ; 1,234 (commas group the thousands).
_ENGLISH_AMOUNT = re.compile(r"^(\d{1,3}(?:,\d{3})+)(?:\.(\d{1,2}))?$")
MAX_CENTS = 100_000_000  # one million euros: anything above is a typo


def euros(cents: int) -> str:
    """1234 50 → « 1 234,50 € » in French, « €1,234.50 » in English (the request's language)."""
    return money(cents)


def lazy_euros(cents: int) -> LazyString:
    """The amount written when it is rendered: a mail's amount, in the language the mail is rendered in
    (its recipient's), not the one of the request that queues it."""
    return LazyString(money, cents)


def euros_fr(cents: int) -> str:
    """« 1 234,50 € » whatever the language: for texts stored in the database and the audit log."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    grouped = f"{whole:,}".replace(",", NBSP)
    return f"{sign}{grouped},{rest:02d}{NBSP}€"


def decimal_euros(cents: int) -> str:
    """« 1234.50 »: what the payment backends expect."""
    whole, rest = divmod(int(cents), 100)
    return f"{whole}.{rest:02d}"


def parse_cents(text: str, english: bool | None = None) -> int:
    """« 1 234,50 € » → 123450; also « 1,234.50 » when `english` (default: the page is in English).
    ValueError with a message in the request's language for anything else (negative included)."""
    if english is None:
        english = current_language() != SOURCE
    value = (text or "").strip().removesuffix("€").removeprefix("€").strip()
    if value.startswith("-"):
        raise ValueError(
            _("le montant « %(text)s » est négatif : un montant ne peut pas être négatif", text=text)
        )
    match = _AMOUNT.match(value) or (_ENGLISH_AMOUNT.match(value) if english else None)
    if not match:
        raise ValueError(_("« %(text)s » n'est pas un montant (exemple : 12,50)", text=text))
    whole = int(re.sub(r"\D", "", match.group(1)))
    cents = whole * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if cents > MAX_CENTS:
        raise ValueError(_("le montant « %(text)s » dépasse un million d'euros", text=text))
    return cents


def date_long(day: date) -> str:
    """« 7 décembre 2026 », « 1er décembre 2026 »; « 7 December 2026 » in English."""
    language = current_language()
    if language == SOURCE:
        return f"{day.day}{'er' if day.day == 1 else ''} {format_date(day, 'MMMM y', locale='fr')}"
    return format_date(day, "d MMMM y", locale=Locale.parse(language))


def month_label(day: date, language: str | None = None) -> str:
    """« Novembre 2026 »; « November 2026 » in English (default: the request's language)."""
    return format_date(day, "LLLL y", locale=Locale.parse(language or current_language())).capitalize()


def period_label(start: date, end: date, language: str | None = None) -> str:
    """An invoice's period: « Novembre 2026 » for a month, else « du 01/11/2026 au 15/11/2026 »."""
    if (start.year, start.month) == (end.year, end.month):
        return month_label(start, language)
    if (language or current_language()) == SOURCE:
        return f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}"
    return _("du %(start)s au %(end)s", start=local_date(start), end=local_date(end))
