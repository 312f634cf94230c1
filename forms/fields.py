"""Fields shared by the signup screens and « Modifier mon espace » (same wording, same checks)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from forms.validators import phone_number, strip

IDENTITY_FIELDS = (
    "civilite",
    "nom",
    "nom_naissance",
    "prenom",
    "date_naissance",
    "pays_naissance",
    "departement_naissance",
    "commune_naissance",
)
CONTACT_FIELDS = ("telephone", "mobile", "fax", "contact_prefere")
# Once the account exists, changed by « Changement de téléphones » only (checked by the Accueil service).
PHONE_FIELDS = ("telephone", "mobile")


def choice_labels(unbound: Any) -> dict[Any, Any]:
    """{value: label} of an unbound choice field of a form class ({} for any other attribute):
    pages show an answer as the family read it (« Oui »), not as stored (« oui »)."""
    labels = {}
    for choice in getattr(unbound, "kwargs", {}).get("choices") or []:  # SelectChoice or (value, label)
        value, label = choice[:2] if isinstance(choice, tuple) else (choice.value, choice.label)
        labels[value] = label
    return labels


def answer_text(value: Any, labels: dict[Any, Any]) -> str:
    """A choice answer by its label(s), several joined by commas (a value no longer offered: as stored)."""
    return ", ".join(str(labels.get(item, item)) for item in (value if isinstance(value, list) else [value]))


def national_phone(value: str | None) -> str:
    """How people read a stored E.164 number: 06 12 34 56 78 in France, +32 2 123 45 67 abroad.

    Anything that does not parse (a value typed but refused) is returned as it is.
    """
    import phonenumbers

    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    french = phonenumbers.region_code_for_number(number) == "FR"
    formats = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(number, formats.NATIONAL if french else formats.INTERNATIONAL)


class PhoneField(StringField):  # type: ignore[misc]
    """Stored in E.164 (+33612345678), shown back in the national format (06 12 34 56 78)."""

    def _value(self) -> str:
        return national_phone(self.data) if isinstance(self.data, str) else ""


def phone_field(label: Any, example: str | None = None, *, autocomplete: bool = True) -> StringField:
    """An optional phone number, normalised to E.164, with the expected format shown."""
    render_kw = {"inputmode": "tel"}
    if autocomplete:
        render_kw["autocomplete"] = "tel"
    description = _l("Format attendu : %(example)s", example=example) if example else _l("Facultatif")
    return PhoneField(label, validators=[phone_number], render_kw=render_kw, description=description)


def agents_only_comment_field() -> TextAreaField:
    """« Commentaire interne » of an agent's decision form: optional, never shown to the family."""
    return TextAreaField(
        _l("Commentaire interne"),
        filters=[strip],
        validators=[Optional(), Length(max=2000)],
        description=_l("Réservé aux agents : jamais montré à la famille."),
    )
