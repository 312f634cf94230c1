"""Forms of the agents' queues: filters (GET), saved filters, assignment, closed-requests export."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from forms.accounts import FrenchDateField
from forms.validators import collapse_spaces, strip

ASSIGNMENTS = (
    SelectChoice("", "Toutes"),
    SelectChoice("moi", "À moi"),
    SelectChoice("personne", "À personne"),
    SelectChoice("collegue", "À un collègue"),
)
SORTS = (
    SelectChoice("recue", "Reçue le"),
    SelectChoice("echeance", "Échéance"),
    SelectChoice("reference", "Référence"),
    SelectChoice("demarche", "Démarche"),
    SelectChoice("famille", "Famille"),
    SelectChoice("statut", "Statut"),
    SelectChoice("attribuee", "Attribuée à"),
)
ORDERS = (SelectChoice("asc", "Croissant"), SelectChoice("desc", "Décroissant"))
#: The query-string keys a queue view is made of (saved filters keep these, and only these).
FILTER_KEYS = ("file", "demarche", "statut", "en_retard", "attribution", "q", "tri", "ordre")


class ChoiceField(SelectField):  # type: ignore[misc]
    """A select whose refusal of an unknown value is worded in French."""

    def __init__(
        self,
        *args: Any,
        invalid: str = "Choisissez une valeur de la liste.",
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
            raise ValueError("Numéro de page invalide.") from exc


class QueueFilterForm(FlaskForm):  # type: ignore[misc]
    """« Filtrer » above a queue: sent by GET, so that the filter lives in the URL."""

    class Meta:
        csrf = False

    file = HiddenField()
    demarche = ChoiceField("Démarche", choices=[], invalid="Cette démarche n'est pas dans la liste.")
    statut = ChoiceField("Statut", choices=[], invalid="Ce statut n'est pas dans la liste.")
    en_retard = BooleanField("En retard seulement")
    attribution = ChoiceField("Attribuée à", choices=list(ASSIGNMENTS))
    q = StringField(
        "Rechercher",
        filters=[strip, collapse_spaces],
        validators=[Optional(), Length(max=100, message="La recherche comporte au plus 100 caractères.")],
        description="Référence (DEM-2026-000123) ou nom de la famille",
        render_kw={"type": "search"},
    )
    tri = ChoiceField("Trier par", choices=list(SORTS), invalid="Ce tri n'est pas proposé.")
    ordre = ChoiceField("Ordre", choices=list(ORDERS))
    page = PageField(
        "Page",
        default=1,
        validators=[Optional(), NumberRange(min=1, max=1_000_000, message="Numéro de page invalide.")],
    )

    def set_choices(self, demarches: list[tuple[str, str]], statuses: list[str]) -> None:
        self.demarche.choices = [SelectChoice("", "Toutes"), *(SelectChoice(k, t) for k, t in demarches)]
        self.statut.choices = [SelectChoice("", "Tous"), *(SelectChoice(s, s) for s in statuses)]


class SavedFilterForm(FlaskForm):  # type: ignore[misc]
    """« Enregistrer ce filtre » : a name for the current query string."""

    nom = StringField(
        "Nom du filtre",
        filters=[strip, collapse_spaces],
        validators=[
            DataRequired("Donnez un nom à ce filtre."),
            Length(max=80, message="Le nom comporte au plus 80 caractères."),
        ],
    )
    requete = HiddenField()


class AssignForm(FlaskForm):  # type: ignore[misc]
    """« Attribuer à » a colleague of the task's service."""

    agent = ChoiceField(
        "Attribuer à", choices=[], invalid="Choisissez un agent du service de la tâche.", required=True
    )
    attendu = HiddenField()


class ClosedExportForm(FlaskForm):  # type: ignore[misc]
    """The period of the « Demandes clôturées » export (GET)."""

    class Meta:
        csrf = False

    du = FrenchDateField(
        "Du",
        validators=[InputRequired("Indiquez la date de début (jj/mm/aaaa).")],
        format=["%Y-%m-%d", "%d/%m/%Y"],
        render_kw={"type": "date"},
    )
    au = FrenchDateField(
        "Au (inclus)",
        validators=[InputRequired("Indiquez la date de fin (jj/mm/aaaa).")],
        format=["%Y-%m-%d", "%d/%m/%Y"],
        render_kw={"type": "date"},
    )

    def validate_au(self, field: FrenchDateField) -> None:
        start: date | None = self.du.data
        if start and field.data and field.data < start:
            raise ValidationError("La date de fin précède la date de début.")
        if start and field.data and (field.data - start).days > 366:
            raise ValidationError("La période est d'au plus un an.")
