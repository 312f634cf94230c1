"""Deploy-time checks of a démarche's BPMN, each problem a French message naming the element."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from lxml import etree

from .catalogue import lint_properties
from .deadlines import timer_problems
from .models import REQUESTER_LANE
from .runtime import NS, SERVICES, SPIFF_NS, ServiceTask, SpecBundle, UserTask, find_process
from .scripts import check_expression

# A non-zero ISO 8601 duration with whole numbers: P30D, P2M, P1Y6M, PT48H, P1DT12H.
ISO_DURATION = re.compile(
    r"^P(?=\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$|^PT(?=\d)(\d+H)?(\d+M)?(\d+S)?$"
)


@dataclass(frozen=True)
class LintContext:
    """What the deployment site knows: registered form keys and agent groups (lanes)."""

    form_keys: Collection[str]
    lanes: Collection[str]


def _describe(element: etree._Element) -> str:
    name = element.get("name")
    ident = element.get("id", "?")
    return f"« {name} » ({ident})" if name else f"({ident})"


def _owner(element: etree._Element) -> etree._Element:
    # spiffworkflow:* ids are not BPMN ids (a parameter's id is its name, an operator's its operation).
    node = element
    while node.getparent() is not None and (node.get("id") is None or node.tag.startswith(f"{{{SPIFF_NS}}}")):
        node = node.getparent()
    return node


def _expressions(root: etree._Element) -> Iterable[tuple[etree._Element, str, str]]:
    """Yield (owner element, source, mode) for every piece of Python in the diagram."""
    for tag in ("conditionExpression", "timeDuration", "timeDate", "timeCycle"):
        for node in root.iterfind(f".//bpmn:{tag}", NS):
            if (node.text or "").strip():
                yield _owner(node), node.text.strip(), "eval"
    for node in root.iterfind(".//bpmn:scriptTask/bpmn:script", NS):
        if (node.text or "").strip():
            yield _owner(node), node.text, "exec"
    for tag in ("preScript", "postScript"):
        for node in root.iterfind(f".//spiffworkflow:{tag}", NS):
            if (node.text or "").strip():
                yield _owner(node), node.text, "exec"
    for node in root.iter(f"{{{SPIFF_NS}}}parameter"):
        if node.get("value"):
            yield _owner(node), node.get("value", ""), "eval"


def lint(root: etree._Element, bundle: SpecBundle, ctx: LintContext) -> list[str]:
    """Return every problem found; an empty list means the diagram may be deployed."""
    errors: list[str] = []
    process = find_process(root, bundle.process_id)
    if process is None or not process.get("name"):
        errors.append(f"Processus ({bundle.process_id}) : un nom (titre de la démarche) est obligatoire")
    max_duration = bundle.props(bundle.process_id).get("dureeMaximale")
    if not max_duration:
        errors.append(
            f"Processus ({bundle.process_id}) : la propriété « dureeMaximale » (durée ISO 8601, "
            "par exemple P30D) est obligatoire"
        )
    elif not ISO_DURATION.match(max_duration):
        errors.append(f"Processus ({bundle.process_id}) : « dureeMaximale » n'est pas une durée ISO 8601")
    errors.extend(lint_properties(bundle.props(bundle.process_id), bundle.process_id))

    known_lanes = {REQUESTER_LANE, *ctx.lanes}
    elements = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    specs = [bundle.spec, *bundle.subprocess_specs.values()]
    for process_spec in specs:
        for task_spec in process_spec.task_specs.values():
            element = elements.get(getattr(task_spec, "bpmn_id", None))
            if element is None:
                continue
            where = f"Tâche {_describe(element)}"
            if isinstance(task_spec, UserTask):
                if not task_spec.lane:
                    errors.append(f"{where} : une tâche utilisateur doit être placée dans un couloir (lane)")
                elif task_spec.lane not in known_lanes:
                    errors.append(
                        f"{where} : le couloir « {task_spec.lane} » ne correspond à aucun groupe d'agents "
                        f"(connus : {', '.join(sorted(known_lanes))})"
                    )
                form_key = bundle.props(task_spec.bpmn_id).get("formKey")
                if not form_key:
                    errors.append(f"{where} : la propriété « formKey » est obligatoire")
                elif form_key not in ctx.form_keys:
                    errors.append(f"{where} : le formulaire « {form_key} » n'est pas enregistré")
            elif isinstance(task_spec, ServiceTask) and task_spec.operation_name not in SERVICES:
                errors.append(f"{where} : l'opération de service « {task_spec.operation_name} » n'existe pas")

    for timer, problem in timer_problems(root, ISO_DURATION):
        errors.append(f"Minuterie {_describe(timer)} : {problem}")
    for owner, source, mode in _expressions(root):
        for problem in check_expression(source, mode=mode):
            errors.append(
                f"Élément {_describe(owner)} : expression « {source.strip()[:80]} » refusée, {problem}"
            )
    return errors
