"""Structural checks of a diagram's graph, run by engine/validation.py before publishing.

Each scope (the process and every non-event sub-process) is checked on its own: it has a start and
an end, every element lies on a path from the start to an end, and every flow leaving an exclusive or
inclusive gateway carries a condition or is the gateway's default.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from lxml import etree

from .i18n import _
from .runtime import BPMN_NS, NS

if TYPE_CHECKING:
    from .validation import _Collector

_B = f"{{{BPMN_NS}}}"

_FLOW_NODES = {
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "task",
    "userTask",
    "manualTask",
    "serviceTask",
    "scriptTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "transaction",
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "complexGateway",
}


def _name(element: etree._Element) -> str:
    name = (element.get("name") or "").strip()
    ident = element.get("id", "?")
    return f"« {name} » ({ident})" if name else f"({ident})"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _scopes(process: etree._Element) -> Iterable[etree._Element]:
    """The process and every (non-event) sub-process: each is its own graph of flows."""
    yield process
    for sub in process.iter(f"{_B}subProcess", f"{_B}transaction"):
        if sub.get("triggeredByEvent") != "true":
            yield sub


def _missing_event(scope: etree._Element, *, start: bool) -> str:
    if _local(scope) == "process":
        return (
            _("Le processus n'a pas d'événement de début")
            if start
            else _("Le processus n'a pas d'événement de fin")
        )
    if start:
        return _("Le sous-processus %(name)s n'a pas d'événement de début", name=_name(scope))
    return _("Le sous-processus %(name)s n'a pas d'événement de fin", name=_name(scope))


def _check_graph(scope: etree._Element, out: _Collector) -> None:
    nodes = {
        child.get("id"): child
        for child in scope
        if isinstance(child.tag, str) and _local(child) in _FLOW_NODES and child.get("id")
    }
    flows = [f for f in scope if isinstance(f.tag, str) and _local(f) == "sequenceFlow"]
    successors: dict[str, list[str]] = {ident: [] for ident in nodes}
    predecessors: dict[str, list[str]] = {ident: [] for ident in nodes}
    outgoing: dict[str, list[etree._Element]] = {ident: [] for ident in nodes}
    for flow in flows:
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if source not in nodes or target not in nodes:
            out.add(
                _("Flux %(flow)s : il relie un élément absent du processus", flow=_name(flow)), flow.get("id")
            )
            continue
        successors[source].append(target)
        predecessors[target].append(source)
        outgoing[source].append(flow)
    for ident, node in nodes.items():
        if _local(node) == "boundaryEvent" and node.get("attachedToRef") in nodes:
            successors[node.get("attachedToRef")].append(ident)
            predecessors[ident].append(node.get("attachedToRef"))

    starts = [i for i, n in nodes.items() if _local(n) == "startEvent"]
    if not starts:
        out.add(_missing_event(scope, start=True), scope.get("id"))
        return
    ends = [i for i, n in nodes.items() if _local(n) == "endEvent"]
    if not ends:
        out.add(_missing_event(scope, start=False), scope.get("id"))

    reached = _walk(starts, successors)
    finishing = _walk(ends, predecessors)
    for ident in nodes:
        node = nodes[ident]
        if ident not in reached:
            if _local(node) != "startEvent":
                out.add(
                    _("Élément %(name)s : aucun chemin ne mène du début à cet élément", name=_name(node)),
                    ident,
                    blocking=False,
                )
        elif ident not in finishing and ends:
            out.add(
                _(
                    "Élément %(name)s : aucun chemin ne mène de cet élément à un événement de fin",
                    name=_name(node),
                ),
                ident,
            )

    _check_gateways(nodes, outgoing, out)
    _check_silent_loops(nodes, successors, outgoing, out)


def _check_gateways(
    nodes: dict[str, etree._Element], outgoing: dict[str, list[etree._Element]], out: _Collector
) -> None:
    """Every flow leaving an exclusive or inclusive gateway has a condition or is its default."""
    for ident, node in nodes.items():
        if _local(node) not in ("exclusiveGateway", "inclusiveGateway") or len(outgoing[ident]) < 2:
            continue
        default = node.get("default")
        for flow in outgoing[ident]:
            condition = flow.find("bpmn:conditionExpression", NS)
            has_condition = condition is not None and (condition.text or "").strip()
            if not has_condition and flow.get("id") != default:
                out.add(
                    _(
                        "Flux %(flow)s sortant de la passerelle %(gateway)s : il n'a ni condition ni "
                        "statut de flux par défaut. Ajoutez une condition, ou faites-en le flux par défaut",
                        flow=_name(flow),
                        gateway=_name(node),
                    ),
                    flow.get("id"),
                )


#: Elements that wait for someone or something (a person, a message, a timer): a loop through one of
#: them is a normal « redo » loop. Sub-processes and call activities count too (their content is
#: checked on its own).
_WAITING = {
    "userTask",
    "manualTask",
    "receiveTask",
    "intermediateCatchEvent",
    "eventBasedGateway",
    "callActivity",
    "subProcess",
    "transaction",
}
#: Elements holding an expression or a script: each evaluation counts toward the engine's
#: MAX_EVALUATIONS (engine/runtime.py), which stops a runaway loop through them with a French error.
_EXPRESSIONS = {
    "script",
    "conditionExpression",
    "loopCardinality",
    "completionCondition",
    "loopCondition",
    "condition",
    "preScript",
    "postScript",
}


def _evaluates(node: etree._Element, flows: list[etree._Element]) -> bool:
    for element in (node, *flows):
        for child in element.iter():
            if _local(child) in _EXPRESSIONS and (child.text or "").strip():
                return True
    return False


def _check_silent_loops(
    nodes: dict[str, etree._Element],
    successors: dict[str, list[str]],
    outgoing: dict[str, list[etree._Element]],
    out: _Collector,
) -> None:
    """A cycle of automatic elements that neither waits nor evaluates anything (default flows only)
    would spin until SpiffWorkflow's task tree stalls, with nothing to stop it: refused at deploy."""
    silent = {
        ident
        for ident, node in nodes.items()
        if _local(node) not in _WAITING and not _evaluates(node, outgoing[ident])
    }
    edges = {ident: [n for n in successors[ident] if n in silent] for ident in silent}
    reported: set[str] = set()
    for ident in sorted(silent):
        if ident in reported or ident not in _walk(edges[ident], edges):
            continue
        loop = sorted(n for n in _walk([ident], edges) if ident in _walk(edges[n], edges))
        reported.update(loop)
        names = ", ".join(_name(nodes[n]) for n in loop)
        out.add(
            _(
                "Boucle sans fin : les éléments %(names)s s'enchaînent en boucle sans attendre personne et "
                "sans aucune condition. Ajoutez une condition de sortie sur une passerelle, ou une tâche "
                "humaine dans la boucle",
                names=names,
            ),
            ident,
        )


def _walk(seeds: list[str], edges: dict[str, list[str]]) -> set[str]:
    seen = set(seeds)
    stack = list(seeds)
    while stack:
        for nxt in edges.get(stack.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen
