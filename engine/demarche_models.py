"""Démarche models: a complete BPMN (with its diagram) from a few answers and reusable building blocks.

What an analyst fills in the studio's « Nouvelle démarche à partir d'un modèle » page: the title,
the agent group that decides, the maximum duration, the catalogue texts, and which building blocks
to include. The result is a draft like any other: the analyst opens it in the modeler to change
anything, builds its forms in the form editor, and publishes it.

The blocks are the patterns of the coded démarches (workflows/changement_adresse.bpmn):
- `complements`: the ask-for-information loop — the agent asks, the family is told and answers,
  the request comes back to the agent;
- `relances`: reminder of the agents before the maximum duration, then escalation (the request is
  flagged late, never closed) and the family told of the delay — boundary timers on the examination;
- `notification`: the family told of the decision (mail and timeline, `famille_notifier`).
The user tasks get data forms (engine/form_definitions.py): a first form for the family to fill in
the editor, the agents' decision (its outcomes follow the blocks) and the family's answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from .demarche_layout import diagram
from .form_definitions import empty
from .i18n import N_

#: The studio's choice of blocks (translate where shown: `_(BLOCKS[block])`). What a block or a
#: model writes into the diagram (names of elements, forms, scripts) is the town's content: French.
BLOCKS = {
    "complements": N_("Boucle de demande de compléments (l'agent demande, la famille répond)"),
    "relances": N_("Relance des agents puis signalement du retard avant la durée maximale"),
    "notification": N_("Information de la famille de la décision (courriel et historique)"),
}
COMPLEMENT_FORM: dict[str, Any] = {
    "kind": "saisie",
    "submit_label": "Envoyer mes compléments",
    "comment_field": "reponse",
    "fields": [
        {
            "name": "reponse",
            "type": "textarea",
            "label": "Votre réponse",
            "required": True,
            "max_length": 2000,
            "help": "Le service lira votre réponse dans l'historique de la demande.",
        },
        {
            "name": "pieces",
            "type": "document",
            "label": "Documents",
            "multiple": True,
            "help": "Facultatif : un ou plusieurs fichiers.",
        },
    ],
}


@dataclass(frozen=True)
class DemarcheModel:
    key: str
    title: str
    group: str
    max_duration: str  # ISO 8601, e.g. P30D
    description: str
    help_text: str = ""
    rubrique: str = ""
    pieces: str = ""
    blocks: frozenset[str] = frozenset(BLOCKS)


def _props(values: dict[str, str]) -> str:
    rows = "".join(
        f"<spiffworkflow:property name={quoteattr(k)} value={quoteattr(v)} />" for k, v in values.items() if v
    )
    inside = f"<spiffworkflow:properties>{rows}</spiffworkflow:properties>"
    return f"<bpmn:extensionElements>{inside}</bpmn:extensionElements>"


def _notify(result: str, model: str, message: str, extra: dict[str, str]) -> str:
    params = {"modele": json.dumps(model) if model else "", "message": message, **extra}
    rows = "".join(
        f'<spiffworkflow:parameter id={quoteattr(k)} type="str" value={quoteattr(v)} />'
        for k, v in params.items()
        if v
    )
    return (
        f'<bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="famille_notifier" '
        f'resultVariable="{result}"><spiffworkflow:parameters>{rows}</spiffworkflow:parameters>'
        "</spiffworkflow:serviceTaskOperator></bpmn:extensionElements>"
    )


def _operator(name: str, result: str) -> str:
    return (
        f'<bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="{name}" resultVariable="{result}">'
        "<spiffworkflow:parameters /></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>"
    )


def _user(model: DemarcheModel, task: str, status: str, form: dict[str, Any], pre: str = "") -> str:
    props = _props(
        {
            "formKey": f"{model.key}.{task}",
            "statusLabel": status,
            "formulaire": json.dumps(form, ensure_ascii=False),
        }
    )
    if pre:
        props = props.replace(
            "</bpmn:extensionElements>",
            f"<spiffworkflow:preScript>{escape(pre)}</spiffworkflow:preScript></bpmn:extensionElements>",
        )
    return props


def _decision_form(model: DemarcheModel) -> dict[str, Any]:
    form = empty("decision")
    if "complements" not in model.blocks:
        form["outcomes"] = [o for o in form["outcomes"] if o["value"] != "complement"]
    return form


def _nodes(model: DemarcheModel) -> list[tuple[str, str, str, int, int, str]]:
    """Every flow node with its place on the diagram (the family's lane on top, the group's below)."""
    fam, grp = "Famille", model.group
    loop = "complements" in model.blocks
    nodes = [
        ("debut", "start", "Démarche ouverte", 182, 142, fam),
        ("saisie", "user", "Saisir la demande", 260, 120, fam),
        ("examen", "sub", "Examen de la demande", 420, 100, ""),
        ("examen_debut", "start", "Demande reçue", 450, 382, grp),
        ("instruction", "user", "Instruire la demande", 620, 360, grp),
        ("examen_fin", "end", "Décision prise", 1352, 382, grp),
        ("decision_finale", "gateway", "Décision ?", 1470, 375, grp),
        ("fin_acceptee", "end", "Demande acceptée", 1772, 292, grp),
        ("fin_refusee", "end", "Demande refusée", 1772, 462, grp),
    ]
    if loop:
        nodes += [
            ("vers_instruction", "gateway", "Instruire", 520, 375, grp),
            ("decision_prise", "gateway", "Compléments demandés ?", 780, 375, grp),
            ("preparer_complement", "script", "Préparer la demande de compléments", 880, 460, grp),
            (
                "notifier_complement",
                "service",
                "Informer la famille de la demande de compléments",
                1030,
                460,
                grp,
            ),
            ("complement", "user", "Compléter ma demande", 1030, 120, fam),
            ("nouvel_examen", "script", "Préparer un nouvel examen", 1180, 250, grp),
        ]
    if "relances" in model.blocks:
        nodes += [
            ("relance", "boundary", "Avant la durée maximale", 702, 552, ""),
            ("echeance", "boundary", "Durée maximale atteinte", 1002, 552, ""),
            ("relancer_agents", "service", "Relancer les agents", 670, 620, grp),
            ("relance_faite", "end", "Agents relancés", 822, 642, grp),
            ("signaler_retard", "service", "Signaler la demande en retard", 970, 620, grp),
            ("prevenir_retard", "service", "Prévenir la famille du retard", 1120, 620, grp),
            ("retard_signale", "end", "Retard signalé", 1272, 642, grp),
        ]
    if "notification" in model.blocks:
        nodes += [
            ("notifier_acceptation", "service", "Informer la famille de l'acceptation", 1590, 270, grp),
            ("notifier_refus", "service", "Informer la famille du refus", 1590, 440, grp),
        ]
    return nodes


def _flows(model: DemarcheModel) -> list[tuple[str, str, str, str]]:
    """(source, target, condition, name); the defaults of the gateways have no condition."""
    loop, notify = "complements" in model.blocks, "notification" in model.blocks
    flows = [("debut", "saisie", "", ""), ("saisie", "examen", "", "")]
    if loop:
        flows += [
            ("examen_debut", "vers_instruction", "", ""),
            ("vers_instruction", "instruction", "", ""),
            ("instruction", "decision_prise", "", ""),
            ("decision_prise", "preparer_complement", 'decision == "complement"', "Compléments demandés"),
            ("decision_prise", "examen_fin", "", "Acceptée ou refusée"),
            ("preparer_complement", "notifier_complement", "", ""),
            ("notifier_complement", "complement", "", ""),
            ("complement", "nouvel_examen", "", ""),
            ("nouvel_examen", "vers_instruction", "", ""),
        ]
    else:
        flows += [("examen_debut", "instruction", "", ""), ("instruction", "examen_fin", "", "")]
    flows.append(("examen", "decision_finale", "", ""))
    accept, refuse = ("notifier_acceptation", "notifier_refus") if notify else ("fin_acceptee", "fin_refusee")
    flows += [
        ("decision_finale", accept, 'decision == "acceptee"', "Acceptée"),
        ("decision_finale", refuse, "", "Refusée"),
    ]
    if notify:
        flows += [("notifier_acceptation", "fin_acceptee", "", ""), ("notifier_refus", "fin_refusee", "", "")]
    if "relances" in model.blocks:
        flows += [
            ("relance", "relancer_agents", "", ""),
            ("relancer_agents", "relance_faite", "", ""),
            ("echeance", "signaler_retard", "", ""),
            ("signaler_retard", "prevenir_retard", "", ""),
            ("prevenir_retard", "retard_signale", "", ""),
        ]
    return flows


_INSIDE = {
    "examen_debut",
    "vers_instruction",
    "instruction",
    "decision_prise",
    "preparer_complement",
    "notifier_complement",
    "complement",
    "nouvel_examen",
    "examen_fin",
}
_TAGS = {
    "start": "startEvent",
    "end": "endEvent",
    "user": "userTask",
    "service": "serviceTask",
    "script": "scriptTask",
    "gateway": "exclusiveGateway",
    "sub": "subProcess",
    "boundary": "boundaryEvent",
}
_SCRIPTS = {"preparer_complement": 'reponse = ""\npieces = []', "nouvel_examen": 'decision = ""\nmotif = ""'}


def _reminder(duration: str) -> str:
    days = (
        int(duration[1:-1])
        if duration.startswith("P") and duration.endswith("D") and duration[1:-1].isdigit()
        else 0
    )
    return "P6D" if days >= 12 else "P1D"


def _body(model: DemarcheModel, ident: str) -> str:
    """The inside of a node's element: properties, forms, operators, scripts, timers."""
    ref = '"Votre demande " + reference'
    bodies = {
        "saisie": lambda: _user(model, "saisie", "En cours de saisie", empty()),
        "instruction": lambda: _user(
            model, "instruction", "En cours d'instruction", _decision_form(model), 'motif = ""'
        ),
        "complement": lambda: _user(model, "complement", "En attente de compléments", COMPLEMENT_FORM),
        "fin_acceptee": lambda: _props({"statusLabel": "Acceptée"}),
        "fin_refusee": lambda: _props({"statusLabel": "Refusée"}),
        "notifier_complement": lambda: _notify(
            "notification_complement",
            "demarche_complements_demandes",
            ref + ' + " : le service demande des compléments. « " + motif + " » Répondez dans Mes demandes."',
            {"question": "motif"},
        ),
        "notifier_acceptation": lambda: _notify(
            "notification_acceptation", "demarche_acceptee", ref + ' + " est acceptée."', {"motif": "motif"}
        ),
        "notifier_refus": lambda: _notify(
            "notification_refus",
            "demarche_refusee",
            ref + ' + " n\'a pas été acceptée. Motif : " + motif',
            {"motif": "motif"},
        ),
        "relancer_agents": lambda: _operator("tache_relancer", "relance_resultat"),
        "signaler_retard": lambda: _operator("demande_escalader", "retard_resultat"),
        "prevenir_retard": lambda: _notify(
            "notification_retard", "", ref + ' + " a pris du retard, elle reste traitée en priorité."', {}
        ),
        "relance": lambda: (
            '<bpmn:timerEventDefinition id="relance_timer"><bpmn:timeDate>'
            + escape(f'avant_echeance(date_limite, "{_reminder(model.max_duration)}")')
            + "</bpmn:timeDate></bpmn:timerEventDefinition>"
        ),
        "echeance": lambda: (
            '<bpmn:timerEventDefinition id="echeance_timer"><bpmn:timeDate>date_limite'
            "</bpmn:timeDate></bpmn:timerEventDefinition>"
        ),
    }
    if ident in _SCRIPTS:
        return f"<bpmn:script>{escape(_SCRIPTS[ident])}</bpmn:script>"
    maker = bodies.get(ident)
    return maker() if maker else ""


