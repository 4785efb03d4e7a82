"""Form validation: every field in error, located, in French and English."""

import json

from tests.conftest import BPMN_DIR
from workflows.forms import small_values, validate_submission


def schema(name):
    return json.loads((BPMN_DIR / "forms" / f"{name}.json").read_text())


def test_forms_every_error_has_its_field_path():
    errors = validate_submission(schema("concertation"), {
        "held_on": "31/12/2026", "youth_present": "yes",
        "participants": [{"name": "A", "kind": "professional"}],
        "objectives": [], "actions": [{"objective": "O1", "what": "x", "carrier": "sophie"}],
    })
    by_path = {(e.path, e.code) for e in errors}
    assert ("held_on", "format") in by_path
    assert ("youth_present", "type") in by_path
    assert ("participants", "minItems") in by_path
    assert ("objectives", "minItems") in by_path
    assert ("actions/0/due", "required") in by_path


def test_forms_at_least_two_professionals():
    data = {"held_on": "2026-03-02", "youth_present": True,
            "participants": [{"name": "A", "kind": "professional"}, {"name": "B", "kind": "family"}],
            "objectives": [{"key": "O1", "title": "t"}],
            "actions": [{"objective": "O1", "what": "x", "carrier": "sophie", "due": "2026-04-01"}]}
    errors = validate_submission(schema("concertation"), data)
    assert [(e.path, e.code) for e in errors] == [("participants", "minContains")]
    assert "2" in errors[0].message("fr")


def test_forms_messages_in_both_languages():
    [error] = validate_submission(schema("report_action"), {"status": "done"})
    assert error.path == "result"
    assert error.message("fr") == "Ce champ est obligatoire."
    assert error.message("en") == "This field is required."


def test_forms_unknown_fields_and_non_objects_are_refused():
    assert [e.code for e in validate_submission(schema("report_action"), [])] == ["not_json"]
    codes = {e.code for e in validate_submission(schema("report_action"),
                                                 {"status": "done", "result": "ok", "x": 1})}
    assert codes == {"additionalProperties"}


def test_forms_small_values_keep_choices_flags_numbers_and_dates_never_free_text():
    values = small_values(schema("verify_request"), {
        "youth_age": 15, "lives_in_region": True, "objections": "long personal text", "consents": []})
    assert values == {"youth_age": 15, "lives_in_region": True}
