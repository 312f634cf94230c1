"""Forms of the agents' queues: filters (GET), saved filters, assignment, closed-requests export."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from forms.accounts import FrenchDateField
from forms.validators import collapse_spaces, strip

ASSIGNMENTS = (
    SelectChoice("", _l("Toutes")),
    SelectChoice("moi", _l("À moi")),
    SelectChoice("personne", _l("À personne")),
    SelectChoice("collegue", _l("À un collègue")),
)
SORTS = (
    SelectChoice("recue", _l("Reçue le")),
    SelectChoice("echeance", _l("Échéance")),
    SelectChoice("reference", _l("Référence")),
    SelectChoice("demarche", _l("Démarche")),
    SelectChoice("famille", _l("Famille")),
    SelectChoice("statut", _l("Statut")),
    SelectChoice("attribuee", _l("Attribuée à")),
)
ORDERS = (SelectChoice("asc", _l("Croissant")), SelectChoice("desc", _l("Décroissant")))
#: The query-string keys a queue view is made of (saved filters keep these, and only these).
FILTER_KEYS = ("file", "demarche", "statut", "en_retard", "attribution", "q", "tri", "ordre")


class ChoiceField(SelectField):  # type: ignore[misc]
    """A select whose refusal of an unknown value is worded in French."""

    def __init__(
        self,
        *args: Any,
        invalid: str = _l("Choisissez une valeur de la liste."),
        required: bool = False,
        **kwargs: Any,
    ):
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)
        self.invalid = invalid
        self.required = required

    def pre_validate(self, form: Any) -> None:
        """An empty value means « no filter » (or the default sort), unless the field is required."""
        if not self.data and not self.required:
            return
        values = {choice.value if hasattr(choice, "value") else choice[0] for choice in self.choices or ()}
        if (self.data or "") not in values:
            raise ValidationError(self.invalid)


class PageField(IntegerField):  # type: ignore[misc]
    """A page number whose unreadable-value message is French (WTForms' own is English)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            self.data = None
            raise ValueError(_l("Numéro de page invalide.")) from exc


class QueueFilterForm(FlaskForm):  # type: ignore[misc]
    """« Filtrer » above a queue: sent by GET, so that the filter lives in the URL."""

    class Meta:
        csrf = False

    file = HiddenField()
    demarche = ChoiceField(_l("Démarche"), choices=[], invalid=_l("Cette démarche n'est pas dans la liste."))
    statut = ChoiceField(_l("Statut"), choices=[], invalid=_l("Ce statut n'est pas dans la liste."))
    en_retard = BooleanField(_l("En retard seulement"))
    attribution = ChoiceField(_l("Attribuée à"), choices=list(ASSIGNMENTS))
    q = StringField(
        _l("Rechercher"),
        filters=[strip, collapse_spaces],
        validators=[Optional(), Length(max=100, message=_l("La recherche comporte au plus 100 caractères."))],
        description=_l("Référence (DEM-2026-000123) ou nom de la famille"),
        render_kw={"type": "search"},
    )
    tri = ChoiceField(_l("Trier par"), choices=list(SORTS), invalid=_l("Ce tri n'est pas proposé."))
    ordre = ChoiceField(_l("Ordre"), choices=list(ORDERS))
    page = PageField(
        _l("Page"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=1_000_000, message=_l("Numéro de page invalide."))],
    )

    def set_choices(self, demarches: list[tuple[str, str]], statuses: list[str]) -> None:
        self.demarche.choices = [
            SelectChoice("", _l("Toutes")),
            *(SelectChoice(k, _l(t)) for k, t in demarches),
        ]
        self.statut.choices = [SelectChoice("", _l("Tous")), *(SelectChoice(s, _l(s)) for s in statuses)]


class SavedFilterForm(FlaskForm):  # type: ignore[misc]
    """« Enregistrer ce filtre » : a name for the current query string."""

    nom = StringField(
        _l("Nom du filtre"),
        filters=[strip, collapse_spaces],
        validators=[
            DataRequired(_l("Donnez un nom à ce filtre.")),
            Length(max=80, message=_l("Le nom comporte au plus 80 caractères.")),
        ],
    )
    requete = HiddenField()


class AssignForm(FlaskForm):  # type: ignore[misc]
    """« Attribuer à » a colleague of the task's service."""

    agent = ChoiceField(
        _l("Attribuer à"),
        choices=[],
        invalid=_l("Choisissez un agent du service de la tâche."),
        required=True,
    )
    attendu = HiddenField()


class ClosedExportForm(FlaskForm):  # type: ignore[misc]
    """The period of the « Demandes clôturées » export (GET)."""

    class Meta:
        csrf = False

    du = FrenchDateField(
        _l("Du"),
        validators=[InputRequired(_l("Indiquez la date de début (jj/mm/aaaa)."))],
        format=["%Y-%m-%d", "%d/%m/%Y"],
        render_kw={"type": "date"},
    )
    au = FrenchDateField(
        _l("Au (inclus)"),
        validators=[InputRequired(_l("Indiquez la date de fin (jj/mm/aaaa)."))],
        format=["%Y-%m-%d", "%d/%m/%Y"],
        render_kw={"type": "date"},
    )

    def validate_au(self, field: FrenchDateField) -> None:
        start: date | None = self.du.data
        if start and field.data and field.data < start:
            raise ValidationError(_l("La date de fin précède la date de début."))
        if start and field.data and (field.data - start).days > 366:
            raise ValidationError(_l("La période est d'au plus un an."))
