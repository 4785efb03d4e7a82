"""Form validation: every field in error, located, in French and English."""

import json

import pytest

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


def test_forms_a_minimum_of_one_item_is_said_in_the_singular():
    from workflows.forms import FieldError

    assert FieldError("inform", "minItems", {"limit": 1}).message("en") == "Add at least one item."
    assert FieldError("inform", "minItems", {"limit": 1}).message("fr") == "Ajoutez au moins un élément."
    assert FieldError("participants", "minItems", {"limit": 2}).message("en") == "Add at least 2 items."


def test_forms_a_day_something_happened_is_not_after_today():
    # "x-past" dates (an interview held, a consent given) are weighed against today; an
    # action's due date is not; a malformed date is the format's error alone.
    import datetime as dt

    today = dt.date(2026, 3, 2)
    data = {"held_on": "2026-03-03", "needs": "x"}
    assert [(e.path, e.code) for e in validate_submission(schema("clarification_interview"), data, today)] == [
        ("held_on", "future")]
    assert validate_submission(schema("clarification_interview"), {**data, "held_on": "2026-03-02"}, today) == []
    assert validate_submission(schema("clarification_interview"), data) == []  # no day given: not weighed
    consents = {"consents": [{"person": "youth", "status": "given", "date": "2026-03-02"},
                             {"person": "legal_representative", "status": "given", "date": "2027-01-01"}]}
    paths = [(e.path, e.code) for e in validate_submission(schema("obtain_consent"), {
        **consents, "attempt_notes": "x", "youth_endangered": False}, today)]
    assert paths == [("consents/1/date", "future")]
    bad = [(e.path, e.code) for e in validate_submission(schema("clarification_interview"),
                                                         {**data, "held_on": "2026-02-31"}, today)]
    assert bad == [("held_on", "format")]


def test_forms_unknown_fields_and_non_objects_are_refused():
    assert [e.code for e in validate_submission(schema("report_action"), [])] == ["not_json"]
    codes = {e.code for e in validate_submission(schema("report_action"),
                                                 {"status": "done", "result": "ok", "x": 1})}
    assert codes == {"additionalProperties"}


def test_forms_small_values_keep_choices_flags_numbers_and_dates_never_free_text():
    values = small_values(schema("verify_request"), {
        "youth_age": 15, "lives_in_region": True, "objections": "long personal text", "consents": []})
    assert values == {"youth_age": 15, "lives_in_region": True}


def _samples():
    """A valid submission of every deployed form (the demo's answers)."""
    from workflows import demo

    ctx = {"today": "2026-11-02"}
    found = {name: make(ctx) for name, make in demo.SAMPLES.items() if name != "evaluation"}
    found["evaluation"] = {"objectives": [{"objective_id": 1, "met": False, "result": "En partie."}],
                           "cooperation_quality": 4}
    return found


_ODD_VALUES = (None, "", "x", "2026-02-30", "31/12/2026", "2026-12-31", 0, -1, 10**6, 1.5, True, False,
               [], {}, [{}], ["x"], [{"person": "youth", "status": "maybe"}])


def _mutations(value):
    """`value` with one part changed: each key removed, replaced by odd values, or one added;
    the same inside the first item of each list."""
    if isinstance(value, dict):
        yield {**value, "unexpected": 1}
        for key, inner in value.items():
            yield {k: v for k, v in value.items() if k != key}
            for odd in _ODD_VALUES:
                yield {**value, key: odd}
            for changed in _mutations(inner):
                yield {**value, key: changed}
    elif isinstance(value, list) and value:
        yield value + value
        for changed in _mutations(value[0]):
            yield [changed, *value[1:]]


def test_forms_the_fast_check_agrees_with_jsonschema_on_every_form():
    # The compiled checker only ever answers "valid" for jsonschema: a submission it accepts
    # must have no jsonschema error, and the reverse, on valid answers and thousands of faults.
    from workflows.forms import _validators

    checked = 0
    for name, sample in _samples().items():
        checker, validator = _validators(schema(name))
        assert checker is not None, name
        assert checker.is_valid(sample) and not list(validator.iter_errors(sample)), name
        for variant in _mutations(sample):
            errors = [e.message for e in validator.iter_errors(variant)]
            assert checker.is_valid(variant) == (not errors), (name, variant, errors)
            checked += 1
    assert checked > 1000


@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")  # Python's own doubt about "[["
def test_forms_patterns_are_judged_by_jsonschema_alone():
    # A process owner's pattern, read by Python as a set of characters, by the compiled checker
    # as the POSIX class of letters: the form must say what jsonschema says.
    form = {"type": "object", "properties": {"code": {"type": "string", "pattern": "^[[:alpha:]]+$"}}}
    assert [e.code for e in validate_submission(form, {"code": "abc"})] == ["pattern"]
    assert validate_submission(form, {"code": "a]"}) == []


def test_forms_numbers_that_are_not_finite_are_refused_with_their_field():
    # JSON Schema's "number" takes NaN and the infinities (Python's JSON parser reads them, from
    # the API), but no record holding one can be saved: PostgreSQL refuses the token.
    number = {"type": "object", "properties": {"amount": {"type": "number"},
                                               "rows": {"type": "array", "items": {"type": "object"}}}}
    errors = validate_submission(number, {"amount": float("nan"), "rows": [{"x": 1.5}, {"x": float("-inf")}]})
    assert [(e.path, e.code) for e in errors] == [("amount", "not_finite"), ("rows/1/x", "not_finite")]
    assert errors[0].message("fr") == "Donnez un nombre fini." and errors[0].message("en") == "Give a finite number."
    assert validate_submission(number, {"amount": 1e300, "rows": [{"x": -0.5}]}) == []


def test_forms_dates_outside_1900_to_2100_are_refused_with_their_field():
    # A year typed 0202 or 20266 is a slip, and a plan action due in 9999 made the reminder's
    # timer overflow (a 500 on completing the concertation).
    from workflows.demo import concertation

    data = concertation({"today": "2026-12-03"})
    data["held_on"], data["actions"][1]["due"] = "0202-12-03", "9999-12-31"
    errors = validate_submission(schema("concertation"), data)
    assert [(e.path, e.code) for e in errors] == [("actions/1/due", "date_range"), ("held_on", "date_range")]
    assert errors[0].message("fr") == "Une date entre 1900 et 2100." and errors[0].message("en") == "A date between 1900 and 2100."
    data["held_on"], data["actions"][1]["due"] = "1900-01-01", "2100-12-31"
    assert validate_submission(schema("concertation"), data) == []
    # Listed with the other errors of the same submission, once per field.
    data["held_on"], data["youth_present"] = "1899-12-31", "yes"
    assert [(e.path, e.code) for e in validate_submission(schema("concertation"), data)] == [
        ("held_on", "date_range"), ("youth_present", "type")]
    # Free text that looks like a date is text.
    text = {"type": "object", "properties": {"note": {"type": "string"}}}
    assert validate_submission(text, {"note": "0001-01-01"}) == []
