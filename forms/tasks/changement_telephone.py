"""Forms of the démarche « Changement de téléphones »."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.validators import ValidationError

from forms.fields import phone_field
from forms.registry import TaskForm, task_form
from forms.tasks.decision import DecisionForm

AT_LEAST_ONE_NUMBER = _l("Indiquez au moins un numéro : téléphone fixe ou mobile.")


@task_form("changement_telephone.saisie")
class NewPhonesForm(TaskForm):
    """The family types its new numbers (E.164 once validated); at least one of the two."""

    submit_label = _l("Envoyer ma demande")

    telephone = phone_field(_l("Téléphone"), "01 23 45 67 89")
    mobile = phone_field(_l("Mobile"), "06 12 34 56 78")

    def validate_telephone(self, field: Field) -> None:
        # Runs after phone_number: an empty number is None by then; `mobile` is not validated yet.
        if not (field.data or "").strip() and not (self.mobile.data or "").strip():
            raise ValidationError(AT_LEAST_ONE_NUMBER)


@task_form("changement_telephone.instruction")
class PhonesDecisionForm(DecisionForm):
    """An agent of the Accueil service accepts or refuses the new numbers."""
