"""Door: forms as data (the studio's form editor, web/studio/formulaires.py, and the task pages).

A user task's form can be a JSON definition stored in the BPMN of its version
(engine/form_storage.py), checked with a JSON Schema and French semantic checks
(engine/form_definitions.py); forms/data_forms.py turns it into a WTForms class.
"""

from __future__ import annotations

from engine import demarche_models, form_definitions, form_storage
from engine.demarche_models import BLOCKS, DemarcheModel
from engine.form_storage import TaskFormInfo

__all__ = [
    "BLOCKS",
    "DECISION_OUTCOMES",
    "FIELD_TYPES",
    "WIDGETS",
    "DemarcheModel",
    "TaskFormInfo",
    "data_form",
    "demarche_from_model",
    "empty_form",
    "form_definition_problems",
    "form_moved",
    "form_with_field",
    "form_without_field",
    "instance_data_forms",
    "published_data_form_keys",
    "task_form",
    "task_forms",
    "with_task_form",
]

FIELD_TYPES = form_definitions.FIELD_TYPES
WIDGETS = form_definitions.WIDGETS
DECISION_OUTCOMES = form_definitions.DECISION_OUTCOMES
form_definition_problems = form_definitions.problems
empty_form = form_definitions.empty
form_with_field = form_definitions.with_field
form_moved = form_definitions.moved
form_without_field = form_definitions.without
task_forms = form_storage.task_forms
task_form = form_storage.task_form
with_task_form = form_storage.with_form
data_form = form_storage.data_form
instance_data_forms = form_storage.instance_data_forms
published_data_form_keys = form_storage.published_data_form_keys
demarche_from_model = demarche_models.bpmn
