"""Every message a process owner reads exists in French and English, and says the same things in both."""

from __future__ import annotations

import copy
import json
import pickle
import re
import string
from pathlib import Path

import jsonschema
import pytest

from engine import library_texts, migration
from engine.bundles import Bundle
from engine.dryrun import dry_run
from engine.errors import Problem
from engine.problem_texts import LOCALES, TEXTS, Message, localized, say
from engine.validation import validate_bundle
from workflows import cli_processes, services

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "bpmn"
MINIMAL = Bundle.from_directory(FIXTURES / "minimal")
REPLACES = {".bpmn": "minimal.bpmn", ".dmn": "decision.dmn", ".json": "forms/ask.json"}
DRY_RUN_ONLY = ("dryrun_timer_on_data.bpmn", "runtime_escape.bpmn")
SERVICES = set(services.HANDLERS)


def _placeholders(template: str) -> set[str]:
    return {name.split("!")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("catalogue", [TEXTS, cli_processes.LINES], ids=["engine", "cli"])
def test_problem_texts_every_code_has_french_and_english_with_the_same_parameters(catalogue):
    for code, templates in catalogue.items():
        assert set(templates) == set(LOCALES), code
        assert all(templates[locale].strip() for locale in LOCALES), code
        assert _placeholders(templates["fr"]) == _placeholders(templates["en"]), code
        params = {name: f"<{name}>" for name in _placeholders(templates["en"])}
        for locale in LOCALES:
            said = templates[locale].format(**params)
            assert all(value in said for value in params.values()), (code, locale)


def _codes_in_source() -> set[str]:
    """String literals shaped like a catalogue code, in every module that says messages."""
    prefixes = "|".join(sorted({code.split(".")[0] for code in TEXTS}))
    literal = re.compile(rf"""["']((?:{prefixes})\.(?!(?:bpmn|dmn|json)["'])[a-z_]+)["']""")  # not file names
    found = set()
    for folder in ("engine", "workflows", "web"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "problem_texts import" in text and path.name != "problem_texts.py":
                found |= set(literal.findall(text))
    return found | {f"diff.{key}" for key in migration._LABELLED}


def test_problem_texts_every_code_said_in_the_code_is_in_the_catalogue_and_none_is_dead():
    used = _codes_in_source()
    assert used - set(TEXTS) == set(), "said but not in the catalogue"
    assert set(TEXTS) - used == set(), "in the catalogue but never said"


def _problems_of(name: str) -> list[Problem]:
    bundle = MINIMAL.with_files({REPLACES[Path(name).suffix]: (FIXTURES / "broken" / name).read_text("utf-8")})
    parsed, problems = validate_bundle(bundle, services=SERVICES)
    if name in DRY_RUN_ONLY:
        assert problems == []
        return dry_run(parsed, bundle, services=SERVICES).problems
    return problems


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "broken").iterdir()))
def test_problem_texts_each_broken_fixture_is_said_in_french_and_english(name):
    problems = _problems_of(name)
    assert problems
    for problem in problems:
        assert problem.code in TEXTS, problem
        assert problem.text("en") == problem.message
        assert problem.text() == problem.text("fr") != problem.text("en"), problem.code
        assert problem.located("fr").startswith(problem.where())
        for value in problem.params.values():  # what the modeler wrote is quoted as written
            if isinstance(value, str) and not isinstance(value, Message) and value:
                assert value in problem.text("fr"), (problem.code, value)


def test_problem_texts_unquoted_timer_reads_plainly_in_french():
    problems = _problems_of("timer_unquoted.bpmn")
    assert problems[0].element_id == "wait"
    assert problems[0].text("fr") == ('la minuterie (timeDuration) « P2D » doit être écrite entre guillemets : "P2D" '
                                      "(casework lit les minuteries comme des expressions)")


def test_problem_texts_library_message_keeps_its_words_with_a_french_lead_in():
    problems = _problems_of("xsd_invalid.bpmn")
    xsd = next(p for p in problems if p.code == "bpmn.xsd")
    assert xsd.text("fr") == ("ce n'est pas du BPMN 2.0 valide : l'attribut « colour » n'est pas permis sur "
                              "l'élément bpmn:userTask")  # a message libxml2 says often, in French too
    assert xsd.params["error"] in xsd.text("en")
    from engine.library_texts import xsd_error

    rare = "Element 'bpmn:userTask': This element is not expected."
    assert xsd_error(rare) == rare  # another: the library's own words, with the French lead-in


