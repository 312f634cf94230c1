"""Forms of the démarche « Changement de courriels » (workflows/changement_courriel.bpmn).

The current password is re-entered first (ASVS 7.5.1): the web hook (web/accounts/email_change.py)
checks it with the throttled re-authentication of « Modifier les identifiants ». It never becomes
task data, and it is not a `password_fields` entry either: nothing about it, not even a hash, goes
to the engine.
"""

from __future__ import annotations

from typing import Any

from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from forms.accounts import PASSWORD_MAX, TOO_LONG, at_most
from forms.registry import TaskForm, task_form
from forms.validators import strip

MISMATCH = "Les deux adresses de courriel ne sont pas identiques."


@task_form("changement_courriel.saisie")
class NewEmailForm(TaskForm):
    """New address typed twice, then the current password."""

    submit_label = "Envoyer le lien de vérification"

    nouveau_courriel = EmailField(
        "Nouvelle adresse de courriel",
        filters=[strip],
        validators=[
            DataRequired("Indiquez votre nouvelle adresse de courriel."),
            Email(
                "Cette adresse de courriel n'est pas valable (exemple : prenom.nom@exemple.fr).",
                check_deliverability=False,
            ),
            Length(max=320, message="Cette adresse est trop longue (320 caractères au plus)."),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"},
        description="Par exemple camille.martin@exemple.fr. Un lien de vérification y sera envoyé : "
        "rien ne change avant son ouverture.",
    )
    confirmation_courriel = EmailField(
        "Confirmation de la nouvelle adresse",
        filters=[strip],
        validators=[
            DataRequired("Saisissez de nouveau la nouvelle adresse de courriel."),
            EqualTo("nouveau_courriel", MISMATCH),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"},
        description="La même adresse une seconde fois, pour éviter une faute de frappe.",
    )

    mot_de_passe_actuel = PasswordField(
        "Mot de passe actuel",
        validators=[DataRequired("Saisissez votre mot de passe actuel."), at_most(PASSWORD_MAX, TOO_LONG)],
        render_kw={"autocomplete": "current-password"},
        description="Pour vérifier qu'il s'agit bien de vous.",
    )

    def to_engine_data(self) -> dict[str, Any]:
        """Only the new address: never the password, nor the confirmation."""
        return {"nouveau_courriel": self.nouveau_courriel.data}


@task_form("changement_courriel.verification")
class VerificationForm(TaskForm):
    """Completed only by the link mailed to the new address (GET page, then its POST button)."""

    submit_label = "Confirmer ma nouvelle adresse"
