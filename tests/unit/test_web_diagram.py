"""The server-side BPMN drawing (web/diagram.py), without a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from web import diagram

BPMN = (Path(__file__).resolve().parents[2] / "bpmn" / "case_management.bpmn").read_text(encoding="utf-8")


def test_web_diagram_draws_every_shape_and_highlights_steps():
    svg = str(diagram.render(BPMN, current={"concertation"}, done={"verify_request"}))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("data-element=") >= 40
    assert 'data-element="concertation" data-state="current"' in svg
    assert 'data-element="verify_request" data-state="done"' in svg
    assert "<polyline" in svg and "marker-end" in svg and "<polygon" in svg and "<circle" in svg


def test_web_diagram_escapes_names_from_the_file():
    hostile = BPMN.replace('name="Vérifier la demande"', 'name="&lt;script&gt;alert(1)&lt;/script&gt;"')
    svg = str(diagram.render(hostile, title='x" onload="alert(1)'))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'onload="alert' not in svg


def test_english_pages_draw_the_english_names_the_diagram_gives():
    french = str(diagram.render(BPMN))
    assert ">Objectifs atteints ?<" in french and "Objectives met?" not in french
    english = str(diagram.render(BPMN, english=True, names={"evaluation": "Plan evaluation"}))
    assert ">Objectives met?<" in english and "Objectifs atteints" not in english  # a gateway
    assert ">Not met: new pass<" in english and ">Reminder sent<" in english  # a flow, an event
    assert ">Plan evaluation<" in english  # a step: its form's English title, given by the page
    untranslated = BPMN.replace(' casework:nameEn="Objectives met?"', "")
    assert ">Objectifs atteints ?<" in str(diagram.render(untranslated, english=True))  # no English name: the name


def test_every_label_the_shipped_diagram_draws_has_an_english_name():
    # Steps are named in English by their forms (x-title-en); every other drawn label by the diagram.
    from lxml import etree

    root = etree.fromstring(BPMN.encode())
    drawn = {node.get("bpmnElement") for node in root.iter() if isinstance(node.tag, str)
             and etree.QName(node).localname in ("BPMNShape", "BPMNEdge")}
    missing = [node.get("id") for node in root.iter() if isinstance(node.tag, str) and node.get("id") in drawn
               and node.get("name") and etree.QName(node).localname != "userTask" and not node.get(diagram.NAME_EN)]
    assert not missing, missing


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_shipped_diagram_draws_no_label_over_another_or_over_a_shape(language):
    # Each label as drawn (its lines, 10 px text, 12 px apart, centred on its bounds) against
    # the others and against every task, event and gateway but its own, in both languages.
    import xml.etree.ElementTree as ET

    ns = {"bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI", "dc": "http://www.omg.org/spec/DD/20100524/DC",
          "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    root = ET.fromstring(BPMN)
    names = {el.get("id"): (language == "en" and el.get(diagram.NAME_EN)) or el.get("name")
             for el in root.iter() if el.get("name")}

    def box(bounds):
        return tuple(float(bounds.get(k)) for k in ("x", "y", "width", "height"))

    labels, shapes = [], []
    for drawn in root.iter():
        element = drawn.get("bpmnElement")
        bounds = drawn.find("bpmndi:BPMNLabel/dc:Bounds", ns)
        if bounds is not None and names.get(element):
            x, y, w, _h = box(bounds)
            lines = diagram._wrap(names[element], w, 10)
            widest = max(len(line) for line in lines) * 10 * 0.55
            labels.append((element, (x + (w - widest) / 2, y, widest, 12 * len(lines))))
        own = drawn.find("dc:Bounds", ns)
        if drawn.tag.endswith("BPMNShape") and own is not None and box(own)[2] <= 150:  # not pools, lanes
            shapes.append((element, box(own)))

    def overlap(a, b):
        return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]

    clashes = [(a, b) for i, (a, one) in enumerate(labels) for b, other in labels[i + 1:] if overlap(one, other)]
    clashes += [(a, b) for a, one in labels for b, shape in shapes if a != b and overlap(one, shape)]
    assert not clashes, clashes


def test_a_step_name_fits_its_box_in_smaller_type_or_ends_with_an_ellipsis():
    from lxml import etree

    def drawn(name: str):
        svg = str(diagram.render(BPMN.replace('name="Vérifier la demande"', f'name="{name}"')))
        group = etree.fromstring(svg.encode()).find('.//{*}g[@data-element="verify_request"]')
        text = group.find("{*}text")
        return [span.text for span in text], float(text.get("font-size")), group.find("{*}title").text

    assert drawn("Vérifier la demande")[:2] == (["Vérifier la", "demande"], 11)
    lines, size, _title = drawn("Tell the youth: the professionals will meet without their consent")
    assert size < 11 and " ".join(lines) == "Tell the youth: the professionals will meet without their consent"
    long = "Informer chacun des représentants légaux et le jeune lui-même de la décision prise en concertation"
    lines, size, title = drawn(long)
    assert size == 9 and len(lines) * (size + 2) <= 80 - 24 and lines[-1].endswith("…")
    assert title == long  # the whole name on hover
