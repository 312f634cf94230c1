"""Forms of the démarche « Changement de courriels » (workflows/changement_courriel.bpmn).

The current password is re-entered first (ASVS 7.5.1): the web hook (web/accounts/email_change.py)
checks it with the throttled re-authentication of « Modifier les identifiants ». It never becomes
task data, and it is not a `password_fields` entry either: nothing about it, not even a hash, goes
to the engine.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from forms.accounts import PASSWORD_MAX, TOO_LONG, at_most
from forms.registry import TaskForm, task_form
from forms.validators import strip

MISMATCH = _l("Les deux adresses de courriel ne sont pas identiques.")


@task_form("changement_courriel.saisie")
class NewEmailForm(TaskForm):
    """New address typed twice, then the current password."""

    submit_label = _l("Envoyer le lien de vérification")

    nouveau_courriel = EmailField(
        _l("Nouvelle adresse de courriel"),
        filters=[strip],
        validators=[
            DataRequired(_l("Indiquez votre nouvelle adresse de courriel.")),
            Email(
                _l("Cette adresse de courriel n'est pas valable (exemple : prenom.nom@exemple.fr)."),
                check_deliverability=False,
            ),
            Length(max=320, message=_l("Cette adresse est trop longue (320 caractères au plus).")),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"},
        description=_l(
            "Par exemple camille.martin@exemple.fr. Un lien de vérification y sera envoyé : "
            "rien ne change avant son ouverture."
        ),
    )
    confirmation_courriel = EmailField(
        _l("Confirmation de la nouvelle adresse"),
        filters=[strip],
        validators=[
            DataRequired(_l("Saisissez de nouveau la nouvelle adresse de courriel.")),
            EqualTo("nouveau_courriel", MISMATCH),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"},
        description=_l("La même adresse une seconde fois, pour éviter une faute de frappe."),
    )

    mot_de_passe_actuel = PasswordField(
        _l("Mot de passe actuel"),
        validators=[
            DataRequired(_l("Saisissez votre mot de passe actuel.")),
            at_most(PASSWORD_MAX, TOO_LONG),
        ],
        render_kw={"autocomplete": "current-password"},
        description=_l("Pour vérifier qu'il s'agit bien de vous."),
    )

    def to_engine_data(self) -> dict[str, Any]:
        """Only the new address: never the password, nor the confirmation."""
        return {"nouveau_courriel": self.nouveau_courriel.data}


@task_form("changement_courriel.verification")
class VerificationForm(TaskForm):
    """Completed only by the link mailed to the new address (GET page, then its POST button)."""

    submit_label = _l("Confirmer ma nouvelle adresse")
