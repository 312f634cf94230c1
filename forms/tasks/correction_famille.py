"""Forms of the démarche « Correction de mon dossier famille »."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from forms.fields import agents_only_comment_field
from forms.registry import TaskForm, task_form
from forms.validators import RequiredIf, collapse_spaces, strip

CHILD_FIELDS = [
    SelectChoice("ecole", _l("École")),
    SelectChoice("classe", _l("Classe")),
    SelectChoice("date_naissance", _l("Date de naissance")),
    SelectChoice("nom", _l("Nom")),
    SelectChoice("prenom", _l("Prénom")),
]


@task_form("correction_famille.saisie")
class CorrectionRequestForm(TaskForm):
    """The family says what is wrong in its record; the Enfance service checks it before anything changes.

    The children's list (`enfant`) is filled by web/famille/hooks.py from the family's own record, and the
    chosen child is checked there again: a family can only name its own children.
    """

    submit_label = _l("Envoyer ma demande")
    unlisted_answers = ("enfant",)  # the child's id: `resume_correction` names the child

    objet = RadioField(
        _l("Que faut-il corriger ?"),
        choices=[
            SelectChoice("enfant", _l("Une information sur un de mes enfants")),
            SelectChoice("autre", _l("Autre chose (responsables, adresse, activités…)")),
        ],
        validators=[InputRequired(_l("Choisissez ce qu'il faut corriger."))],
    )
    enfant = SelectField(
        _l("Enfant concerné"),
        choices=[],
        validate_choice=False,
        validators=[RequiredIf("objet", "enfant", _l("Choisissez l'enfant concerné."))],
    )
    champ = RadioField(
        _l("Information à corriger"),
        choices=CHILD_FIELDS,
        validate_choice=False,
        validators=[RequiredIf("objet", "enfant", _l("Choisissez l'information à corriger."))],
    )
    nouvelle_valeur = StringField(
        _l("Valeur correcte"),
        filters=[strip, collapse_spaces],
        validators=[
            RequiredIf("objet", "enfant", _l("Indiquez la valeur correcte.")),
            Length(max=200, message=_l("La valeur fait 200 caractères au plus.")),
        ],
        description=_l("Par exemple « École élémentaire Jean Macé », « CE2 » ou, pour une date, 14/03/2017."),
    )
    precisions = TextAreaField(
        _l("Précisions"),
        filters=[strip],
        validators=[
            RequiredIf("objet", "autre", _l("Décrivez la correction à apporter.")),
            Length(max=2000, message=_l("Les précisions font 2 000 caractères au plus.")),
        ],
        description=_l("Obligatoire pour « Autre chose » : dites ce qui est faux et ce qui est juste."),
    )
    # Written by the server (web/famille/operations.py) from the checked answers, for the agent's page.
    resume_correction = HiddenField(_l("Correction demandée"))


@task_form("correction_famille.instruction")
class CorrectionDecisionForm(TaskForm):
    """An agent of the Enfance service accepts (the record is then corrected) or refuses."""

    submit_label = _l("Enregistrer la décision")
    public_comment_field = "motif"
    internal_comment_field = "commentaire_interne"

    decision = RadioField(
        _l("Décision"),
        choices=[
            SelectChoice("acceptee", _l("Accepter : corriger le dossier")),
            SelectChoice("refusee", _l("Refuser la demande")),
        ],
        validators=[InputRequired(_l("Choisissez une décision."))],
        description=_l(
            "Une correction sur un enfant est appliquée au dossier à l'acceptation. Pour « Autre "
            "chose », corrigez d'abord le dossier dans « Dossiers famille », puis acceptez."
        ),
    )
    motif = TextAreaField(
        _l("Message à la famille"),
        filters=[strip],
        validators=[
            RequiredIf("decision", "refusee", _l("Indiquez le motif du refus : la famille le lira.")),
            Length(max=2000),
        ],
        description=_l(
            "Visible par la famille dans l'historique de sa demande. Obligatoire en cas de refus."
        ),
    )
    commentaire_interne = agents_only_comment_field()
