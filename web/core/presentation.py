"""Turning engine data into what pages show: labels of submitted fields, dates and durations in French."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel.speaklater import LazyString

from engine.api import parse_iso_duration
from forms.fields import national_phone
from forms.registry import load_all

from .i18n import local_date, ngettext

PARIS = ZoneInfo("Europe/Paris")
_HIDDEN_KEYS = {"demandeur_id", "reference", "decision"}
PHONE_KEYS = {"telephone", "mobile", "fax"}


def field_labels() -> dict[str, str | LazyString]:
    """Label of every field of every registered task form, by field name."""
    labels: dict[str, str] = {}
    for form_class in load_all().values():
        for name, unbound in vars(form_class).items():
            label = getattr(unbound, "kwargs", {}).get("label") or (
                unbound.args[0] if getattr(unbound, "args", None) else None
            )
            if isinstance(label, (str, LazyString)):  # a lazy label is shown in the page's language
                labels.setdefault(name, label)
    return labels


def decision_fields() -> set[str]:
    """The message fields of the agents' decision forms (« Message à la famille »): the timeline
    shows them as the service's messages; they are not the family's data."""
    names: set[str] = set()
    for form_class in load_all().values():
        if form_class.internal_comment_field:  # an agents' form
            names |= {n for n in (form_class.public_comment_field, form_class.internal_comment_field) if n}
    family_fields = {
        name
        for form_class in load_all().values()
        if not form_class.internal_comment_field
        for name in vars(form_class)
    }
    return names - family_fields


def submitted_data(data: dict[str, Any], extra_labels: dict[str, str] | None = None) -> list[tuple[str, Any]]:
    """The family's answers as (label, value), for the agent's task page (`extra_labels`: the fields
    of the démarche's data forms, web/tasks/data_forms.py)."""
    labels = {**field_labels(), **(extra_labels or {})}
    hidden = _HIDDEN_KEYS | decision_fields()
    return [
        (str(labels[key]), _shown(key, value))  # a lazy label: in the page's language, as text
        for key, value in data.items()
        if key in labels
        and key not in hidden
        and value not in (None, "")
        and not isinstance(value, (dict, list))  # documents: listed by _macros/documents.html
    ]


def _shown(key: str, value: Any) -> Any:
    """Dates as 27/11/2026 (27 Nov 2026 in English), phone numbers as 06 12 34 56 78 (stored in E.164)."""
    if isinstance(value, date):
        return local_date(value, with_time=False)
    if key in PHONE_KEYS and isinstance(value, str):
        return national_phone(value)
    return value


def de(name: str) -> str:
    """« de » before a name, elided before a vowel: « d'Alex Durand », « de Camille Martin »."""
    import unicodedata

    first = unicodedata.normalize("NFKD", name.strip()[:1]).encode("ascii", "ignore").decode().lower()
    return f"d'{name}" if first and first in "aeiouy" else f"de {name}"


def date_fr(value: datetime | date | None, with_time: bool = True) -> str:
    """27/11/2026 à 14:05 in Paris time (in English: 27 Nov 2026, 14:05)."""
    return local_date(value, with_time)


def duration_fr(iso: str | None) -> str:
    """P30D -> « 30 jours »; P2M -> « 2 mois »."""
    if not iso:
        return ""
    try:
        parts = parse_iso_duration(iso)
    except Exception:
        return iso
    words = []
    for key, say in _UNITS.items():
        amount = parts.get(key)
        if amount:
            words.append(say(amount, f"{amount:g}"))  # 1.5 stays 1.5
    return " ".join(words) or iso


#: Durations' units: ngettext picks the form, `amount` is the number as written.
_UNITS: dict[str, Callable[[float, str], str]] = {
    "years": lambda n, amount: ngettext("%(amount)s an", "%(amount)s ans", n, amount=amount),
    "months": lambda n, amount: ngettext("%(amount)s mois", "%(amount)s mois", n, amount=amount),
    "weeks": lambda n, amount: ngettext("%(amount)s semaine", "%(amount)s semaines", n, amount=amount),
    "days": lambda n, amount: ngettext("%(amount)s jour", "%(amount)s jours", n, amount=amount),
    "hours": lambda n, amount: ngettext("%(amount)s heure", "%(amount)s heures", n, amount=amount),
    "minutes": lambda n, amount: ngettext("%(amount)s minute", "%(amount)s minutes", n, amount=amount),
    "seconds": lambda n, amount: ngettext("%(amount)s seconde", "%(amount)s secondes", n, amount=amount),
}
