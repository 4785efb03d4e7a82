"""Each validation rule, with a small broken file from tests/fixtures/bpmn/broken/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from SpiffWorkflow.util.task import TaskState

from engine.bundles import Bundle
from engine.clock import ManualClock
from engine.dryrun import dry_run
from engine.validation import validate_bundle
from workflows import processes, services

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn"
MINIMAL = Bundle.from_directory(FIXTURES / "minimal")
SERVICES = set(services.HANDLERS)

# broken file -> (what it replaces in the minimal bundle, words the owner must read, element id or None)
RULES = {
    "not_xml.bpmn": ("minimal.bpmn", "not well-formed XML", None),
    "not_bpmn.bpmn": ("minimal.bpmn", "not a BPMN 2.0 diagram", None),
    "xsd_invalid.bpmn": ("minimal.bpmn", "not valid BPMN 2.0", "ask"),
    "duplicate_id.bpmn": ("minimal.bpmn", "is used twice", "done"),
    "user_task_without_form.bpmn": ("minimal.bpmn", "user task has no form", "ask"),
    "missing_form_file.bpmn": ("minimal.bpmn", "is missing from the bundle", "ask"),
    "timer_unquoted.bpmn": ("minimal.bpmn", 'write the value in quotes, like "P2D"', "wait"),
    "timer_bad_duration.bpmn": ("minimal.bpmn", "is not an ISO 8601 duration", "wait"),
    "timer_naive_date.bpmn": ("minimal.bpmn", "has no UTC offset", "wait"),
    "condition_syntax.bpmn": ("minimal.bpmn", "it is not valid Python", "f_no"),
    "condition_juel.bpmn": ("minimal.bpmn", "Camunda (JUEL) expression", "f_no"),
    "script_import.bpmn": ("minimal.bpmn", "importing modules is not allowed", "compute"),
    "script_subclasses.bpmn": ("minimal.bpmn", "__class__", "compute"),
    "script_javascript.bpmn": ("minimal.bpmn", "casework runs scripts in Python only", "compute"),
    "gateway_without_default.bpmn": ("minimal.bpmn", "has no condition and the gateway has no default flow", "route"),
    "unknown_service.bpmn": ("minimal.bpmn", "unknown service operation 'send_fax'", "tell"),
    "missing_decision.bpmn": ("minimal.bpmn", "decision 'no_such_table' is not in any DMN file", "decide"),
    "complex_gateway.bpmn": ("minimal.bpmn", "complex gateways are not supported", "route"),
    "link_event.bpmn": ("minimal.bpmn", "link events are not supported", "wait"),
    "compensation.bpmn": ("minimal.bpmn", "compensation events are not supported", "refused"),
    "unreachable.bpmn": ("minimal.bpmn", "can never be reached", "forgotten"),
    "flow_unknown_target.bpmn": ("minimal.bpmn", "leads to 'decde', which is not in this process", "f2"),
    "flow_no_target.bpmn": ("minimal.bpmn", "leads to no element (no targetRef)", "f2"),
    "message_start.bpmn": ("minimal.bpmn", "the start event must be a plain one", "start"),
    "task_two_outgoing.bpmn": ("minimal.bpmn", "may have only one outgoing flow", "compute"),
    "not_executable.bpmn": ("minimal.bpmn", "no executable process", None),
    "interrupting_event_subprocess.bpmn": ("minimal.bpmn", "interrupting event subprocess is not supported",
                                           "cancel_received"),
    "xxe.bpmn": ("minimal.bpmn", "DOCTYPE and ENTITY declarations are not allowed", None),
    "billion_laughs.bpmn": ("minimal.bpmn", "DOCTYPE and ENTITY declarations are not allowed", None),
    "dmn_not_xml.dmn": ("decision.dmn", "not well-formed XML", None),
    "dmn_feel_range.dmn": ("decision.dmn", "FEEL ranges such as [18..23] are not supported", "rule_old_age"),
    "dmn_bad_output.dmn": ("decision.dmn", "output cell", "rule_old_accepted"),
    "dmn_hit_policy.dmn": ("decision.dmn", "hit policy PRIORITY is not supported", "decision_table"),
    "dmn_two_decisions.dmn": ("decision.dmn", "one decision per DMN file", "other"),
    "dmn_xsd.dmn": ("decision.dmn", "not a valid DMN table", None),
    "form_not_json.json": ("forms/ask.json", "form is not valid JSON", "ask"),
    "form_invalid_schema.json": ("forms/ask.json", "not a valid JSON Schema", "ask"),
    "form_not_object.json": ("forms/ask.json", "must be an object schema", "ask"),
    "form_required_undefined.json": ("forms/ask.json", "requires field 'birthday'", "ask"),
}


def _broken(name: str) -> Bundle:
    replaces = RULES[name][0]
    return MINIMAL.with_files({replaces: (FIXTURES / "broken" / name).read_text(encoding="utf-8")})


def test_validation_minimal_bundle_is_valid_and_dry_runs_to_its_end():
    parsed, problems = validate_bundle(MINIMAL, services=SERVICES)
    assert problems == []
    report = dry_run(parsed, MINIMAL, services=SERVICES)
    assert report.ok and report.completed
    assert [s.element_id for s in report.steps if s.kind in ("task", "timer", "service")] == ["ask", "wait", "tell"]


@pytest.mark.parametrize("name", sorted(RULES))
def test_validation_rule_refuses_broken_file_with_where_and_why(name):
    _, expected, element_id = RULES[name]
    parsed, problems = validate_bundle(_broken(name), services=SERVICES)
    assert parsed is None
    matching = [p for p in problems if expected in p.message]
    assert matching, f"expected {expected!r} in {[str(p) for p in problems]}"
    if element_id:
        assert any(p.element_id == element_id for p in matching), [str(p) for p in matching]
    for problem in problems:
        assert "Traceback" not in str(problem) and "object at 0x" not in str(problem)


def test_validation_a_flow_to_nowhere_is_the_one_problem_said_not_every_step_after_it():
    # Uploaded with a misspelt targetRef, the case's diagram got 28 "can never be reached", the
    # flow itself named nowhere.
    for name in ("flow_unknown_target.bpmn", "flow_no_target.bpmn"):
        _, problems = validate_bundle(_broken(name), services=SERVICES)
        assert {p.element_id for p in problems} == {"f2"}, [str(p) for p in problems]
        assert not any("can never be reached" in p.message for p in problems)


def test_validation_every_fixture_has_a_rule():
    assert sorted(p.name for p in (FIXTURES / "broken").iterdir()) == sorted(
        [*RULES, "dryrun_timer_on_data.bpmn", "runtime_escape.bpmn"])


def test_validation_lists_every_problem_at_once():
    text = MINIMAL.files["minimal.bpmn"]
    text = text.replace('"P2D"</bpmn:timeDuration>', "P2D</bpmn:timeDuration>")
    text = text.replace(">not accepted<", ">${!accepted}<").replace("total = age + 1", "import os")
    _, problems = validate_bundle(MINIMAL.with_files({"minimal.bpmn": text}), services=SERVICES)
    assert {p.element_id for p in problems} >= {"wait", "f_no", "compute"}
    assert all(p.line for p in problems if p.element_id in ("wait", "f_no", "compute"))


def test_validation_xml_errors_carry_their_line():
    _, problems = validate_bundle(MINIMAL.with_files({"minimal.bpmn": "<a>\n<b>\n</a>"}), services=SERVICES)
    assert problems[0].line in (2, 3) and problems[0].file == "minimal.bpmn"


def test_validation_binary_file_is_refused_readably():
    _, problems = validate_bundle(MINIMAL.with_files({"minimal.bpmn": "PK\x03\x04\x00\x00\x00binary"}),
                                  services=SERVICES)
    assert "not a text file" in problems[0].message


def test_validation_huge_file_is_refused_before_parsing():
    huge = "<a>" + "x" * (3 * 1024 * 1024) + "</a>"
    _, problems = validate_bundle(MINIMAL.with_files({"minimal.bpmn": huge}), services=SERVICES)
    assert "too large" in problems[0].message


def test_dry_run_catches_timer_that_fails_on_real_data():
    bundle = _broken_file("dryrun_timer_on_data.bpmn")
    parsed, problems = validate_bundle(bundle, services=SERVICES)
    assert problems == []  # depends on case data: only the dry run can tell
    report = dry_run(parsed, bundle, services=SERVICES)
    assert not report.ok
    assert report.problems[0].element_id == "wait"
    assert "uses 'wait_days', which the case does not have" in report.problems[0].message


def test_sandbox_escape_at_run_time_cannot_run_in_the_dry_run():
    bundle = _broken_file("runtime_escape.bpmn")
    parsed, problems = validate_bundle(bundle, services=SERVICES)
    assert problems == []  # it compiles: only running it shows it is refused
    report = dry_run(parsed, bundle, services=SERVICES)
    assert not report.ok and report.problems[0].element_id == "compute"
    assert "format" in report.problems[0].message


def test_process_check_refuses_form_without_a_field_the_domain_reads():
    bundle = Bundle.from_directory(FIXTURES.parent.parent.parent / "bpmn")
    schema = json.loads(bundle.files["forms/verify_request.json"])
    del schema["properties"]["youth_age"]
    schema["required"].remove("youth_age")
    result = processes.check(bundle.with_files({"forms/verify_request.json": json.dumps(schema)}),
                             today=ManualClock().now())
    assert any("youth_age" in p.message and p.element_id == "verify_request" for p in result.problems), result.problems


def test_process_check_real_bundle_walks_to_the_end():
    bundle = Bundle.from_directory(FIXTURES.parent.parent.parent / "bpmn")
    result = processes.check(bundle, today=ManualClock().now())
    assert result.ok, [str(p) for p in result.problems]
    assert result.dry_run.completed
    walked = [s.element_id for s in result.dry_run.steps]
    assert {"verify_request", "concertation", "report_action", "action_overdue", "evaluation",
            "post_exit_wait", "post_exit_check_in"} <= set(walked)


def _broken_file(name: str) -> Bundle:
    return MINIMAL.with_files({"minimal.bpmn": (FIXTURES / "broken" / name).read_text(encoding="utf-8")})


def test_sandbox_escape_at_run_time_cannot_run_in_a_real_case(bare_app, monkeypatch):
    """A script that compiles but reaches for the interpreter at run time fails the step; nothing saved."""
    import os

    from sqlalchemy import func, select

    from engine.deployments import deploy
    from engine.errors import WorkflowRunError
    from engine.models import ProcessInstance

    reached = []
    monkeypatch.setattr(os, "getpid", lambda: reached.append("os") or 0)
    bundle = _broken_file("runtime_escape.bpmn")
    bundle = bundle.with_files({"minimal.bpmn": bundle.files["minimal.bpmn"].replace(
        'total = "{0.__class__.__base__}".format(age)',
        'total = "{0.__class__.__base__.__subclasses__}".format(age)')})
    app = bare_app
    with app.db.transaction() as session:
        version, _ = deploy(session, bundle, codec=app.runtime.codec, now=app.clock.now(), author="tests",
                            services=SERVICES)
    with app.db.transaction() as session:
        instance = app.runtime.start(session, version, business_key="ESCAPE-1", data={}, actor="tests")
        instance_id = instance.id
        task = app.runtime.load(session, instance).get_tasks(state=TaskState.READY, manual=True)[0]
        task_id = str(task.id)
    with app.db.transaction() as session:
        app.runtime.complete_task(session, task_id, {"age": 12}, actor="tests")
        revision = session.get(ProcessInstance, instance_id).revision
    app.clock.advance(days=3)
    with pytest.raises(WorkflowRunError) as failed, app.db.transaction() as session:
        app.runtime.fire_timers(session, instance_id)  # the wait ends: the script runs, and is refused
    assert "format" in str(failed.value)
    assert reached == []
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 1
        assert session.get(ProcessInstance, instance_id).revision == revision  # the failed step saved nothing
