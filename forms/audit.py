"""The search of the security audit log (« Journal de sécurité », role admin): a GET form."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from forms.accounts import FrenchDateField
from forms.validators import strip


class AuditSearchForm(FlaskForm):  # type: ignore[misc]
    """Filters of the audit log: event, user, period (all optional). The caller sets `evenement.choices`."""

    class Meta:
        csrf = False

    evenement = SelectField("Événement", choices=[], validate_choice=False)
    utilisateur = StringField(
        "Utilisateur",
        description="Nom d'utilisateur de l'auteur ou du compte visé, ou une partie (par exemple dupont).",
        filters=[strip],
        validators=[Optional(), Length(max=150, message="150 caractères au plus.")],
    )
    du = FrenchDateField(
        "Du",
        validators=[Optional()],
        format=["%Y-%m-%d", "%d/%m/%Y"],
        render_kw={"type": "date"},
        description="Date de début incluse (jj/mm/aaaa).",
    )
    au = FrenchDateField(
        "Au (inclus)",
        validators=[Optional()],
        format=["%Y-%m-%d", "%d/%m/%Y"],
        render_kw={"type": "date"},
        description="Date de fin incluse (jj/mm/aaaa).",
    )

    def validate_evenement(self, field: SelectField) -> None:
        if field.data and field.data not in {str(value) for value, _ in field.choices}:
            raise ValidationError("Choisissez un événement de la liste.")

    def validate_au(self, field: FrenchDateField) -> None:
        start: date | None = self.du.data
        if start and field.data and field.data < start:
            raise ValidationError("La date de fin précède la date de début.")
