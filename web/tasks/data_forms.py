"""Forms as data at run time: the registry finds a task's data form through the engine's door.

`forms.registry.get_form_class(form_key, instance_id)` asks this resolver when the formKey is not a
coded form of forms/tasks/: the definition comes from the BPMN of the request's version (or of the
latest version that has it) and forms/data_forms.py builds the WTForms class.
"""

from __future__ import annotations

from typing import Any

from engine import api
from forms.data_form_answers import field_labels, value_labels
from forms.registry import DATA_FORM_RESOLVERS
from web.extensions import db


def resolve(form_key: str, instance_id: int | None) -> dict[str, Any] | None:
    return api.data_form(db.session(), form_key, instance_id)


def data_labels(instance_id: int) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Labels of the fields of the data forms of a request's version, and of their choices' values
    (`forms.data_form_answers.value_labels`); both empty for a coded démarche."""
    labels: dict[str, str] = {}
    choices: dict[str, dict[str, Any]] = {}
    for definition in api.instance_data_forms(db.session(), instance_id):
        labels.update(field_labels(definition))
        choices.update(value_labels(definition))
    return labels, choices


if resolve not in DATA_FORM_RESOLVERS:
    DATA_FORM_RESOLVERS.append(resolve)
