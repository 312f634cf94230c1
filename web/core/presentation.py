"""Turning engine data into what pages show: labels of submitted fields, dates and durations in French."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel.speaklater import LazyString

from engine.api import parse_iso_duration
from forms.fields import answer_text, choice_labels, national_phone
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
            if isinstance(label, str | LazyString):  # lazy: the form labels are translated at display
                labels.setdefault(name, label)
    return labels


def coded_value_labels() -> dict[str, dict[Any, Any]]:
    """{value: label} of the choice fields of every registered task form, by field name."""
    labels: dict[str, dict[Any, Any]] = {}
    for form_class in load_all().values():
        for name, unbound in vars(form_class).items():
            if choices := choice_labels(unbound):
                labels.setdefault(name, choices)
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


def submitted_data(
    data: dict[str, Any],
    extra_labels: dict[str, str] | None = None,
    value_labels: dict[str, dict[str, Any]] | None = None,
) -> list[tuple[str, Any]]:
    """The family's answers as (label, value), for the agent's task page (`extra_labels`: the fields
    of the démarche's data forms, web/tasks/data_forms.py; `value_labels`: their choices' labels,
    shown instead of the stored values, several answers joined by commas)."""
    labels = {**field_labels(), **(extra_labels or {})}
    hidden = _HIDDEN_KEYS | decision_fields() | {n for c in load_all().values() for n in c.unlisted_answers}
    # A data form's field takes the place of a coded one of the same name, choices included.
    coded = {name: names for name, names in coded_value_labels().items() if name not in (extra_labels or {})}
    choices = {**coded, **(value_labels or {})}
    shown = []
    for key, value in data.items():
        if key not in labels or key in hidden or value in (None, "", []):
            continue
        if choices.get(key) and isinstance(value, (str, list)):
            value = answer_text(value, choices[key])
        elif isinstance(value, (dict, list)):  # documents: listed by _macros/documents.html
            continue
        shown.append((str(labels[key]), _shown(key, value)))  # a lazy label: in the page's language
    return shown


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
    """P30D -> « 30 jours »; P2M -> « 2 mois » (« 30 days », « 2 months » in English)."""
    if not iso:
        return ""
    try:
        parts = parse_iso_duration(iso)
    except Exception:
        return iso
    names = {
        "years": lambda n: ngettext("%(num)s an", "%(num)s ans", n),
        "months": lambda n: ngettext("%(num)s mois", "%(num)s mois", n),
        "weeks": lambda n: ngettext("%(num)s semaine", "%(num)s semaines", n),
        "days": lambda n: ngettext("%(num)s jour", "%(num)s jours", n),
        "hours": lambda n: ngettext("%(num)s heure", "%(num)s heures", n),
        "minutes": lambda n: ngettext("%(num)s minute", "%(num)s minutes", n),
        "seconds": lambda n: ngettext("%(num)s seconde", "%(num)s secondes", n),
    }
    words = []
    for key, name in names.items():
        if parts.get(key):
            amount = parts[key]
            words.append(name(int(amount) if amount == int(amount) else amount))
    return " ".join(words) or iso