def test_problem_texts_nested_and_listed_messages_are_said_in_one_language():
    message = say("process.several_main", count=2, ids=[say("word.quoted", text="main"), say("word.quoted", text="B")])
    assert message == "expected one main executable process, found 2: 'main', 'B'"
    assert message.text("fr").endswith("il y en a 2 : « main », « B »")
    assert message.text("de") == message.text("fr")  # an unknown locale reads French


def test_problem_texts_message_survives_copy_and_pickle():
    message = say("expr.refused", what=say("what.condition"), text="${x}", why=say("hint.juel", inner="x"))
    for clone in (copy.deepcopy(message), pickle.loads(pickle.dumps(message))):
        assert (clone.code, clone.text("fr"), str(clone)) == (message.code, message.text("fr"), str(message))


def test_problem_texts_problem_from_plain_text_and_from_a_code():
    plain = Problem("something English", file="a.bpmn", line=3)
    assert plain.code is None and plain.text("fr") == "something English" and str(plain) == "a.bpmn:3: something English"
    coded = Problem(say("timer.no_offset", value="2026-05-01T10:00"), file="a.bpmn", line=3, element_id="wait")
    assert coded.code == "timer.no_offset" and coded.params == {"value": "2026-05-01T10:00"}
    assert type(coded.message) is str and str(coded).startswith("a.bpmn:3 / wait: timer date '2026-05-01T10:00'")
    assert coded.located("fr").startswith("a.bpmn:3 / wait : la date « 2026-05-01T10:00 » de la minuterie")
    assert localized(coded, "en") == coded.message and localized("as is", "fr") == "as is"
    with pytest.raises(KeyError):
        say("no.such_code")


@pytest.mark.parametrize("text", ['{"a": 1,}', '{"a" 1}', '{"a": 1} x', '{"a": "x\n"}', '[1,]', '{"a": "\\q"}',
                                  '{"a": 1 "b": 2}', '{"a": "abc'])
def test_problem_texts_json_parser_messages_are_said_in_french_and_as_python_says_them_in_english(text):
    with pytest.raises(json.JSONDecodeError) as raised:
        json.loads(text)
    said = library_texts.json_error(raised.value.msg)
    assert isinstance(said, Message) and str(said) == raised.value.msg
    assert localized(said, "fr") != raised.value.msg


@pytest.mark.parametrize(("schema", "french"), [
    ({"type": "strng"}, "'strng' n'est pas un type de JSON Schema : string, number, integer, boolean, object, array ou null"),
    ({"required": "name"}, "'name' devrait être une liste ([…])"),
    ({"properties": {"a": {"minLength": "3"}}}, "'3' devrait être un nombre entier"),
    ({"items": 3}, "3 devrait être un objet ({…}) ou true ou false"),
    ({"required": ["x", "x"]}, "['x', 'x'] contient des éléments en double"),
    ({"minLength": -1}, "-1 est plus petit que le minimum, 0"),
])
def test_problem_texts_jsonschema_messages_on_a_form_are_said_in_french(schema, french):
    with pytest.raises(jsonschema.SchemaError) as raised:
        jsonschema.Draft202012Validator.check_schema(schema)
    said = library_texts.schema_error(raised.value.message, tuple(raised.value.absolute_path))
    assert localized(said, "fr") == french
    if "type" not in schema:  # an unknown type is explained in English too
        assert str(said) == raised.value.message


def test_problem_texts_an_unknown_library_message_is_kept_as_it_is():
    assert library_texts.schema_error("something new in jsonschema 5") == "something new in jsonschema 5"
    assert library_texts.schema_error("3 is not of type 'thing'") == "3 is not of type 'thing'"
    assert library_texts.json_error("Illegal trailing comma") == "Illegal trailing comma"


def test_problem_texts_a_broken_form_is_explained_in_french_in_the_process_check():
    bundle = MINIMAL.with_files({"forms/ask.json": '{"type": "object", "properties": {"age": {"type": "integr"}}}'})
    (problem,) = validate_bundle(bundle, services=SERVICES)[1]
    assert problem.text("fr") == ("le formulaire n'est pas un JSON Schema valide, à l'endroit properties/age/type : "
                                  "'integr' n'est pas un type de JSON Schema : string, number, integer, boolean, "
                                  "object, array ou null")


def test_problem_texts_spiffworkflow_suggestion_of_a_name_is_said_in_french():
    from engine.expressions import runtime_message

    err = NameError("name 'consnt' is not defined")
    err.add_note("Did you mean one of '['consent', 'case_ref', 'eligible']'?")
    said = runtime_message(err)
    assert localized(said, "fr").endswith("(vouliez-vous dire « consent », « case_ref » ou « eligible » ?)")
    assert str(said).endswith("(did you mean 'consent', 'case_ref', 'eligible'?)")
