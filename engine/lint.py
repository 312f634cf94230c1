"""Deploy-time checks of a démarche's BPMN, each problem a French message naming the element."""

from __future__ import annotations

import keyword
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from .catalogue import lint_properties
from .deadlines import timer_problems
from .expressions import Place, places
from .form_storage import has_data_form
from .i18n import _
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
from .stored_messages import translate_stored

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


def _refused(element: str, source: str, problem: str) -> str:
    return _(
        "Élément %(element)s : expression « %(source)s » refusée, %(problem)s",
        element=element,
        source=source.strip()[:80],
        problem=translate_stored(problem),
    )


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


def _process_problems(root: etree._Element, bundle: SpecBundle) -> list[str]:
    errors: list[str] = []
    process = find_process(root, bundle.process_id)
    if process is None or not process.get("name"):
        errors.append(
            _("Processus (%(id)s) : un nom (titre de la démarche) est obligatoire", id=bundle.process_id)
        )
    max_duration = bundle.props(bundle.process_id).get("dureeMaximale")
    if not max_duration:
        errors.append(
            _(
                "Processus (%(id)s) : la propriété « dureeMaximale » (durée ISO 8601, par exemple P30D) "
                "est obligatoire",
                id=bundle.process_id,
            )
        )
    elif not ISO_DURATION.match(max_duration):
        errors.append(
            _("Processus (%(id)s) : « dureeMaximale » n'est pas une durée ISO 8601", id=bundle.process_id)
        )
    return errors


def lint(root: etree._Element, bundle: SpecBundle, ctx: LintContext) -> list[str]:
    """Return every problem found; an empty list means the diagram may be deployed."""
    errors = _process_problems(root, bundle)
    errors.extend(lint_properties(bundle.props(bundle.process_id), bundle.process_id))

    known_lanes = {REQUESTER_LANE, *ctx.lanes}
    elements = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    specs = [bundle.spec, *bundle.subprocess_specs.values()]
    for process_spec in specs:
        for task_spec in process_spec.task_specs.values():
            element = elements.get(getattr(task_spec, "bpmn_id", None))
            if element is None:
                continue
            where = _("Tâche %(element)s", element=_describe(element))
            if isinstance(task_spec, UserTask):
                if not task_spec.lane:
                    errors.append(
                        _(
                            "%(where)s : une tâche utilisateur doit être placée dans un couloir (lane)",
                            where=where,
                        )
                    )
                elif task_spec.lane not in known_lanes:
                    errors.append(
                        _(
                            "%(where)s : le couloir « %(lane)s » ne correspond à aucun groupe d'agents "
                            "(connus : %(known)s)",
                            where=where,
                            lane=task_spec.lane,
                            known=", ".join(sorted(known_lanes)),
                        )
                    )
                form_key = bundle.props(task_spec.bpmn_id).get("formKey")
                if not form_key:
                    errors.append(_("%(where)s : la propriété « formKey » est obligatoire", where=where))
                elif form_key not in ctx.form_keys and not has_data_form(root, task_spec.bpmn_id):
                    errors.append(
                        _(
                            "%(where)s : le formulaire « %(key)s » n'est pas enregistré",
                            where=where,
                            key=form_key,
                        )
                    )
            elif isinstance(task_spec, ServiceTask) and task_spec.operation_name not in SERVICES:
                errors.append(
                    _(
                        "%(where)s : l'opération de service « %(name)s » n'existe pas",
                        where=where,
                        name=task_spec.operation_name,
                    )
                )

    for timer, problem in timer_problems(root, ISO_DURATION):
        errors.append(_("Minuterie %(element)s : %(problem)s", element=_describe(timer), problem=problem))
    errors.extend(_expression_problems(root, bundle, elements))
    return errors


#: Most instances a multi-instance task may run, and most turns of a standard loop (loopMaximum).
MAX_LOOP = 100


def variable_name_problem(name: str) -> str | None:
    """Why a name SpiffWorkflow writes into the task data is refused, if it is."""
    if not name.isidentifier() or keyword.iskeyword(name):
        return _("n'est pas un nom de variable Python")
    if protected_name(name):
        return _("masquerait un nom réservé de l'environnement des scripts")
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
            errors.append(_refused(_describe(owner), source, problem))
    for place in places(specs):
        where = _("Élément %(element)s", element=owner_of(place))
        if place.kind in {"eval", "exec"}:
            if (place.source.strip(), place.kind) in checked:
                continue
            checked.add((place.source.strip(), place.kind))
            for problem in check_expression(place.source, mode=place.kind):
                errors.append(_refused(owner_of(place), place.source, problem))
        elif place.kind == "variable":
            problem = variable_name_problem(place.source)
            if problem:
                errors.append(
                    _(
                        "%(where)s : le nom « %(name)s » (%(what)s) %(problem)s",
                        where=where,
                        name=place.source[:80],
                        what=translate_stored(place.what),
                        problem=problem,
                    )
                )
        else:
            errors.append(
                _(
                    "%(where)s : %(what)s (« %(source)s ») n'est pas pris en charge par Guichet",
                    where=where,
                    what=translate_stored(place.what),
                    source=place.source[:80],
                )
            )
    errors.extend(_loop_problems(specs, elements))
    return errors


def _loop_problems(specs: list[Any], elements: dict[str, etree._Element]) -> list[str]:
    """Loops and multi-instance tasks must be bounded (MAX_LOOP)."""
    errors: list[str] = []
    for process_spec in specs:
        for task_spec in process_spec.task_specs.values():
            element = elements.get(getattr(task_spec, "bpmn_id", None) or "")
            if element is None:
                continue
            if isinstance(task_spec, StandardLoopTask) and not (
                task_spec.maximum is not None and 0 < task_spec.maximum <= MAX_LOOP
            ):
                errors.append(
                    _(
                        "Élément %(element)s : une boucle doit avoir un nombre maximal de tours "
                        "(loopMaximum) entre 1 et %(max)s",
                        element=_describe(element),
                        max=MAX_LOOP,
                    )
                )
            cardinality = getattr(task_spec, "cardinality", None)
            constant = isinstance(cardinality, str) and cardinality.strip().isdigit()
            if isinstance(task_spec, MultiInstanceTask) and constant and int(cardinality) > MAX_LOOP:
                errors.append(
                    _(
                        "Élément %(element)s : au plus %(max)s instances (loopCardinality)",
                        element=_describe(element),
                        max=MAX_LOOP,
                    )
                )
    return errors
