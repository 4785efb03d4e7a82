"""JSON Schema <-> HTML form fields (web/forms.py), without a database."""

from __future__ import annotations

import json
from pathlib import Path

from werkzeug.datastructures import MultiDict

from web import forms

FORMS = Path(__file__).resolve().parents[2] / "bpmn" / "forms"


def schema(name: str) -> dict:
    return json.loads((FORMS / f"{name}.json").read_text(encoding="utf-8"))


def test_web_forms_kinds_follow_the_schema():
    fields = {f.name: f for f in forms.build_fields(schema("verify_request"), {}, {}, locale="fr", people=[])}
    assert fields["youth_age"].kind == "integer"
    assert fields["lives_in_region"].kind == "boolean"
    assert fields["maturity_reasoning"].kind == "textarea"
    assert fields["partners_to_invite"].kind == "lines"
    consents = fields["consents"]
    assert consents.kind == "rows" and len(consents.rows) == 1  # a required list starts with one row
    row = {f.name: f for f in consents.rows[0]}
    assert row["consents.0.person"].kind == "select" and row["consents.0.date"].kind == "date"
    english = forms.build_fields(schema("verify_request"), {}, {}, locale="en", people=[])
    assert english[0].label == "Youth's age"


def test_web_forms_parse_keeps_what_cannot_be_converted_and_orders_rows():
    posted = MultiDict([("youth_age", "douze"), ("lives_in_region", "true"), ("failed_attempts", "3"),
                        ("consents._present", "1"), ("consents.5._row", "1"), ("consents.5.person", "youth"),
                        ("consents.2._row", "1"), ("consents.2.person", "legal_representative"),
                        ("partners_to_invite", "SAJ\n\n  PMS  \n"), ("objections", "   ")])
    data = forms.parse(schema("verify_request"), posted)
    assert data["youth_age"] == "douze" and data["failed_attempts"] == 3 and data["lives_in_region"] is True
    assert [c["person"] for c in data["consents"]] == ["legal_representative", "youth"]
    assert data["partners_to_invite"] == ["SAJ", "PMS"]
    assert "objections" not in data  # empty optional text is left out, not sent as ""


def test_web_forms_rows_booleans_people_and_server_side_row_edits():
    posted = MultiDict([("participants._present", "1"), ("participants.0._row", "1"),
                        ("participants.0.name", "A"), ("participants.0.charter_acknowledged", "on"),
                        ("participants.1._row", "1"), ("participants.1.name", "B"), ("_add", "objectives")])
    data = forms.parse(schema("concertation"), posted)
    assert [p.get("charter_acknowledged") for p in data["participants"]] == [True, False]
    assert forms.row_edit(data, posted) and data["objectives"] == [{}]
    removed = {"participants": list(data["participants"])}
    assert forms.row_edit(removed, MultiDict([("_remove", "participants.0")]))
    assert [p["name"] for p in removed["participants"]] == ["B"]
    inform = forms.parse(schema("acknowledge_youth_message"),
                         MultiDict([("inform._present", "1"), ("inform", "sophie"), ("inform", "karim")]))
    assert inform["inform"] == ["sophie", "karim"]


def test_web_forms_fixed_rows_and_scales():
    fields = {f.name: f for f in forms.build_fields(
        schema("evaluation"), {"objectives": [{"objective_id": 4, "title": "O1", "met": False}]}, {},
        locale="fr", people=[])}
    assert fields["objectives"].attrs["fixed"] is True  # evaluated objectives come from the plan
    assert fields["cooperation_quality"].kind == "radio"
    assert [o.value for o in fields["cooperation_quality"].options] == ["1", "2", "3", "4", "5"]


def test_web_forms_a_number_that_is_not_finite_is_kept_as_typed():
    # float() reads "nan", "inf" and "1e999"; none is a number a form may send (nor JSON).
    number = {"type": "object", "properties": {"amount": {"type": "number"}}}
    for typed in ("nan", "inf", "-Infinity", "1e999"):
        assert forms.parse(number, MultiDict([("amount", typed)])) == {"amount": typed}
    assert forms.parse(number, MultiDict([("amount", "12,5")])) == {"amount": 12.5}


def test_web_forms_error_summary_follows_the_form_rows_in_place():
    values = {"consents": [{"person": "youth"}, {}]}
    errors = {"clarification_interview": "c", "consents.1.status": "s1", "": "whole", "youth_age": "a",
              "consents.0": "row", "unknown": "u", "consents.0.person": "p0"}
    fields = forms.build_fields(schema("verify_request"), values, errors, locale="en", people=[])
    summary = forms.error_summary(fields, errors, lambda rows, n, label: f"{rows[:7]} {n}, {label}")
    assert summary == [
        (None, "", "whole"),  # the whole form's first
        ("youth_age", "Youth's age", "a"),
        ("consents", "Consents (the youth and each legal representative)", "row"),  # a row: on its rows
        ("consents.0.person", "Consent 1, Person", "p0"),
        ("consents.1.status", "Consent 2, Consent", "s1"),
        ("clarification_interview", "Hold a clarification interview", "c"),  # the last field
        (None, "unknown", "u"),  # no field of the form: last
    ]


def test_web_forms_a_required_yes_no_in_a_row_is_asked_not_a_box_left_unticked():
    evaluation = schema("evaluation")
    fields = {f.name: f for f in forms.build_fields(evaluation, {"objectives": [{"objective_id": 4}]}, {},
                                                    locale="fr", people=[])}
    met = next(f for f in fields["objectives"].rows[0] if f.name == "objectives.0.met")
    assert met.kind == "boolean" and met.value is None  # Oui / Non, neither chosen
    unanswered = forms.parse(evaluation, MultiDict([("objectives.0.objective_id", "4")]))
    assert "met" not in unanswered["objectives"][0]  # a required field missing, not False
    assert forms.parse(evaluation, MultiDict([("objectives.0.objective_id", "4"), ("objectives.0.met", "false")])
                       )["objectives"][0]["met"] is False
    concertation = {f.name: f for f in forms.build_fields(schema("concertation"), {"participants": [{}]}, {},
                                                          locale="fr", people=[])}
    charter = next(f for f in concertation["participants"].rows[0] if f.name.endswith("charter_acknowledged"))
    assert charter.kind == "checkbox"  # optional: a box to tick


def test_web_forms_numbers_are_read_as_typed_on_a_keyboard():
    # int() and float() read "1_0" as 10 and Arabic-Indic digits as ours: kept as text, refused.
    schema = {"type": "object", "properties": {"age": {"type": "integer"}, "amount": {"type": "number"}}}
    for typed in ("1_0", "١٢", "1 0", "0x10", "12.0", "9" * 19):
        assert forms.parse(schema, MultiDict([("age", typed)])) == {"age": typed}
    for typed, read in (("12", 12), ("+12", 12), ("-3", -3), (" 7 ", 7)):
        assert forms.parse(schema, MultiDict([("age", typed)])) == {"age": read}
    for typed in ("1_0.5", "١٫٢", "12,5,1", "."):
        assert forms.parse(schema, MultiDict([("amount", typed)])) == {"amount": typed}
    for typed, read in (("12,5", 12.5), ("0.25", 0.25), (",5", 0.5), ("2e3", 2000.0), ("-1", -1.0)):
        assert forms.parse(schema, MultiDict([("amount", typed)])) == {"amount": read}
