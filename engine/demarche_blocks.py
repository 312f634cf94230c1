"""Reusable building blocks inserted into an EXISTING diagram (the studio's « Ajouter un bloc »).

The same three patterns as the démarche models (engine/demarche_models.py), placed around one agents'
user task the analyst picks:
- `complements`: after the task, « Compléments demandés ? » (decision == "complement") leads to the
  family's « Compléter ma demande » task (lane « Famille ») and back before the task; the task's data
  decision form gets the « Demander des compléments » outcome;
- `relances`: two non-interrupting boundary timers on the task — the agents reminded before the
  maximum duration, then the request flagged late and the family told;
- `notification`: after the decision (after the complements' gateway when there is one), the family
  told of the acceptance or of the refusal (`famille_notifier`), then the flow goes on as before.
New elements join the task's lane (the family's task the « Famille » lane) and get a place on the
diagram below the task. Every refusal is a French sentence (BlockRefused); nothing is changed then.
Flask-free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import pairwise

from lxml import etree

from .block_diagram import (
    _B,
    BlockRefused,
    Diagram,
    _edges,
    _notify,
    _operator,
    _props,
    _sync_refs,
    _text,
)
from .block_diagram import (
    REF as _REF,
)
from .demarche_models import BLOCKS, COMPLEMENT_FORM
from .form_storage import PROPERTY, task_forms, with_form
from .i18n import N_, _
from .models import REQUESTER_LANE
from .runtime import NS, parse_xml

__all__ = ["BlockPlace", "BlockRefused", "block_places", "with_block"]


@dataclass(frozen=True)
class BlockPlace:
    """An agents' user task a block can be inserted around."""

    task_id: str
    name: str
    lane: str
    decision: bool  # its form is a data decision form


def block_places(xml: str) -> list[BlockPlace]:
    """The agents' user tasks of the diagram (the family's own tasks take no block)."""
    return [
        BlockPlace(t.task_id, t.name, t.lane, bool(t.definition and t.definition.get("kind") == "decision"))
        for t in task_forms(xml)
        if t.lane and t.lane != REQUESTER_LANE
    ]


def _single_exit(d: Diagram, source: str, what: str) -> etree._Element:
    exits = d.outgoing(source)
    if len(exits) != 1:
        raise BlockRefused(
            _(
                "Le bloc « %(block)s » s'insère après une tâche qui a une seule sortie ; « %(name)s » en a "
                "%(count)s : insérez-le à la main dans l'éditeur, ou choisissez une autre tâche.",
                block=_(what),
                name=d.name,
                count=len(exits),
            )
        )
    return exits[0]


def _complements(d: Diagram, key: str) -> list[str]:
    t = d.id
    family = d.lanes.get(REQUESTER_LANE)
    if family is None:
        raise BlockRefused(
            _(
                "Le diagramme n'a pas de couloir « Famille » : ajoutez-le dans l'éditeur (la famille y "
                "répond à la demande de compléments), puis insérez le bloc."
            )
        )
    exit_flow = _single_exit(d, t, N_("demande de compléments"))
    for flow in d.incoming(t):
        flow.set("targetRef", f"{t}_instruire")
    d.add("exclusiveGateway", f"{t}_instruire", "Instruire", column=-1)
    d.add(
        "exclusiveGateway",
        f"{t}_complements",
        "Compléments demandés ?",
        attrs=f' default="{exit_flow.get("id")}"',
        column=1,
    )
    exit_flow.set("sourceRef", f"{t}_complements")
    _complement_nodes(d, key, family)
    chain = [f"{t}_instruire", t, f"{t}_complements"]
    loop = [
        f"{t}_complements",
        f"{t}_preparer_complement",
        f"{t}_notifier_complement",
        f"{t}_complement",
        f"{t}_nouvel_examen",
        f"{t}_instruire",
    ]
    ids = []
    for n, (a, b) in enumerate([*pairwise(chain), *pairwise(loop)]):
        condition = 'decision == "complement"' if a == f"{t}_complements" else ""
        d.flow(f"{t}_flux_complements_{n}", a, b, condition, "Compléments demandés" if condition else "")
        ids.append(f"{t}_flux_complements_{n}")
    return [*ids, exit_flow.get("id"), *(f.get("id") for f in d.incoming(f"{t}_instruire"))]


