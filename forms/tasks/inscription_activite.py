"""Forms of the démarche « Inscription à une activité » (the family's request is made on the activity's
page, web/activites/views.py with forms/activites.py; the démarche follows it)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from forms.registry import task_form
from forms.tasks.decision import DecisionForm


@task_form("inscription_activite.validation")
class EnrolmentValidationForm(DecisionForm):
    """An agent of the activity's service checks the request (documents, situation): accepted, the places
    given stay; refused, they are freed and go to the waiting list."""

    submit_label = _l("Enregistrer la décision")
