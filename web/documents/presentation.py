"""Template helpers: an instance's documents, and what the family typed, for request and task pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel.speaklater import LazyString

from engine.api import REQUESTER_LANE, DocumentView, InstanceView, current_data, documents_of, lane_form_keys
from forms.documents import size_text
from forms.fields import PhoneField, answer_text, choice_labels, national_phone
from forms.registry import get_form_class
from web.core.i18n import local_date
from web.extensions import db

from . import bp


@bp.app_template_global()
def instance_documents(instance_id: int) -> list[DocumentView]:
    """Documents of an instance the page has already checked access to (no bytes loaded)."""
    return documents_of(db.session(), instance_id)


@bp.app_template_filter("taille_fr")
def size_fr(size: int) -> str:
    """89 octets, 12 Ko, 1,5 Mo (89 bytes, 12 KB, 1.5 MB in English)."""
    return size_text(size, tenths=True)


def _shown(value: Any, unbound: Any) -> str | None:
    """A stored answer as the family typed or read it: a choice by its label (« Voiture
    particulière », not « voiture »; several joined by commas), a date as 27/11/2026, a phone number
    as 06 12 34 56 78 (stored in E.164)."""
    choices = choice_labels(unbound)
    if choices and isinstance(value, (str, list)) and value not in ("", []):
        return answer_text(value, choices)
    if value in (None, "") or isinstance(value, (dict, list)):
        return None  # documents are listed apart
    if isinstance(value, date):
        return local_date(value, with_time=False)
    if isinstance(value, str) and issubclass(getattr(unbound, "field_class", object), PhoneField):
        return national_phone(value)
    return str(value)


@bp.app_template_global()
def family_answers(instance: InstanceView, user: Any) -> list[tuple[str, str]]:
    """(label, value) of the fields of the family's forms in this démarche, as last submitted."""
    data = current_data(db.session(), instance, user)
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for key in lane_form_keys(db.session(), instance, REQUESTER_LANE):
        try:
            form_class = get_form_class(key)
        except KeyError:
            continue
        for name, unbound in vars(form_class).items():
            label = getattr(unbound, "args", (None,))[0] if getattr(unbound, "args", None) else None
            if not isinstance(label, str | LazyString) or name in seen or name not in data:
                continue
            if name == form_class.public_comment_field or name in form_class.unlisted_answers:
                continue  # a message: the timeline shows each one, in order; an id
            value = _shown(data[name], unbound)
            if value is not None:
                seen.add(name)
                rows.append((label, value))
    return rows