def _complement_nodes(d: Diagram, key: str, family: etree._Element) -> None:
    """The loop's way: prepare, tell the family, its « Compléter ma demande », prepare a new examination."""
    t = d.id
    d.row = 1
    d.add(
        "scriptTask",
        f"{t}_preparer_complement",
        "Préparer la demande de compléments",
        "<bpmn:script>" + _text('reponse = ""\npieces = []') + "</bpmn:script>",
        column=1,
    )
    d.add(
        "serviceTask",
        f"{t}_notifier_complement",
        "Informer la famille de la demande de compléments",
        _notify(
            f"{t}_notification_complement",
            "demarche_complements_demandes",
            _REF
            + ' + " : le service demande des compléments. « " + motif + " » Répondez dans Mes demandes."',
            {"question": "motif"},
        ),
        column=2,
    )
    form = (
        _props(
            {
                "formKey": f"{key}.{t}_complement",
                "statusLabel": "En attente de compléments",
                PROPERTY: json.dumps(COMPLEMENT_FORM, ensure_ascii=False),
            }
        )
        + "</bpmn:extensionElements>"
    )
    d.add("userTask", f"{t}_complement", "Compléter ma demande", form, lane=family, column=3)
    d.add(
        "scriptTask",
        f"{t}_nouvel_examen",
        "Préparer un nouvel examen",
        "<bpmn:script>" + _text('decision = ""\nmotif = ""') + "</bpmn:script>",
        column=4,
    )


def _relances(d: Diagram, duration: str) -> list[str]:
    from .demarche_models import _reminder

    t = d.id
    if not duration:
        raise BlockRefused(
            _(
                "La démarche n'a pas de durée maximale : donnez-la dans l'éditeur (propriétés du processus, "
                "« Durée maximale »), puis insérez le bloc des relances."
            )
        )
    before = _text(f'avant_echeance(date_limite, "{_reminder(duration)}")')
    attached = f' attachedToRef="{t}" cancelActivity="false"'
    d.row = 2
    _timer(d, f"{t}_relance", "Avant la durée maximale", attached, before)
    d.add(
        "serviceTask",
        f"{t}_relancer_agents",
        "Relancer les agents",
        _operator("tache_relancer", "relance_resultat"),
        column=1,
    )
    d.add("endEvent", f"{t}_relance_faite", "Agents relancés", column=2)
    d.row = 3
    _timer(d, f"{t}_echeance", "Durée maximale atteinte", attached, "date_limite")
    d.add(
        "serviceTask",
        f"{t}_signaler_retard",
        "Signaler la demande en retard",
        _operator("demande_escalader", "retard_resultat"),
        column=1,
    )
    d.add(
        "serviceTask",
        f"{t}_prevenir_retard",
        "Prévenir la famille du retard",
        _notify(
            f"{t}_notification_retard",
            "",
            _REF + ' + " a pris du retard, elle reste traitée en priorité."',
            {},
        ),
        column=2,
    )
    d.add("endEvent", f"{t}_retard_signale", "Retard signalé", column=3)
    pairs = [
        (f"{t}_relance", f"{t}_relancer_agents"),
        (f"{t}_relancer_agents", f"{t}_relance_faite"),
        (f"{t}_echeance", f"{t}_signaler_retard"),
        (f"{t}_signaler_retard", f"{t}_prevenir_retard"),
        (f"{t}_prevenir_retard", f"{t}_retard_signale"),
    ]
    for n, (a, b) in enumerate(pairs):
        d.flow(f"{t}_flux_relances_{n}", a, b)
    return [f"{t}_flux_relances_{n}" for n in range(len(pairs))]


def _timer(d: Diagram, ident: str, name: str, attached: str, when: str) -> None:
    definition = f'<bpmn:timerEventDefinition id="{ident}_timer"><bpmn:timeDate>{when}</bpmn:timeDate>'
    d.add("boundaryEvent", ident, name, attrs=attached, inner=definition + "</bpmn:timerEventDefinition>")


