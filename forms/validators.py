"""Reusable validators and filters with French messages."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
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
        raise ValidationError(_l("Le code postal doit comporter 5 chiffres (par exemple 78140)."))
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


def phone_number(form: Any, field: Field) -> None:
    """A French or international phone number, normalised to E.164 (+33612345678)."""
    import phonenumbers

    raw = (field.data or "").strip()
    if not raw:
        field.data = None
        return
    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _l(
                "Ce numéro de téléphone n'est pas valable. Format attendu : 01 23 45 67 89, "
                "06 12 34 56 78 ou +32 2 123 45 67."
            )
        )
    field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def not_in_future(form: Any, field: Field) -> None:
    """A date that is today or before."""
    from datetime import UTC, datetime

    if field.data and field.data > datetime.now(UTC).date():
        raise ValidationError(_l("La date ne peut pas être dans le futur."))


USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{2,149}$")


def username(form: Any, field: Field) -> None:
    """3 to 150 characters: letters without accents, digits, and . _ - @."""
    if not USERNAME.match(field.data or ""):
        raise ValidationError(
            _l(
                "Le nom d'utilisateur doit comporter de 3 à 150 caractères : lettres sans accent, "
                "chiffres, point, tiret, tiret bas ou @."
            )
        )


JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def image_kind(data: bytes) -> str | None:
    """'image/jpeg' or 'image/png' from the first bytes, else None (the file name is never trusted)."""
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    if data.startswith(PNG_MAGIC):
        return "image/png"
    return None


class ImageUpload:
    """An optional JPEG or PNG upload, checked by content, at most `max_bytes`."""

    def __init__(self, max_bytes: int = 2 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes

    def __call__(self, form: Any, field: Field) -> None:
        storage = field.data
        if storage is None or not getattr(storage, "filename", ""):
            return
        content = storage.read(self.max_bytes + 1)
        storage.seek(0)
        if len(content) > self.max_bytes:
            raise ValidationError(
                gettext(
                    "La photo dépasse la taille maximale de %(size)d Mo.",
                    size=self.max_bytes // (1024 * 1024),
                )
            )
        if image_kind(content) is None:
            raise ValidationError(_l("La photo doit être une image JPEG ou PNG."))
