"""Draw a BPMN diagram as SVG on the server, from its diagram interchange (bpmndi), no client build.

Shapes and edges come from `bpmndi:BPMNShape` / `bpmndi:BPMNEdge`; what each shape is (task,
event, gateway, lane...) comes from the process element it points to. Current steps and done
steps are highlighted. Everything drawn from the file is escaped.

A diagram names its elements in one language (`name`, French here); an element may also carry
its English name as `casework:nameEn` (the process editor's "Nom en anglais"), drawn on English
pages.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree
from markupsafe import Markup

from engine import validation

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
NAME_EN = validation.NAME_EN  # an element's English name
TASKS = {"task", "userTask", "serviceTask", "businessRuleTask", "scriptTask", "sendTask", "receiveTask",
         "manualTask", "callActivity"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
CURRENT = ("#ffe0b2", "#e65100")
DONE = ("#e6f4ea", "#1e6b3a")


@dataclass
class Element:
    id: str
    kind: str
    name: str
    name_en: str = ""
    event_kind: str = ""  # timer | message | ...
    multi_instance: bool = False
    triggered_by_event: bool = False


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _elements(root) -> dict[str, Element]:
    found: dict[str, Element] = {}
    for node in root.iter():
        kind = _local(node.tag)
        node_id = node.get("id")
        if not node_id or node.tag is etree.Comment:
            continue
        element = Element(node_id, kind, node.get("name") or "", name_en=node.get(NAME_EN) or "")
        for child in node:
            child_kind = _local(child.tag)
            if child_kind.endswith("EventDefinition"):
                element.event_kind = child_kind.removesuffix("EventDefinition")
            elif child_kind == "multiInstanceLoopCharacteristics":
                element.multi_instance = True
        element.triggered_by_event = node.get("triggeredByEvent") == "true"
        found[node_id] = element
    return found


def _bounds(node) -> tuple[float, float, float, float] | None:
    b = node.find("dc:Bounds", NS)
    if b is None:
        return None
    return float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height"))


def _wrap(text: str, width: float, size: float = 11, most: int = 5) -> list[str]:
    per_line = max(6, int(width / (size * 0.55)))
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > per_line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines[:most]


def _fit(text: str, width: float, height: float) -> tuple[list[str], float]:
    """`text` wrapped to fit a box: in 11 px type, else 10 or 9; what 9 px cannot hold ends in
    "…" (the whole name is the shape's tooltip)."""
    for size in (11, 10, 9):
        lines = _wrap(text, width, size, most=99)
        if len(lines) * (size + 2) <= height:
            return lines, size
    room = max(1, int(height // (size + 2)))
    if len(lines) > room:
        lines = lines[:room]
        lines[-1] = lines[-1].rstrip(" .,;:") + "…"
    return lines, size


def _text(lines: list[str], cx: float, top: float, size: float = 11, anchor: str = "middle") -> str:
    spans = "".join(f'<tspan x="{cx:.1f}" dy="{size + 2 if i else size:.0f}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text x="{cx:.1f}" y="{top:.1f}" font-size="{size}" text-anchor="{anchor}">{spans}</text>'


def render(bpmn_xml: str, *, current: Iterable[str] = (), done: Iterable[str] = (),
           title: str = "BPMN", names: Mapping[str, str] | None = None, english: bool = False) -> Markup:
    """An inline SVG of the diagram; `current` and `done` are element ids to highlight, `names`
    element id -> the name to write instead of the file's (the steps in the page's language);
    `english`: elements that give an English name (`casework:nameEn`) are named by it.

    Deployed versions never change, so drawings are cached by content, highlights and names."""
    return _render(bpmn_xml, tuple(sorted(set(current))), tuple(sorted(set(done))), title,
                   tuple(sorted((names or {}).items())), english)


@functools.lru_cache(maxsize=256)
def _render(bpmn_xml: str, current: tuple[str, ...], done: tuple[str, ...], title: str,
            names: tuple[tuple[str, str], ...] = (), english: bool = False) -> Markup:
    root = etree.fromstring(bpmn_xml.encode("utf-8") if isinstance(bpmn_xml, str) else bpmn_xml)
    elements = _elements(root)
    if english:
        for element in elements.values():
            element.name = element.name_en or element.name
    for element_id, name in names:
        if element_id in elements and name:
            elements[element_id].name = name
    current, done = set(current), set(done) - set(current)
    plane = root.find(".//bpmndi:BPMNPlane", NS)
    if plane is None:
        return Markup("")
    back, front, edges, labels = [], [], [], []
    min_x = min_y = math.inf
    max_x = max_y = -math.inf

    def grow(x, y, w=0.0, h=0.0):
        nonlocal min_x, min_y, max_x, max_y
        min_x, min_y = min(min_x, x), min(min_y, y)
        max_x, max_y = max(max_x, x + w), max(max_y, y + h)

    for shape in plane.findall("bpmndi:BPMNShape", NS):
        box = _bounds(shape)
        element = elements.get(shape.get("bpmnElement") or "")
        if box is None or element is None:
            continue
        grow(*box)
        state = "current" if element.id in current else "done" if element.id in done else ""
        drawn = _shape(element, box, state)
        (back if element.kind in ("participant", "lane", "subProcess") else front).append(drawn)
        label = shape.find("bpmndi:BPMNLabel", NS)
        label_box = _bounds(label) if label is not None else None
        if element.name and element.kind in EVENTS | GATEWAYS:
            lx, ly, lw, _lh = label_box or (box[0] - 25, box[1] + box[3] + 4, box[2] + 50, 20)
            labels.append(_text(_wrap(element.name, lw, 10), lx + lw / 2, ly, 10))
    for edge in plane.findall("bpmndi:BPMNEdge", NS):
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]
        if len(points) < 2:
            continue
        for x, y in points:
            grow(x, y)
        element = elements.get(edge.get("bpmnElement") or "")
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        edges.append(f'<polyline points="{path}" fill="none" stroke="#44546a" stroke-width="1.4" '
                     f'marker-end="url(#arrow)"/>')
        label = edge.find("bpmndi:BPMNLabel", NS)
        if element is not None and element.name:
            lx, ly, lw, _lh = _bounds(label) if label is not None and _bounds(label) else (
                points[0][0] + 4, points[0][1] - 16, 90, 14)
            labels.append(_text(_wrap(element.name, lw, 10), lx + lw / 2, ly, 10))
    if min_x is math.inf:
        return Markup("")
    pad = 10
    width, height = max_x - min_x + 2 * pad, max_y - min_y + 2 * pad
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{min_x - pad:.0f} {min_y - pad:.0f} {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" '
        f'font-family="system-ui, sans-serif">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#44546a"/></marker></defs>'
        + "".join(back) + "".join(edges) + "".join(front) + "".join(labels) + "</svg>"
    )
    return Markup(svg)


def _colours(state: str, fill: str = "#ffffff", stroke: str = "#22313f") -> tuple[str, str, float]:
    if state == "current":
        return CURRENT[0], CURRENT[1], 3.0
    if state == "done":
        return DONE[0], DONE[1], 2.0
    return fill, stroke, 1.5


def _shape(element: Element, box, state: str) -> str:
    x, y, w, h = box
    title = f"<title>{escape(element.name or element.id)}</title>"
    mark = f' data-element="{escape(element.id)}"' + (f' data-state="{state}"' if state else "")
    kind = element.kind
    if kind in ("participant", "lane"):
        label = _text(_wrap(element.name, h - 10, 12), 0, 0, 12)
        rotated = (f'<g transform="translate({x + 15:.1f},{y + h / 2:.1f}) rotate(-90)">{label}</g>'
                   if element.name else "")
        return (f'<g{mark}>{title}<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="none" stroke="#8a96a8" '
                f'stroke-width="1.2"/><line x1="{x + 30}" y1="{y}" x2="{x + 30}" y2="{y + h}" stroke="#8a96a8"/>'
                f'{rotated}</g>') if kind == "participant" else (
                f'<g{mark}>{title}<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="#fbfcfe" stroke="#b5bfcc"/>'
                f'<line x1="{x + 30}" y1="{y}" x2="{x + 30}" y2="{y + h}" stroke="#b5bfcc"/>{rotated}</g>')
    if kind == "subProcess":
        fill, stroke, width = _colours(state, "#ffffff", "#22313f")
        dash = ' stroke-dasharray="6 4"' if element.triggered_by_event else ""
        marker = ""
        if element.multi_instance:
            cx = x + w / 2
            marker = "".join(f'<line x1="{cx + dx}" y1="{y + h - 18}" x2="{cx + dx}" y2="{y + h - 6}" '
                             f'stroke="#22313f" stroke-width="2"/>' for dx in (-6, 0, 6))
        return (f'<g{mark}>{title}<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="12" fill="{fill}" '
                f'fill-opacity="0.6" stroke="{stroke}" stroke-width="{width}"{dash}/>'
                f'{_text(_wrap(element.name, w - 20, 11), x + 10, y + 6, 11, "start")}{marker}</g>')
    if kind in TASKS:
        fill, stroke, width = _colours(state)
        lines, size = _fit(element.name, w - 8, h - 24)  # clear of the icon above, the markers below
        top = y + h / 2 - (len(lines) * (size + 2)) / 2 - 1
        return (f'<g{mark}>{title}<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="10" fill="{fill}" '
                f'stroke="{stroke}" stroke-width="{width}"/>' + _task_icon(kind, x + 6, y + 6, stroke)
                + _text(lines, x + w / 2, top + 2, size) + "</g>")
    if kind in EVENTS:
        fill, stroke, width = _colours(state)
        r = min(w, h) / 2
        cx, cy = x + w / 2, y + h / 2
        if kind == "endEvent":
            width = max(width, 3.5)
        parts = [f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{fill}" stroke="{stroke}" stroke-width="{width}"'
                 + (' stroke-dasharray="4 3"' if kind == "startEvent" and element.event_kind else "") + "/>"]
        if kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="{r - 3}" fill="none" stroke="{stroke}" stroke-width="1.2"/>')
        if element.event_kind == "timer":
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="{r - 7}" fill="#fff" stroke="{stroke}" stroke-width="1.2"/>'
                         f'<path d="M{cx},{cy} L{cx},{cy - r + 10} M{cx},{cy} L{cx + 5},{cy}" stroke="{stroke}" '
                         f'stroke-width="1.4"/>')
        elif element.event_kind == "message":
            parts.append(f'<rect x="{cx - 8}" y="{cy - 6}" width="16" height="12" fill="#fff" stroke="{stroke}"/>'
                         f'<path d="M{cx - 8},{cy - 6} L{cx},{cy + 1} L{cx + 8},{cy - 6}" fill="none" stroke="{stroke}"/>')
        return f'<g{mark}>{title}{"".join(parts)}</g>'
    if kind in GATEWAYS:
        fill, stroke, width = _colours(state)
        cx, cy = x + w / 2, y + h / 2
        diamond = f"{cx},{y} {x + w},{cy} {cx},{y + h} {x},{cy}"
        if kind == "parallelGateway":
            sign = f'<path d="M{cx},{cy - 12} L{cx},{cy + 12} M{cx - 12},{cy} L{cx + 12},{cy}" stroke="{stroke}" stroke-width="3"/>'
        elif kind == "exclusiveGateway":
            sign = (f'<path d="M{cx - 8},{cy - 8} L{cx + 8},{cy + 8} M{cx + 8},{cy - 8} L{cx - 8},{cy + 8}" '
                    f'stroke="{stroke}" stroke-width="3"/>')
        else:
            sign = f'<circle cx="{cx}" cy="{cy}" r="9" fill="none" stroke="{stroke}" stroke-width="2"/>'
        return (f'<g{mark}>{title}<polygon points="{diamond}" fill="{fill}" stroke="{stroke}" '
                f'stroke-width="{width}"/>{sign}</g>')
    return (f'<g{mark}>{title}<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="none" stroke="#8a96a8" '
            f'stroke-dasharray="3 3"/></g>')


def _task_icon(kind: str, x: float, y: float, stroke: str) -> str:
    """Small drawn markers (no font glyphs): a person, a gear, a table."""
    if kind == "userTask":
        return (f'<circle cx="{x + 6}" cy="{y + 4}" r="3" fill="none" stroke="{stroke}" stroke-width="1.2"/>'
                f'<path d="M{x},{y + 14} Q{x + 6},{y + 5} {x + 12},{y + 14} Z" fill="none" stroke="{stroke}" stroke-width="1.2"/>')
    if kind == "serviceTask":
        return (f'<circle cx="{x + 6}" cy="{y + 6}" r="5" fill="none" stroke="{stroke}" stroke-width="2.4" '
                f'stroke-dasharray="2 1.6"/><circle cx="{x + 6}" cy="{y + 6}" r="2" fill="none" stroke="{stroke}"/>')
    if kind == "businessRuleTask":
        return (f'<rect x="{x}" y="{y}" width="14" height="10" fill="none" stroke="{stroke}"/>'
                f'<path d="M{x},{y + 4} H{x + 14} M{x + 5},{y + 4} V{y + 10}" stroke="{stroke}"/>')
    return ""


def bpmn_file(files: dict[str, str]) -> str | None:
    """The main BPMN file of a deployed version's files."""
    names = sorted(name for name in files if name.endswith(".bpmn"))
    return files[names[0]] if names else None
