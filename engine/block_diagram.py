"""The XML work behind the studio's building blocks (engine/demarche_blocks.py): new elements in the
task's scope and lane, a place on the diagram below the task, straight edges, incoming/outgoing lists.
Flask-free."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from .errors import EngineError
from .i18n import _
from .runtime import BPMN_NS, NS

_B = f"{{{BPMN_NS}}}"
_DI = "http://www.omg.org/spec/BPMN/20100524/DI"
_DECLARE = (
    f'xmlns:bpmn="{BPMN_NS}" xmlns:bpmndi="{_DI}" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
)
REF = '"Votre demande " + reference'


class BlockRefused(EngineError):
    """The block cannot go there (French message saying why and what to do)."""


def _el(snippet: str) -> etree._Element:
    return etree.fromstring(f"<w {_DECLARE}>{snippet}</w>".encode())[0]


def _props(values: dict[str, str]) -> str:
    rows = "".join(
        f"<spiffworkflow:property name={json.dumps(k)} value={_attr(v)} />" for k, v in values.items()
    )
    return f"<bpmn:extensionElements><spiffworkflow:properties>{rows}</spiffworkflow:properties>"


def _attr(value: str) -> str:
    return quoteattr(value)


def _notify(result: str, model: str, message: str, extra: dict[str, str]) -> str:
    params = {"modele": json.dumps(model) if model else "", "message": message, **extra}
    rows = "".join(
        f'<spiffworkflow:parameter id="{k}" type="str" value={_attr(v)} />' for k, v in params.items() if v
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


class Diagram:
    """One insertion: the task, its parent scope, its lane, and what gets added."""

    def __init__(self, root: etree._Element, task_id: str) -> None:
        self.root = root
        self.task = next((t for t in root.iter(f"{_B}userTask") if t.get("id") == task_id), None)
        if self.task is None:
            raise BlockRefused(
                _(
                    "Cette tâche n'existe pas dans le diagramme : choisissez-en une dans la liste.",
                )
            )
        self.id = task_id
        self.name = self.task.get("name") or task_id
        self.scope = self.task.getparent()
        self.lanes = {lane.get("name", ""): lane for lane in root.iter(f"{_B}lane")}
        self.lane = next(
            (lane for lane in self.lanes.values() if task_id in _refs(lane)),
            None,
        )
        shape = root.find(f".//{{{_DI}}}BPMNShape[@bpmnElement='{task_id}']")
        self.bounds = (
            shape.find("{http://www.omg.org/spec/DD/20100524/DC}Bounds") if shape is not None else None
        )
        self.plane = shape.getparent() if shape is not None else None
        self.row = 0
        self.boundaries = 0
        self.placed: list[tuple[float, float, int, int]] = []

    def exists(self, ident: str) -> bool:
        return bool(self.root.xpath("//*[@id=$i]", i=ident))

    def add(
        self,
        tag: str,
        ident: str,
        name: str,
        inner: str = "",
        lane: etree._Element | None = None,
        attrs: str = "",
        column: int = 0,
    ) -> None:
        self.scope.append(_el(f'<bpmn:{tag} id="{ident}" name={_attr(name)}{attrs}>{inner}</bpmn:{tag}>'))
        target = lane if lane is not None else self.lane
        if target is not None:
            ref = etree.SubElement(target, f"{_B}flowNodeRef")
            ref.text = ident
        if self.bounds is not None and self.plane is not None:
            self._place(tag, ident, lane, column)

    def _place(self, tag: str, ident: str, lane: etree._Element | None, column: int) -> None:
        """A shape below the task (a row per part of a block); a boundary timer on the task's lower
        edge; the family's task in the family's lane."""
        if self.bounds is None or self.plane is None:
            return
        small = tag.endswith("Gateway") or tag.endswith("Event")
        width, height = (36, 36) if small else (100, 80)
        box = [float(self.bounds.get(k, "0")) for k in ("x", "y", "width", "height")]
        x, y = box[0] + 130 * column, box[1] + 120 * (self.row + 1)
        other = _bounds(self.root, lane.get("id", "")) if lane is not None and lane is not self.lane else None
        if tag == "boundaryEvent":
            x, y = box[0] + 8 + 46 * self.boundaries, box[1] + box[3] - 18
            self.boundaries += 1
        elif other is not None:
            y = float(other.get("y", "0")) + (float(other.get("height", "0")) - height) / 2
        self.plane.append(
            _el(
                f'<bpmndi:BPMNShape id="{ident}_di" bpmnElement="{ident}"><dc:Bounds x="{x:.0f}" '
                f'y="{y:.0f}" width="{width}" height="{height}" /></bpmndi:BPMNShape>'
            )
        )
        if other is None:
            self.placed.append((x, y, width, height))

    def grow(self) -> None:
        """Enlarge the task's sub-processes, lane and pool so that they hold the new shapes."""
        if not self.placed:
            return
        bottom = max(y + h for _x, y, _w, h in self.placed) + 30
        right = max(x + w for x, _y, w, _h in self.placed) + 40
        ancestors = [e.get("id", "") for e in self.task.iterancestors(f"{_B}subProcess")]
        pools = [p.get("id", "") for p in self.root.iter(f"{_B}participant")]
        lane_id = self.lane.get("id", "") if self.lane is not None else ""
        lane_box = _bounds(self.root, lane_id)
        lane_bottom = (
            float(lane_box.get("y", "0")) + float(lane_box.get("height", "0")) if lane_box is not None else 0
        )
        delta = 0.0
        for ident in [*ancestors, lane_id, *pools]:
            box = _bounds(self.root, ident)
            if box is None:
                continue
            top, height = float(box.get("y", "0")), float(box.get("height", "0"))
            needed = max(bottom - top, height + delta) if ident in pools else bottom - top
            if needed > height:
                if ident == lane_id:
                    delta = needed - height
                box.set("height", f"{needed:.0f}")
            left = float(box.get("x", "0"))
            if right > left + float(box.get("width", "0")):
                box.set("width", f"{right - left:.0f}")
        for lane in self.root.iter(f"{_B}lane"):  # the lanes below move down, every lane as wide as the pool
            box = _bounds(self.root, lane.get("id", ""))
            if box is None or lane is self.lane:
                continue
            if delta and float(box.get("y", "0")) >= lane_bottom:
                box.set("y", f"{float(box.get('y', '0')) + delta:.0f}")
            if right > float(box.get("x", "0")) + float(box.get("width", "0")):
                box.set("width", f"{right - float(box.get('x', '0')):.0f}")

    def flow(self, ident: str, source: str, target: str, condition: str = "", name: str = "") -> None:
        named = f" name={_attr(name)}" if name else ""
        cond = f"<bpmn:conditionExpression>{_text(condition)}</bpmn:conditionExpression>" if condition else ""
        self.scope.append(
            _el(
                f'<bpmn:sequenceFlow id="{ident}" sourceRef="{source}" targetRef="{target}"{named}>{cond}'
                "</bpmn:sequenceFlow>"
            )
        )

    def outgoing(self, source: str) -> list[etree._Element]:
        return [f for f in self.scope.iterfind("bpmn:sequenceFlow", NS) if f.get("sourceRef") == source]

    def incoming(self, target: str) -> list[etree._Element]:
        return [f for f in self.scope.iterfind("bpmn:sequenceFlow", NS) if f.get("targetRef") == target]


