"""The server-side BPMN drawing (web/diagram.py), without a database."""

from __future__ import annotations

from pathlib import Path

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
