"""The search of the security audit log (« Journal de sécurité », role admin): a GET form."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from forms.accounts import FrenchDateField
from forms.validators import strip


class AuditSearchForm(FlaskForm):  # type: ignore[misc]
    """Filters of the audit log: event, user, period (all optional). The caller sets `evenement.choices`."""

    class Meta:
        csrf = False

    evenement = SelectField(_l("Événement"), choices=[], validate_choice=False)
    utilisateur = StringField(
        _l("Utilisateur"),
        description=_l(
            "Nom d'utilisateur de l'auteur ou du compte visé, ou une partie (par exemple dupont)."
        ),
        filters=[strip],
        validators=[Optional(), Length(max=150, message=_l("150 caractères au plus."))],
    )
    du = FrenchDateField(
        _l("Du"),
        validators=[Optional()],
        format=["%Y-%m-%d", "%d/%m/%Y"],
        render_kw={"type": "date"},
        description=_l("Date de début incluse (jj/mm/aaaa)."),
    )
    au = FrenchDateField(
        _l("Au (inclus)"),
        validators=[Optional()],
        format=["%Y-%m-%d", "%d/%m/%Y"],
        render_kw={"type": "date"},
        description=_l("Date de fin incluse (jj/mm/aaaa)."),
    )

    def validate_evenement(self, field: SelectField) -> None:
        if field.data and field.data not in {str(value) for value, _ in field.choices}:
            raise ValidationError(_("Choisissez un événement de la liste."))

    def validate_au(self, field: FrenchDateField) -> None:
        start: date | None = self.du.data
        if start and field.data and field.data < start:
            raise ValidationError(_("La date de fin précède la date de début."))