def _bounds(root: etree._Element, ident: str) -> etree._Element | None:
    """The dc:Bounds of an element's shape (None without a diagram)."""
    shape = root.find(f".//{{{_DI}}}BPMNShape[@bpmnElement='{ident}']") if ident else None
    return shape.find("{http://www.omg.org/spec/DD/20100524/DC}Bounds") if shape is not None else None


def _refs(lane: etree._Element) -> set[str]:
    return {(r.text or "").strip() for r in lane.iterfind("bpmn:flowNodeRef", NS)}


def _text(value: str) -> str:
    return escape(value)


def _center(d: Diagram, ident: str) -> tuple[float, float] | None:
    shape = d.root.find(f".//{{{_DI}}}BPMNShape[@bpmnElement='{ident}']")
    bounds = shape.find("{http://www.omg.org/spec/DD/20100524/DC}Bounds") if shape is not None else None
    if bounds is None:
        return None
    box = [float(bounds.get(k, "0")) for k in ("x", "y", "width", "height")]
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def _edges(d: Diagram, flow_ids: list[str]) -> None:
    """Straight edges (redrawn for the flows whose ends moved) so the diagram shows every flow."""
    if d.plane is None:
        return
    for ident in flow_ids:
        flow = d.scope.find(f"bpmn:sequenceFlow[@id='{ident}']", NS)
        old = d.plane.find(f"bpmndi:BPMNEdge[@bpmnElement='{ident}']", {"bpmndi": _DI})
        if old is not None:
            d.plane.remove(old)
        ends = (
            [_center(d, flow.get("sourceRef", "")), _center(d, flow.get("targetRef", ""))]
            if flow is not None
            else []
        )
        if flow is None or None in ends:
            continue
        points = "".join(f'<di:waypoint x="{x:.0f}" y="{y:.0f}" />' for x, y in ends)  # type: ignore[misc]
        d.plane.append(
            _el(f'<bpmndi:BPMNEdge id="{ident}_di" bpmnElement="{ident}">{points}</bpmndi:BPMNEdge>')
        )


def _sync_refs(scope: etree._Element) -> None:
    """Rewrite the nodes' <incoming>/<outgoing> lists (bpmn-js writes them) from the flows, if used."""
    nodes = [
        c for c in scope if c.find("bpmn:incoming", NS) is not None or c.find("bpmn:outgoing", NS) is not None
    ]
    if not nodes:
        return
    flows = list(scope.iterfind("bpmn:sequenceFlow", NS))
    for node in scope:
        if (
            not isinstance(node.tag, str)
            or node.tag in {f"{_B}sequenceFlow", f"{_B}laneSet"}
            or node.get("id") is None
        ):
            continue
        for old in node.findall("bpmn:incoming", NS) + node.findall("bpmn:outgoing", NS):
            node.remove(old)
        position = sum(1 for c in node if c.tag in {f"{_B}documentation", f"{_B}extensionElements"})
        refs = [("incoming", f.get("id")) for f in flows if f.get("targetRef") == node.get("id")]
        refs += [("outgoing", f.get("id")) for f in flows if f.get("sourceRef") == node.get("id")]
        for offset, (kind, ident) in enumerate(refs):
            ref = etree.Element(f"{_B}{kind}")
            ref.text = ident
            node.insert(position + offset, ref)
