"""Fields shared by the signup screens and « Modifier mon espace » (same wording, same checks)."""

from __future__ import annotations

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


def phone_field(label: str, example: str | None = None, *, autocomplete: bool = True) -> StringField:
    """An optional phone number, normalised to E.164, with the expected format shown."""
    render_kw = {"inputmode": "tel"}
    if autocomplete:
        render_kw["autocomplete"] = "tel"
    description = f"Format attendu : {example}" if example else "Facultatif"
    return StringField(label, validators=[phone_number], render_kw=render_kw, description=description)


def agents_only_comment_field() -> TextAreaField:
    """« Commentaire interne » of an agent's decision form: optional, never shown to the family."""
    return TextAreaField(
        "Commentaire interne",
        filters=[strip],
        validators=[Optional(), Length(max=2000)],
        description="Réservé aux agents : jamais montré à la famille.",
    )
