"""Forms of the back office's administration (agents, groups) and of the agents' absences and dossiers."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from forms.accounts import FrenchDateField
from forms.password_policy import StrongPassword
from forms.validators import collapse_spaces, strip
from forms.validators import username as valid_username

ROLE_CHOICES = [
    SelectChoice("agent", _l("Agent (traite les tâches de ses services)")),
    SelectChoice("analyste", _l("Analyste (publie les démarches)")),
    SelectChoice("admin", _l("Administrateur (gère les agents et les groupes)")),
]
POLICY_CHOICES = [
    SelectChoice("aucune", _l("Aucune (file du service)")),
    SelectChoice("tour_de_role", _l("Tour de rôle")),
    SelectChoice("moins_charge", _l("Au moins chargé")),
]

ROLE_ERROR = _l("Choisissez un rôle de la liste.")
POLICY_ERROR = _l("Choisissez une attribution de la liste.")


def _listed(choices: list[SelectChoice], message: str) -> dict[str, Any]:
    """A choice outside the list gets a French message (WTForms' own is English)."""
    return {"validate_choice": False, "validators": [AnyOf([c.value for c in choices], message=message)]}


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    """Several choices as a list of check boxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        values = {choice.value if hasattr(choice, "value") else choice[0] for choice in self.choices or []}
        for value in self.data or []:
            if value not in values:
                raise ValidationError(_l("Ce groupe n'existe pas."))


class AgentForm(FlaskForm):  # type: ignore[misc]
    """« Créer un agent »."""

    username = StringField(
        _l("Nom d'utilisateur"),
        filters=[strip],
        validators=[DataRequired(_l("Indiquez le nom d'utilisateur.")), valid_username],
        render_kw={"autocomplete": "off"},
    )
    email = StringField(
        _l("Adresse de courriel"),
        filters=[strip],
        validators=[
            DataRequired(_l("Indiquez l'adresse de courriel.")),
            Email(_l("Adresse de courriel invalide."), check_deliverability=False),
            Length(max=320),
        ],
        render_kw={"autocomplete": "off", "type": "email"},
    )
    prenom = StringField(
        _l("Prénom"), filters=[strip, collapse_spaces], validators=[Optional(), Length(max=150)]
    )
    nom = StringField(_l("Nom"), filters=[strip, collapse_spaces], validators=[Optional(), Length(max=150)])
    password = StringField(
        _l("Mot de passe provisoire"),
        validators=[DataRequired(_l("Indiquez un mot de passe provisoire.")), StrongPassword()],
        description=_l("Au moins 12 caractères ; l'agent le changera dans « Modifier mon profil »."),
        render_kw={"autocomplete": "new-password", "type": "password"},
    )
    role = SelectField(_l("Rôle"), choices=ROLE_CHOICES, default="agent", **_listed(ROLE_CHOICES, ROLE_ERROR))
    groups = CheckboxesField(_l("Groupes (services)"), choices=[])


class AgentEditForm(FlaskForm):  # type: ignore[misc]
    """An agent's role, groups and account state."""

    role = SelectField(_l("Rôle"), choices=ROLE_CHOICES, **_listed(ROLE_CHOICES, ROLE_ERROR))
    groups = CheckboxesField(_l("Groupes (services)"), choices=[])
    is_enabled = BooleanField(
        _l("Compte actif"),
        description=_l(
            "Décochez pour désactiver le compte : ses sessions "
            "se terminent et ses tâches retournent dans la file de ses services."
        ),
    )


class GroupForm(FlaskForm):  # type: ignore[misc]
    """« Créer un groupe »."""

    name = StringField(
        _l("Nom du groupe"),
        filters=[strip, collapse_spaces],
        validators=[DataRequired(_l("Indiquez le nom du groupe.")), Length(max=100)],
        description=(
            _l("Le nom exact du couloir (lane) BPMN dont ce service traite les tâches, par exemple Accueil.")
        ),
    )
    assignment_policy = SelectField(
        _l("Attribution automatique"),
        choices=POLICY_CHOICES,
        default="aucune",
        **_listed(POLICY_CHOICES, POLICY_ERROR),
    )


class GroupPolicyForm(FlaskForm):  # type: ignore[misc]
    assignment_policy = SelectField(
        _l("Attribution automatique"), choices=POLICY_CHOICES, **_listed(POLICY_CHOICES, POLICY_ERROR)
    )


class AbsenceForm(FlaskForm):  # type: ignore[misc]
    """« Signaler une absence »."""

    starts_on = FrenchDateField(
        _l("Premier jour d'absence"),
        validators=[Optional()],
        description=_l("Facultatif : vide, l'absence commence aujourd'hui. Format attendu : jj/mm/aaaa."),
        render_kw={"type": "date"},
        format=["%Y-%m-%d", "%d/%m/%Y"],
    )
    ends_on = FrenchDateField(
        _l("Dernier jour d'absence"),
        validators=[Optional()],
        description=(
            _l(
                "Facultatif : vide, l'absence dure jusqu'à « Je suis de retour ». "
                "Format attendu : jj/mm/aaaa."
            )
        ),
        render_kw={"type": "date"},
        format=["%Y-%m-%d", "%d/%m/%Y"],
    )
    mode = RadioField(
        _l("Mes tâches en cours"),
        choices=[
            SelectChoice("groupe", _l("Les remettre dans la file de mon service")),
            SelectChoice("collegue", _l("Les confier à un collègue de mon service")),
        ],
        default="groupe",
        validate_choice=False,
        validators=[
            InputRequired(_l("Choisissez ce que deviennent les tâches.")),
            AnyOf(["groupe", "collegue"], _l("Choisissez ce que deviennent les tâches.")),
        ],
    )
    delegate = SelectField(_l("Collègue"), choices=[], validate_choice=False)

    def validate_delegate(self, field: Any) -> None:
        if self.mode.data == "collegue" and not field.data:
            raise ValidationError(_l("Choisissez le collègue à qui confier les tâches."))

    def validate_ends_on(self, field: Any) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("Le dernier jour doit suivre le premier jour d'absence."))


class InternalCommentForm(FlaskForm):  # type: ignore[misc]
    """« Ajouter un commentaire interne » on the dossier page."""

    commentaire = TextAreaField(
        _l("Commentaire interne à ajouter"),
        filters=[strip],
        validators=[
            DataRequired(_l("Écrivez le commentaire.")),
            Length(max=2000, message=_l("2000 caractères au plus.")),
        ],
        description=_l("Réservé aux agents : jamais montré à la famille."),
    )
