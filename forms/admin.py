"""Forms of the back office's administration (agents, groups) and of the agents' absences and dossiers."""

from __future__ import annotations

from typing import Any

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
    SelectChoice("agent", "Agent (traite les tâches de ses services)"),
    SelectChoice("analyste", "Analyste (publie les démarches)"),
    SelectChoice("admin", "Administrateur (gère les agents et les groupes)"),
]
POLICY_CHOICES = [
    SelectChoice("aucune", "Aucune (file du service)"),
    SelectChoice("tour_de_role", "Tour de rôle"),
    SelectChoice("moins_charge", "Au moins chargé"),
]

ROLE_ERROR = "Choisissez un rôle de la liste."
POLICY_ERROR = "Choisissez une attribution de la liste."


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
                raise ValidationError("Ce groupe n'existe pas.")


class AgentForm(FlaskForm):  # type: ignore[misc]
    """« Créer un agent »."""

    username = StringField(
        "Nom d'utilisateur",
        filters=[strip],
        validators=[DataRequired("Indiquez le nom d'utilisateur."), valid_username],
        render_kw={"autocomplete": "off"},
    )
    email = StringField(
        "Adresse de courriel",
        filters=[strip],
        validators=[
            DataRequired("Indiquez l'adresse de courriel."),
            Email("Adresse de courriel invalide.", check_deliverability=False),
            Length(max=320),
        ],
        render_kw={"autocomplete": "off", "type": "email"},
    )
    prenom = StringField("Prénom", filters=[strip, collapse_spaces], validators=[Optional(), Length(max=150)])
    nom = StringField("Nom", filters=[strip, collapse_spaces], validators=[Optional(), Length(max=150)])
    password = StringField(
        "Mot de passe provisoire",
        validators=[DataRequired("Indiquez un mot de passe provisoire."), StrongPassword()],
        description="Au moins 12 caractères ; l'agent le changera dans « Modifier mon profil ».",
        render_kw={"autocomplete": "new-password", "type": "password"},
    )
    role = SelectField("Rôle", choices=ROLE_CHOICES, default="agent", **_listed(ROLE_CHOICES, ROLE_ERROR))
    groups = CheckboxesField("Groupes (services)", choices=[])


class AgentEditForm(FlaskForm):  # type: ignore[misc]
    """An agent's role, groups and account state."""

    role = SelectField("Rôle", choices=ROLE_CHOICES, **_listed(ROLE_CHOICES, ROLE_ERROR))
    groups = CheckboxesField("Groupes (services)", choices=[])
    is_enabled = BooleanField(
        "Compte actif",
        description="Décochez pour désactiver le compte : ses sessions "
        "se terminent et ses tâches retournent dans la file de ses services.",
    )


class GroupForm(FlaskForm):  # type: ignore[misc]
    """« Créer un groupe »."""

    name = StringField(
        "Nom du groupe",
        filters=[strip, collapse_spaces],
        validators=[DataRequired("Indiquez le nom du groupe."), Length(max=100)],
        description=(
            "Le nom exact du couloir (lane) BPMN dont ce service traite les tâches, par exemple Accueil."
        ),
    )
    assignment_policy = SelectField(
        "Attribution automatique",
        choices=POLICY_CHOICES,
        default="aucune",
        **_listed(POLICY_CHOICES, POLICY_ERROR),
    )


class GroupPolicyForm(FlaskForm):  # type: ignore[misc]
    assignment_policy = SelectField(
        "Attribution automatique", choices=POLICY_CHOICES, **_listed(POLICY_CHOICES, POLICY_ERROR)
    )


class AbsenceForm(FlaskForm):  # type: ignore[misc]
    """« Signaler une absence »."""

    starts_on = FrenchDateField(
        "Premier jour d'absence",
        validators=[Optional()],
        description="Facultatif : vide, l'absence commence aujourd'hui. Format attendu : jj/mm/aaaa.",
        render_kw={"type": "date"},
        format=["%Y-%m-%d", "%d/%m/%Y"],
    )
    ends_on = FrenchDateField(
        "Dernier jour d'absence",
        validators=[Optional()],
        description=(
            "Facultatif : vide, l'absence dure jusqu'à « Je suis de retour ». Format attendu : jj/mm/aaaa."
        ),
        render_kw={"type": "date"},
        format=["%Y-%m-%d", "%d/%m/%Y"],
    )
    mode = RadioField(
        "Mes tâches en cours",
        choices=[
            SelectChoice("groupe", "Les remettre dans la file de mon service"),
            SelectChoice("collegue", "Les confier à un collègue de mon service"),
        ],
        default="groupe",
        validate_choice=False,
        validators=[
            InputRequired("Choisissez ce que deviennent les tâches."),
            AnyOf(["groupe", "collegue"], "Choisissez ce que deviennent les tâches."),
        ],
    )
    delegate = SelectField("Collègue", choices=[], validate_choice=False)

    def validate_delegate(self, field: Any) -> None:
        if self.mode.data == "collegue" and not field.data:
            raise ValidationError("Choisissez le collègue à qui confier les tâches.")

    def validate_ends_on(self, field: Any) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("Le dernier jour doit suivre le premier jour d'absence.")


class InternalCommentForm(FlaskForm):  # type: ignore[misc]
    """« Ajouter un commentaire interne » on the dossier page."""

    commentaire = TextAreaField(
        "Commentaire interne à ajouter",
        filters=[strip],
        validators=[
            DataRequired("Écrivez le commentaire."),
            Length(max=2000, message="2000 caractères au plus."),
        ],
        description="Réservé aux agents : jamais montré à la famille.",
    )
