"""Reusable validators and filters with French messages."""

from __future__ import annotations

import re
from typing import Any

from wtforms import Field
from wtforms.validators import ValidationError

_POSTAL_CODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$")


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def collapse_spaces(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


def french_postal_code(form: Any, field: Field) -> None:
    """Five digits, a real French département prefix (01-98, Corsica as 20)."""
    value = (field.data or "").replace(" ", "")
    if not _POSTAL_CODE.match(value):
        raise ValidationError("Le code postal doit comporter 5 chiffres (par exemple 78140).")
    field.data = value


class RequiredIf:
    """Required when another field has a given value (e.g. a reason when refusing)."""

    def __init__(self, other: str, value: Any, message: str) -> None:
        self.other = other
        self.value = value
        self.message = message

    def __call__(self, form: Any, field: Field) -> None:
        if form[self.other].data == self.value and not (field.data or "").strip():
            raise ValidationError(self.message)
