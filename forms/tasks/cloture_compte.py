"""Forms of « Clôturer mon compte » (workflows/cloture_compte.bpmn)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired

from forms.registry import TaskForm, task_form
from forms.tasks.decision import DecisionForm


@task_form("cloture_compte.confirmation")
class ClosureConfirmationForm(TaskForm):
    """The family confirms with its password (checked by web/donnees/closure.py, never stored)."""

    submit_label = _l("Clôturer mon compte")

    confirmation = BooleanField(
        _l(
            "Je demande la clôture de mon compte : "
            "mes demandes en cours seront annulées et mes données effacées"
        ),
        validators=[DataRequired(_l("Cochez la case pour confirmer la clôture de votre compte."))],
    )
    mot_de_passe_actuel = PasswordField(
        _l("Mot de passe actuel"),
        validators=[DataRequired(_l("Saisissez votre mot de passe actuel."))],
        render_kw={"autocomplete": "current-password"},
        description=_l("Pour vérifier qu'il s'agit bien de vous."),
    )

    def to_engine_data(self) -> dict[str, Any]:
        """Only the confirmation: never the password."""
        return {"confirmation": bool(self.confirmation.data)}


@task_form("cloture_compte.revue")
class ClosureReviewForm(DecisionForm):
    """An agent of the Accueil service reviews a closure that needs it (e.g. an unpaid invoice)."""