def _flow_xml(index: int, flow: tuple[str, str, str, str]) -> str:
    source, target, condition, name = flow
    named = f" name={quoteattr(name)}" if name else ""
    cond = f"<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>" if condition else ""
    ends = f'sourceRef="{source}" targetRef="{target}"'
    return f'<bpmn:sequenceFlow id="flux_{index}" {ends}{named}>{cond}</bpmn:sequenceFlow>'


def _node_xml(
    model: DemarcheModel, node: tuple[str, str, str, int, int, str], defaults: dict[str, str], inner: str
) -> str:
    ident, kind, label = node[0], node[1], node[2]
    tag = _TAGS[kind]
    extra = f' default="{defaults[ident]}"' if ident in defaults else ""
    if kind == "boundary":
        extra = ' attachedToRef="examen" cancelActivity="false"'
    return (
        f'<bpmn:{tag} id="{ident}" name={quoteattr(label)}{extra}>{_body(model, ident)}{inner}</bpmn:{tag}>'
    )


def _process_xml(model: DemarcheModel) -> str:
    nodes, flows = _nodes(model), _flows(model)
    defaults = {}
    for index, (source, _target, condition, _name) in enumerate(flows):
        if not condition and any(f[0] == source and f[2] for f in flows):
            defaults[source] = f"flux_{index}"
    inside_flows = "".join(_flow_xml(i, f) for i, f in enumerate(flows) if f[0] in _INSIDE)
    outside_flows = "".join(_flow_xml(i, f) for i, f in enumerate(flows) if f[0] not in _INSIDE)
    inner = "".join(_node_xml(model, n, defaults, "") for n in nodes if n[0] in _INSIDE)
    outer = "".join(
        _node_xml(model, n, defaults, inner + inside_flows if n[0] == "examen" else "")
        for n in nodes
        if n[0] not in _INSIDE
    )
    lanes = ""
    for lane_id, name in (("Lane_Famille", "Famille"), ("Lane_Service", model.group)):
        refs = "".join(
            f"<bpmn:flowNodeRef>{n[0]}</bpmn:flowNodeRef>"
            for n in nodes
            if n[5] == name or (name == model.group and n[1] == "boundary")
        )
        lanes += f'<bpmn:lane id="{lane_id}" name={quoteattr(name)}>{refs}</bpmn:lane>'
    props = _props(
        {
            "dureeMaximale": model.max_duration,
            "rubrique": model.rubrique,
            "description": model.description,
            "piecesAFournir": model.pieces,
            "aideSaisie": model.help_text,
        }
    )
    return (
        f'<bpmn:process id="{model.key}" name={quoteattr(model.title)} isExecutable="true">{props}'
        f'<bpmn:laneSet id="LaneSet_{model.key}">{lanes}</bpmn:laneSet>{outer}{outside_flows}</bpmn:process>'
    )


def bpmn(model: DemarcheModel) -> str:
    """The BPMN file of a démarche built from `model` (publishable once its first form has fields)."""
    text = (
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        f'id="Definitions_{model.key}" targetNamespace="https://guichet.example/bpmn">'
        f'<bpmn:collaboration id="Collaboration_{model.key}"><bpmn:participant id="Participant" '
        f'name={quoteattr(model.title)} processRef="{model.key}" /></bpmn:collaboration>'
        f"{_process_xml(model)}{diagram(model.key, _nodes(model), _flows(model))}</bpmn:definitions>\n"
    )
    root = etree.fromstring(text.encode("utf-8"), etree.XMLParser(remove_blank_text=True))
    # Indented, so that « Modifier le XML (sans la souris) » and the downloaded file are readable.
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode("utf-8")
