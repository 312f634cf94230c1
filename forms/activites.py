"""Forms of « Activités »: the family's booking request and the agents' activity settings (labels and
messages lazily translated: they show in the reader's language)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from forms.documents import DocumentField, DocumentFormMixin
from forms.validators import strip


class Checkboxes(SelectMultipleField):  # type: ignore[misc]
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class BookingForm(FlaskForm):  # type: ignore[misc]
    """The child and the sessions; the price is never read from the form (the server computes it)."""

    enfant = RadioField(
        _l("Enfant à inscrire"),
        choices=[],
        validate_choice=False,
        validators=[InputRequired(_l("Choisissez un enfant de votre dossier famille."))],
    )
    sessions = Checkboxes(_l("Sessions"), choices=[], validate_choice=False, coerce=str)
    documents = BooleanField(
        _l("Je fournirai les documents qui manquent au service avant le début de l'activité")
    )


def booking_form(document_names: list[str]) -> BookingForm:
    """The booking form of an activity: one document field per document it asks for (`piece_1`…),
    each taken from « Mes documents » or uploaded (forms/documents.py); the checkbox above covers the
    documents not given now."""
    fields = {
        f"piece_{n}": DocumentField(name, description=_l("PDF, JPEG ou PNG. Facultatif maintenant."))
        for n, name in enumerate(document_names, start=1)
    }
    form_class = type("ActivityBookingForm", (DocumentFormMixin, BookingForm), fields)
    return form_class()  # type: ignore[no-any-return]


WEEKDAYS = [
    SelectChoice(str(n), name)
    for n, name in enumerate(
        (_l("lundi"), _l("mardi"), _l("mercredi"), _l("jeudi"), _l("vendredi"), _l("samedi"))
    )
]


class OfferForm(FlaskForm):  # type: ignore[misc]
    """The booking settings of an activity (agents of its service)."""

    description = TextAreaField(_l("Présentation"), filters=[strip], validators=[Length(max=2000)])
    min_age = IntegerField(
        _l("Âge minimum (ans)"), validators=[Optional(), NumberRange(0, 25, _l("Un âge entre 0 et 25 ans."))]
    )
    max_age = IntegerField(
        _l("Âge maximum (ans)"), validators=[Optional(), NumberRange(0, 25, _l("Un âge entre 0 et 25 ans."))]
    )
    classes = StringField(
        _l("Classes admises"),
        filters=[strip],
        validators=[Length(max=200)],
        description=_l("Séparées par des virgules, par exemple « CP,CE1,CE2 ». Vide : toutes."),
    )
    price_rule = SelectField(
        _l("Tarif"),
        choices=[
            SelectChoice("forfait", _l("Forfait par session")),
            SelectChoice("par_jour", _l("Prix par jour")),
            SelectChoice("quotient", _l("Selon le quotient familial (par jour)")),
        ],
    )
    price = StringField(
        _l("Prix (€)"), filters=[strip], description=_l("Forfait ou prix par jour, par exemple 12,50.")
    )
    quotient_bands = StringField(
        _l("Tranches de quotient"),
        filters=[strip],
        validators=[Length(max=300)],
        description=_l(
            "Plafond:prix en centimes par jour, séparés par « ; », la dernière sans plafond. "
            "Par exemple « 600:350;1200:700;:1100 »."
        ),
    )
    opens_at = DateTimeLocalField(
        _l("Ouverture des inscriptions"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("Heure de Paris."),
    )
    closes_at = DateTimeLocalField(
        _l("Clôture des inscriptions"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    fair_minutes = IntegerField(
        _l("Ouverture équitable (minutes)"),
        default=0,
        validators=[Optional(), NumberRange(0, 1440, _l("Entre 0 et 1 440 minutes."))],
        description=_l(
            "Les demandes reçues pendant ces premières minutes sont classées par "
            "tirage au sort. 0 : premier arrivé, premier servi."
        ),
    )
    draw_criteria = StringField(
        _l("Critères de priorité du tirage"),
        filters=[strip],
        validators=[Length(max=200)],
        description=_l("Par exemple « fratrie:2;residence:1;quotient:1 » (poids ajoutés)."),
    )
    validation_required = BooleanField(_l("Chaque demande est validée par un agent"))
    documents = TextAreaField(
        _l("Documents à fournir"),
        filters=[strip],
        validators=[Length(max=2000)],
        description=_l("Un par ligne."),
    )
    cancel_days = IntegerField(
        _l("Annulation en ligne jusqu'à (jours avant le début)"),
        default=7,
        validators=[InputRequired(_l("Indiquez un nombre de jours.")), NumberRange(0, 365)],
    )


class SessionForm(FlaskForm):  # type: ignore[misc]
    label = StringField(
        _l("Nom de la session"),
        filters=[strip],
        validators=[InputRequired(_l("Donnez un nom à la session.")), Length(max=200)],
    )
    starts_on = DateField(_l("Premier jour"), validators=[InputRequired(_l("Indiquez le premier jour."))])
    ends_on = DateField(_l("Dernier jour"), validators=[InputRequired(_l("Indiquez le dernier jour."))])
    weekdays = Checkboxes(
        _l("Jours d'accueil"),
        choices=WEEKDAYS,
        coerce=str,
        validators=[InputRequired(_l("Cochez au moins un jour."))],
    )
    places = IntegerField(
        _l("Places"),
        validators=[
            InputRequired(_l("Indiquez le nombre de places.")),
            NumberRange(0, 10000, _l("Entre 0 et 10 000 places.")),
        ],
    )


class MoveForm(FlaskForm):  # type: ignore[misc]
    inscription = IntegerField(_l("Inscription"), validators=[InputRequired()])
    session = SelectField(_l("Nouvelle session"), choices=[], validate_choice=False)
