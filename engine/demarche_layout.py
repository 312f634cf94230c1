"""The diagram (BPMN DI) of a démarche built from a model (engine/demarche_models.py): fixed places."""

from __future__ import annotations

#: (id, kind, label, x, y, lane) — kind: start, end, user, service, script, gateway, sub, boundary
Node = tuple[str, str, str, int, int, str]
_W = {"start": 36, "end": 36, "boundary": 36, "gateway": 50, "sub": 1000}
_H = {"start": 36, "end": 36, "boundary": 36, "gateway": 50, "sub": 470}


def _size(kind: str) -> tuple[int, int]:
    return _W.get(kind, 100), _H.get(kind, 80)


def _center(node: Node) -> tuple[int, int]:
    width, height = _size(node[1])
    return node[3] + width // 2, node[4] + height // 2


def diagram(key: str, node_list: list[Node], flows: list[tuple[str, str, str, str]]) -> str:
    """The BPMNDiagram of a démarche model: the pool, its two lanes, every node and flow."""
    nodes = {n[0]: n for n in node_list}
    shapes = [
        '<bpmndi:BPMNShape id="Participant_di" bpmnElement="Participant" isHorizontal="true">'
        '<dc:Bounds x="100" y="60" width="1760" height="700" /></bpmndi:BPMNShape>',
        '<bpmndi:BPMNShape id="Lane_Famille_di" bpmnElement="Lane_Famille" isHorizontal="true">'
        '<dc:Bounds x="130" y="60" width="1730" height="200" /></bpmndi:BPMNShape>',
        '<bpmndi:BPMNShape id="Lane_Service_di" bpmnElement="Lane_Service" isHorizontal="true">'
        '<dc:Bounds x="130" y="260" width="1730" height="500" /></bpmndi:BPMNShape>',
    ]
    for ident, node in nodes.items():
        width, height = _size(node[1])
        expanded = ' isExpanded="true"' if node[1] == "sub" else ""
        shapes.append(
            f'<bpmndi:BPMNShape id="{ident}_di" bpmnElement="{ident}"{expanded}>'
            f'<dc:Bounds x="{node[3]}" y="{node[4]}" width="{width}" height="{height}" /></bpmndi:BPMNShape>'
        )
    for index, (source, target, _c, _n) in enumerate(flows):
        (x1, y1), (x2, y2) = _center(nodes[source]), _center(nodes[target])
        x1 += _size(nodes[source][1])[0] // 2 if nodes[source][1] != "boundary" else 0
        x2 -= _size(nodes[target][1])[0] // 2
        middle = (x1 + x2) // 2
        points = [(x1, y1), (middle, y1), (middle, y2), (x2, y2)] if y1 != y2 else [(x1, y1), (x2, y2)]
        waypoints = "".join(f'<di:waypoint x="{x}" y="{y}" />' for x, y in points)
        shapes.append(
            f'<bpmndi:BPMNEdge id="flux_{index}_di" bpmnElement="flux_{index}">{waypoints}</bpmndi:BPMNEdge>'
        )
    return (
        f'<bpmndi:BPMNDiagram id="Diagram_{key}"><bpmndi:BPMNPlane id="Plane_{key}" '
        f'bpmnElement="Collaboration_{key}">{"".join(shapes)}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>'
    )
