"""Deploy-time checks of a démarche's BPMN, each problem a French message naming the element."""

from __future__ import annotations

import keyword
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from lxml import etree

from .catalogue import lint_properties
from .deadlines import timer_problems
from .expressions import Place, places
from .form_storage import has_data_form
from .models import REQUESTER_LANE
from .runtime import (
    NS,
    SERVICES,
    SPIFF_NS,
    MultiInstanceTask,
    ServiceTask,
    SpecBundle,
    StandardLoopTask,
    UserTask,
    find_process,
)
from .scripts import check_expression, protected_name

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
                elif form_key not in ctx.form_keys and not has_data_form(root, task_spec.bpmn_id):
                    errors.append(f"{where} : le formulaire « {form_key} » n'est pas enregistré")
            elif isinstance(task_spec, ServiceTask) and task_spec.operation_name not in SERVICES:
                errors.append(f"{where} : l'opération de service « {task_spec.operation_name} » n'existe pas")

    for timer, problem in timer_problems(root, ISO_DURATION):
        errors.append(f"Minuterie {_describe(timer)} : {problem}")
    errors.extend(_expression_problems(root, bundle, elements))
    return errors


#: Most instances a multi-instance task may run, and most turns of a standard loop (loopMaximum).
MAX_LOOP = 100


def variable_name_problem(name: str) -> str | None:
    """Why a name SpiffWorkflow writes into the task data is refused, if it is."""
    if not name.isidentifier() or keyword.iskeyword(name):
        return "n'est pas un nom de variable Python"
    if protected_name(name):
        return "masquerait un nom réservé de l'environnement des scripts"
    return None


def _expression_problems(
    root: etree._Element, bundle: SpecBundle, elements: dict[str, etree._Element]
) -> list[str]:
    """Check every expression SpiffWorkflow may evaluate: those of the parsed specs, found generically
    (engine/expressions.py), and, as a second net, those of the XML tags known to hold Python."""
    errors: list[str] = []
    process = find_process(root, bundle.process_id)
    specs = [bundle.spec, *bundle.subprocess_specs.values()]
    checked: set[tuple[str, str]] = set()  # (source, mode)

    def owner_of(place: Place) -> str:
        element = elements.get(place.bpmn_id)
        if element is None and process is not None and place.bpmn_id == bundle.process_id:
            element = process
        return _describe(element) if element is not None else f"({place.bpmn_id})"

    # The XML tags known to hold Python first: they name the precise element (the sequence flow of a
    # condition, the timer definition); then every expression of the parsed specs not seen there.
    for owner, source, mode in _expressions(root):
        checked.add((source.strip(), mode))
        for problem in check_expression(source, mode=mode):
            errors.append(
                f"Élément {_describe(owner)} : expression « {source.strip()[:80]} » refusée, {problem}"
            )
    for place in places(specs):
        where = f"Élément {owner_of(place)}"
        if place.kind in {"eval", "exec"}:
            if (place.source.strip(), place.kind) in checked:
                continue
            checked.add((place.source.strip(), place.kind))
            for problem in check_expression(place.source, mode=place.kind):
                errors.append(f"{where} : expression « {place.source.strip()[:80]} » refusée, {problem}")
        elif place.kind == "variable":
            problem = variable_name_problem(place.source)
            if problem:
                errors.append(f"{where} : le nom « {place.source[:80]} » ({place.what}) {problem}")
        else:
            errors.append(
                f"{where} : {place.what} (« {place.source[:80]} ») n'est pas pris en charge par Guichet"
            )
    for process_spec in specs:
        for task_spec in process_spec.task_specs.values():
            element = elements.get(getattr(task_spec, "bpmn_id", None) or "")
            if element is None:
                continue
            if isinstance(task_spec, StandardLoopTask) and not (
                task_spec.maximum is not None and 0 < task_spec.maximum <= MAX_LOOP
            ):
                errors.append(
                    f"Élément {_describe(element)} : une boucle doit avoir un nombre maximal de tours "
                    f"(loopMaximum) entre 1 et {MAX_LOOP}"
                )
            cardinality = getattr(task_spec, "cardinality", None)
            constant = isinstance(cardinality, str) and cardinality.strip().isdigit()
            if isinstance(task_spec, MultiInstanceTask) and constant and int(cardinality) > MAX_LOOP:
                where = f"Élément {_describe(element)}"
                errors.append(f"{where} : au plus {MAX_LOOP} instances (loopCardinality)")
    return errors
