"""Every place SpiffWorkflow evaluates Python, found by walking the parsed specs.

SpiffWorkflow evaluates gateway conditions, loop and multi-instance expressions, timer, conditional,
message, signal, error and escalation expressions, correlation expressions, scripts, pre- and
post-scripts, service parameters and ad-hoc completion conditions. Rather than list the BPMN tags
by hand, the linter walks every attribute of every parsed task spec (and of its event definitions,
conditions and correlation properties) and of every process spec, and classifies each string it
meets by the attribute that holds it:

- an *expression* or *script* attribute (`EXPRESSION_ATTRIBUTES`): checked by the AST allowlist;
- a *variable* attribute (`VARIABLE_ATTRIBUTES`): a name SpiffWorkflow writes into the task data;
- a *plain* attribute (`PLAIN_ATTRIBUTES`): an id, a name, a label, never evaluated;
- anything else is *unclassified* and the diagram is refused: a SpiffWorkflow feature Guichet has
  not reviewed cannot slip an unchecked expression in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_task_spec import _BpmnCondition
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.specs.WorkflowSpec import WorkflowSpec

from . import stored_messages as stored
from .i18n import N_
from .stored_messages import french

#: attribute → (mode, what it is, in French)
EXPRESSION_ATTRIBUTES: dict[str, tuple[str, str]] = {
    "script": ("exec", N_("script")),
    "prescript": ("exec", N_("script avant la tâche (preScript)")),
    "postscript": ("exec", N_("script après la tâche (postScript)")),
    "expression": ("eval", N_("expression")),
    "condition": ("eval", N_("condition")),
    "cardinality": ("eval", N_("nombre d'instances (loopCardinality)")),
    "retrieval_expression": ("eval", N_("expression de corrélation")),
    "completion_condition": ("eval", N_("condition de fin (completionCondition)")),
}
#: Names SpiffWorkflow writes task data under.
VARIABLE_ATTRIBUTES = {"result_variable", "message_var", "variable"}
#: Strings SpiffWorkflow never evaluates (ids, names, labels, links between specs).
PLAIN_ATTRIBUTES = {
    "name",
    "bpmn_id",
    "bpmn_name",
    "lane",
    "description",
    "documentation",
    "file",
    "code",
    "operation_name",
    "task_spec",
    "spec",
    "default_task_spec",
    "split_task",
    "_inputs",
    "_outputs",
    "correlation_keys",
    "cond_task_specs",
    "typename",
}
#: Attributes not walked: `extensions` holds Guichet's own properties and copies of the attributes
#: above (preScript, serviceTaskOperator), read from the spec attributes instead.
SKIPPED_ATTRIBUTES = {"extensions", "event_type"}


@dataclass(frozen=True)
class Place:
    """One piece of Python in a diagram, or one name written into the task data."""

    bpmn_id: str  # the BPMN element (or process) it belongs to
    attribute: str  # dotted path from the task spec, e.g. "event_definition.expression"
    what: str  # French, e.g. N_("condition de fin (completionCondition)")
    source: str
    kind: str  # "eval", "exec", "variable" or "unclassified"


def _walk(obj: Any, path: str, attr: str, owner: str, seen: set[int]) -> Iterator[Place]:
    if isinstance(obj, str):
        yield from _classify(obj, path, attr, owner)
        return
    if obj is None or isinstance(obj, (bool, int, float, type)):
        return
    if id(obj) in seen or isinstance(obj, (TaskSpec, WorkflowSpec)):
        return  # other specs are walked on their own
    seen.add(id(obj))
    if isinstance(obj, _BpmnCondition):
        for source in obj.args:
            yield Place(owner, f"{path}.args", N_("condition du flux sortant"), source, "eval")
        return
    if isinstance(obj, dict):
        if attr == "operation_params":
            for name, param in obj.items():
                source = param.get("value") or ""
                yield Place(owner, f"{path}[{name}]", french(stored.PARAMETER, name=name), source, "eval")
            return
        for key, value in obj.items():
            yield from _walk(value, f"{path}[{key!r}]", attr, owner, seen)
        return
    if isinstance(obj, (list, tuple, set, frozenset)):
        for index, value in enumerate(obj):
            yield from _walk(value, f"{path}[{index}]", attr, owner, seen)
        return
    if hasattr(obj, "__dict__"):
        for key, value in vars(obj).items():
            if key not in SKIPPED_ATTRIBUTES:
                yield from _walk(value, f"{path}.{key}" if path else key, key, owner, seen)
        return
    yield Place(
        owner, path, french(stored.VALUE_OF_TYPE, type=type(obj).__name__), repr(obj)[:80], "unclassified"
    )


def _classify(value: str, path: str, attr: str, owner: str) -> Iterator[Place]:
    if attr in EXPRESSION_ATTRIBUTES:
        mode, what = EXPRESSION_ATTRIBUTES[attr]
        yield Place(owner, path, what, value, mode)
    elif attr in VARIABLE_ATTRIBUTES:
        yield Place(owner, path, N_("nom de variable"), value, "variable")
    elif attr not in PLAIN_ATTRIBUTES:
        yield Place(owner, path, french(stored.ATTRIBUTE, name=attr), value, "unclassified")


def _task_data_references(task_spec: Any) -> Iterator[Place]:
    # Multi-instance input and output items name task data variables (TaskDataReference.bpmn_id).
    owner = getattr(task_spec, "bpmn_id", None) or task_spec.name
    for attr in ("data_input", "data_output", "input_item", "output_item"):
        reference = getattr(task_spec, attr, None)
        if reference is not None and getattr(reference, "bpmn_id", None):
            yield Place(owner, attr, N_("nom de variable"), reference.bpmn_id, "variable")


def places(process_specs: list[Any]) -> list[Place]:
    """Every expression, script, task-data name and unreviewed string of the parsed specs."""
    found: list[Place] = []
    for process_spec in process_specs:
        process_owner = process_spec.name
        for key, value in vars(process_spec).items():
            if key in {"task_specs", *SKIPPED_ATTRIBUTES}:
                continue
            found.extend(_walk(value, key, key, process_owner, set()))
        for name in getattr(process_spec, "data_objects", {}) or {}:
            found.append(Place(process_owner, "data_objects", N_("nom d'objet de données"), name, "variable"))
        for task_spec in process_spec.task_specs.values():
            owner = getattr(task_spec, "bpmn_id", None) or task_spec.name
            for key, value in vars(task_spec).items():
                if key in {"inputs", "outputs", "data_objects", *SKIPPED_ATTRIBUTES}:
                    continue
                found.extend(_walk(value, key, key, owner, set()))
            found.extend(_task_data_references(task_spec))
    # TaskDataReference objects are walked too; their bpmn_id is a plain attribute there.
    return list(dict.fromkeys(found))
