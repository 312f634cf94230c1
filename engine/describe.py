"""A démarche's diagram as text, and what changed between two versions.

The text alternative (RGAA 1.1.5 and 1.6, FACTS §7) is generated from the parsed spec: an ordered
list of steps from the start, each with its kind, lane and what comes next (a gateway's branches
say « si … »; a boundary event says « pendant cette étape »). The diff of two versions comes from
SpiffWorkflow's SpecDiff (elements added, removed, changed), on the process and its sub-processes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .i18n import N_, _, reader_language
from .models import REQUESTER_LANE
from .runtime import BPMN_NS, SpecBundle

_B = f"{{{BPMN_NS}}}"

KINDS = {
    "StartEvent": N_("Début"),
    "EndEvent": N_("Fin"),
    "UserTask": N_("Tâche"),
    "ManualTask": N_("Tâche manuelle"),
    "NoneTask": N_("Tâche"),
    "ServiceTask": N_("Opération automatique"),
    "ScriptTask": N_("Calcul automatique"),
    "BusinessRuleTask": N_("Règle de décision"),
    "SendTask": N_("Envoi"),
    "ReceiveTask": N_("Réception"),
    "ExclusiveGateway": N_("Choix"),
    "InclusiveGateway": N_("Choix multiple"),
    "ParallelGateway": N_("Étapes en parallèle"),
    "EventBasedGateway": N_("Attente du premier événement"),
    "IntermediateCatchEvent": N_("Attente"),
    "IntermediateThrowEvent": N_("Événement"),
    "BoundaryEvent": N_("Événement pendant une étape"),
    "CallActivity": N_("Sous-démarche"),
    "SubWorkflowTask": N_("Sous-processus"),
    "TransactionSubprocess": N_("Sous-processus"),
}


def _kind(spec: Any) -> str:
    """What the element is, in the reader's language (« Tâche », « Choix »...)."""
    name = type(spec).__name__
    return _(KINDS[name]) if name in KINDS else name


@dataclass(frozen=True)
class Step:
    """One element of the text alternative; `children` holds a sub-process's own steps."""

    number: str
    element_id: str
    kind: str
    name: str
    lane: str | None
    next: tuple[str, ...]
    children: tuple[Step, ...] = field(default_factory=tuple)

    @property
    def who(self) -> str:
        if not self.lane:
            return ""
        return _("la famille") if self.lane == REQUESTER_LANE else _("le groupe %(lane)s", lane=self.lane)


def _flows(root: etree._Element) -> dict[tuple[str, str], etree._Element]:
    return {(f.get("sourceRef", ""), f.get("targetRef", "")): f for f in root.iter(f"{_B}sequenceFlow")}


def _real(spec: Any) -> bool:
    return getattr(spec, "bpmn_id", None) is not None


def _successors(spec: Any) -> list[Any]:
    """The next BPMN elements, looking through Spiff's internal specs (boundary splits, joins)."""
    found: list[Any] = []
    queue = deque(spec.outputs)
    seen: set[str] = set()
    while queue:
        nxt = queue.popleft()
        if nxt.name in seen:
            continue
        seen.add(nxt.name)
        if _real(nxt):
            found.append(nxt)
        elif type(nxt).__name__ == "BoundaryEventSplit":
            # The split leads to the host task and its boundary events: the host comes next; its
            # boundary events are listed as the host's own (« pendant cette étape »).
            queue.extend(o for o in nxt.outputs if type(o).__name__ != "BoundaryEvent")
        else:
            queue.extend(nxt.outputs)
    return found


def _boundary_events(spec: Any) -> list[Any]:
    events: list[Any] = []
    if type(spec).__name__ == "BoundaryEvent":
        return events
    for parent in spec.inputs:
        if type(parent).__name__ == "BoundaryEventSplit":
            events.extend(o for o in parent.outputs if type(o).__name__ == "BoundaryEvent")
    return events


def _following(spec: Any, numbers: dict[str, str], flows: dict) -> list[str]:
    """The lines saying where the démarche goes after `spec`, one per outgoing flow."""
    following = []
    successors = _successors(spec)
    for nxt in successors:
        target = _(
            "étape %(number)s « %(name)s »",
            number=numbers.get(nxt.name, "?"),
            name=_(nxt.bpmn_name) if nxt.bpmn_name else nxt.bpmn_id,  # a shipped diagram's name, translated
        )
        flow = flows.get((spec.bpmn_id, nxt.bpmn_id))
        condition = flow.find(f"{_B}conditionExpression") if flow is not None else None
        label = (flow.get("name") or "").strip() if flow is not None else ""
        label = _(label) if label else ""
        is_default = (
            flow is not None
            and flow.getparent() is not None
            and any(
                el.get("default") == flow.get("id") for el in flow.getparent() if el.get("id") == spec.bpmn_id
            )
        )
        if condition is not None and (condition.text or "").strip():
            expression = condition.text.strip()
            following.append(
                _(
                    "si « %(label)s » (%(condition)s) : %(target)s",
                    label=label,
                    condition=expression,
                    target=target,
                )
                if label
                else _("si (%(condition)s) : %(target)s", condition=expression, target=target)
            )
        elif is_default and len(successors) > 1:
            following.append(
                _("sinon (« %(label)s ») : %(target)s", label=label, target=target)
                if label
                else _("sinon : %(target)s", target=target)
            )
        else:
            following.append(_("puis %(target)s", target=target))
    return following