def _notification(d: Diagram) -> list[str]:
    t = d.id
    gateway = f"{t}_complements"
    if d.exists(gateway):  # after the complements' loop: its way out is the gateway's default flow
        exit_flow = next(
            f
            for f in d.outgoing(gateway)
            if f.get("id") == d.scope.find(f"bpmn:exclusiveGateway[@id='{gateway}']", NS).get("default")
        )
    else:
        exit_flow = _single_exit(d, t, N_("information de la famille"))
    start, after = exit_flow.get("sourceRef"), exit_flow.get("targetRef")
    exit_flow.set("sourceRef", f"{t}_joindre")
    refuse_flow = f"{t}_flux_notification_2"
    d.row = 4
    d.add("exclusiveGateway", f"{t}_decision", "Décision ?", attrs=f' default="{refuse_flow}"', column=1)
    d.add(
        "serviceTask",
        f"{t}_notifier_acceptation",
        "Informer la famille de l'acceptation",
        _notify(
            f"{t}_notification_acceptation",
            "demarche_acceptee",
            _REF + ' + " est acceptée."',
            {"motif": "motif"},
        ),
        column=2,
    )
    d.row = 5
    d.add(
        "serviceTask",
        f"{t}_notifier_refus",
        "Informer la famille du refus",
        _notify(
            f"{t}_notification_refus",
            "demarche_refusee",
            _REF + ' + " n\'a pas été acceptée. Motif : " + motif',
            {"motif": "motif"},
        ),
        column=2,
    )
    d.add("exclusiveGateway", f"{t}_joindre", "Famille informée", column=3)
    flows = [
        (start, f"{t}_decision", ""),
        (f"{t}_decision", f"{t}_notifier_acceptation", 'decision == "acceptee"'),
        (f"{t}_decision", f"{t}_notifier_refus", ""),
        (f"{t}_notifier_acceptation", f"{t}_joindre", ""),
        (f"{t}_notifier_refus", f"{t}_joindre", ""),
    ]
    if start == gateway:  # the gateway's default now leads to the notification
        d.scope.find(f"bpmn:exclusiveGateway[@id='{gateway}']", NS).set("default", f"{t}_flux_notification_0")
    for n, (a, b, condition) in enumerate(flows):
        d.flow(f"{t}_flux_notification_{n}", a, b, condition, "Acceptée" if condition else "")
    del after
    return [f"{t}_flux_notification_{n}" for n in range(len(flows))] + [exit_flow.get("id")]


_MARKERS = {"complements": "_complement", "relances": "_relance", "notification": "_notifier_acceptation"}


def with_block(xml: str, block: str, task_id: str, key: str) -> str:
    """The diagram with `block` inserted around the agents' task `task_id`; raises BlockRefused."""
    if block not in BLOCKS:
        raise BlockRefused(_("Choisissez un des blocs proposés."))
    root = parse_xml(xml.encode("utf-8"))
    d = Diagram(root, task_id)
    place = next((p for p in block_places(xml) if p.task_id == task_id), None)
    if place is None:
        raise BlockRefused(
            _(
                "« %(name)s » n'est pas une tâche des agents : un bloc s'insère autour d'une tâche d'un "
                "couloir d'agents (la décision, l'instruction).",
                name=d.name,
            )
        )
    if d.exists(task_id + _MARKERS[block]):
        raise BlockRefused(_("Ce bloc est déjà inséré autour de « %(name)s ».", name=d.name))
    if block in {"complements", "notification"} and not place.decision:
        raise BlockRefused(
            _(
                "Ce bloc suit la décision des agents : « %(name)s » n'a pas de formulaire de décision. "
                "Créez-le dans « Formulaires » (issues accepter, refuser, demander des compléments), puis "
                "insérez le bloc.",
                name=d.name,
            )
        )
    if block == "complements":
        touched = _complements(d, key)
    elif block == "relances":
        process = next(p for p in root.iter(f"{_B}process") if d.task in p.iter())
        duration = next(
            (
                p.get("value", "")
                for p in process.iterfind(
                    "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
                )
                if p.get("name") == "dureeMaximale"
            ),
            "",
        )
        touched = _relances(d, duration)
    else:
        touched = _notification(d)
    d.grow()
    _edges(d, touched)
    _sync_refs(d.scope)
    text = etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
    if block == "complements":
        text = _with_complement_outcome(text, task_id, key)
    return text


def _with_complement_outcome(xml: str, task_id: str, key: str) -> str:
    definition = next(t.definition for t in task_forms(xml) if t.task_id == task_id) or {}
    outcomes = list(definition.get("outcomes") or [])
    if not any(o.get("value") == "complement" for o in outcomes):
        outcomes.append(
            {
                "value": "complement",
                "label": "Demander des compléments à la famille",
                "message_required": True,
            }
        )
    return with_form(xml, task_id, {**definition, "outcomes": outcomes}, key)
