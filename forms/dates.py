"""Dates typed by families: a French message for a date that cannot be read, and bounds around today."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from wtforms import DateField, Field
from wtforms.validators import ValidationError

PARIS = ZoneInfo("Europe/Paris")
UNREADABLE = _l("Cette date n'est pas valable. Format attendu : jj/mm/aaaa, par exemple 15/01/2027.")


def today_in_france() -> date:
    return datetime.now(PARIS).date()


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), the last day of the month when it does not exist."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class FrenchDateField(DateField):
    """An HTML date input whose unreadable values get a French message (empty stays None)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = " ".join(v for v in valuelist if isinstance(v, str)).strip()
        if not raw:
            self.data = None
            return
        for fmt in (*self.format, "%d/%m/%Y"):
            try:
                self.data = datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a calendar day
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError(UNREADABLE)


class DateWithin:
    """A date from `months_before` months before today to `months_after` months after (Paris time)."""

    def __init__(self, months_before: int, months_after: int, what: Any = None) -> None:
        self.months_before = months_before
        self.months_after = months_after
        self.what = what  # « La date d'effet » (wrap it in lazy_gettext); « La date » when None

    def __call__(self, form: Any, field: Field) -> None:
        if field.data is None:
            return
        today = today_in_france()
        first = add_months(today, -self.months_before)
        last = add_months(today, self.months_after)
        if not first <= field.data <= last:
            raise ValidationError(  # gettext, not lazy: a lazy string is not escaped in pages
                gettext(
                    "%(what)s doit être comprise entre le %(first)s et le %(last)s : au plus %(before)s "
                    "avant aujourd'hui et au plus %(after)s après.",
                    what=self.what or _l("La date"),
                    first=f"{first:%d/%m/%Y}",
                    last=f"{last:%d/%m/%Y}",
                    before=_months(self.months_before),
                    after=_months(self.months_after),
                )
            )


def _months(count: int) -> str:
    if count % 12 == 0:
        return ngettext("un an", "%(num)d ans", count // 12)
    return ngettext("%(num)d mois", "%(num)d mois", count)