def _steps(
    process_spec: Any, bundle: SpecBundle, flows: dict, prefix: str, depth: int = 0
) -> tuple[Step, ...]:
    order: list[Any] = []
    seen: set[str] = set()
    queue = deque(_successors(process_spec.start))
    while queue:
        spec = queue.popleft()
        if spec.name in seen:
            continue
        seen.add(spec.name)
        order.append(spec)
        queue.extend(_successors(spec))
        queue.extend(_boundary_events(spec))
    numbers = {spec.name: f"{prefix}{i}" for i, spec in enumerate(order, start=1)}
    steps = []
    for spec in order:
        kind = _kind(spec)
        following = _following(spec, numbers, flows)
        for event in _boundary_events(spec):
            name = _(event.bpmn_name) if event.bpmn_name else event.bpmn_id
            following.append(
                _(
                    "pendant cette étape, si « %(name)s » : étape %(number)s",
                    name=name,
                    number=numbers.get(event.name, "?"),
                )
            )
        if type(spec).__name__ == "EndEvent":
            following = [_("fin de ce parcours")] if depth == 0 else [_("fin du sous-processus")]
        children: tuple[Step, ...] = ()
        sub_name = getattr(spec, "spec", None)
        if isinstance(sub_name, str) and sub_name in bundle.subprocess_specs and depth < 3:
            children = _steps(
                bundle.subprocess_specs[sub_name], bundle, flows, f"{numbers[spec.name]}.", depth + 1
            )
        steps.append(
            Step(
                number=numbers[spec.name],
                element_id=spec.bpmn_id,
                kind=kind,
                name=_(spec.bpmn_name) if spec.bpmn_name else spec.bpmn_id,
                lane=getattr(spec, "lane", None),
                next=tuple(following),
                children=children,
            )
        )
    return tuple(steps)


def describe(root: etree._Element, bundle: SpecBundle) -> tuple[Step, ...]:
    """The ordered steps of the démarche, from its start event."""
    return _steps(bundle.spec, bundle, _flows(root), "")


# --- diff of two versions ------------------------------------------------------------------------

_ATTRIBUTES = {
    "bpmn_name": N_("nom"),
    "lane": N_("couloir"),
    "extensions": N_("propriétés Guichet (formulaire, statut, opération…)"),
    "outputs": N_("étapes suivantes"),
    "inputs": N_("étapes précédentes"),
    "typename": N_("type d'élément"),
    "cond_task_specs": N_("conditions"),
    "default_task_spec": N_("flux par défaut"),
    "operation_name": N_("opération"),
    "operation_params": N_("paramètres de l'opération"),
    "event_definition": N_("déclencheur (minuterie, message…)"),
    "script": N_("script"),
    "prescript": N_("script avant"),
    "postscript": N_("script après"),
    "documentation": N_("documentation"),
    "data_input_associations": N_("données"),
    "data_output_associations": N_("données"),
    "io_specification": N_("données"),
}


@dataclass(frozen=True)
class Change:
    element_id: str
    name: str
    kind: str
    status: str  # "added", "removed", "changed"
    details: tuple[str, ...] = ()


def _label(spec: Any) -> tuple[str, str, str]:
    return spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, _kind(spec)


def diff(old: SpecBundle, new: SpecBundle) -> tuple[Change, ...]:
    """Elements added, removed and changed from `old` to `new` (process and sub-processes)."""
    from .runtime import SERIALIZER, SpecDiff

    registry = SERIALIZER.registry
    changes: list[Change] = []
    pairs = [(old.spec, new.spec)]
    for name, spec in old.subprocess_specs.items():
        if name in new.subprocess_specs:
            pairs.append((spec, new.subprocess_specs[name]))
    for original, updated in pairs:
        result = SpecDiff(registry, original, updated)
        for spec in result.added:
            if _real(spec):
                changes.append(Change(*_label(spec), "added"))
        for spec in result.removed:
            if _real(spec):
                changes.append(Change(*_label(spec), "removed"))
        for spec, attributes in result.changed.items():
            if not _real(spec):
                continue
            details = sorted(
                {_(_ATTRIBUTES[a]) if a in _ATTRIBUTES else a for a in attributes if a != "inputs"}
            )
            if details:
                aligned = result.alignment.get(spec) or spec
                changes.append(Change(*_label(aligned), "changed", tuple(details)))
    for name in new.subprocess_specs.keys() - old.subprocess_specs.keys():
        changes.append(Change(name, name, _("Sous-processus"), "added"))
    for name in old.subprocess_specs.keys() - new.subprocess_specs.keys():
        changes.append(Change(name, name, _("Sous-processus"), "removed"))
    order = {"removed": 0, "added": 1, "changed": 2}
    return tuple(sorted(changes, key=lambda c: (order[c.status], c.name.lower())))


def _bundle_and_root(definition: Any) -> tuple[etree._Element, SpecBundle]:
    from .runtime import bundle_for, parse_xml

    bundle = bundle_for(definition.id, definition.sha256, definition.bpmn_xml)
    return parse_xml(definition.bpmn_xml.encode("utf-8")), bundle


#: The steps of each published version, per reader's language: a version's diagram never changes
#: (its id and hash are the key, as for the parsed spec), so the agents' dossier and the studio do
#: not parse and walk it again at each page. Cleared when full (versions × languages is small).
_described: dict[tuple[int, str, str], tuple[Step, ...]] = {}
_DESCRIBED_MAX = 512


def describe_definition(definition: Any) -> tuple[Step, ...]:
    key = (definition.id, definition.sha256, reader_language())
    steps = _described.get(key)
    if steps is None:
        root, bundle = _bundle_and_root(definition)
        steps = describe(root, bundle)
        if len(_described) >= _DESCRIBED_MAX:
            _described.clear()
        _described[key] = steps
    return steps


def diff_definitions(old: Any, new: Any) -> tuple[Change, ...]:
    return diff(_bundle_and_root(old)[1], _bundle_and_root(new)[1])
