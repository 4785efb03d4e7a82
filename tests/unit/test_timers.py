"""Due times of waiting timers, as the scheduler reads them, and the injectable clock."""

import datetime as dt

from SpiffWorkflow.util.task import TaskState

from engine import clock as clock_mod
from engine.bundles import Bundle
from engine.clock import ManualClock
from engine.scripting import RestrictedEnvironment, ScriptEngine
from engine.serializer import WorkflowCodec
from engine.timers import next_due
from engine.validation import validate_bundle
from tests.conftest import BPMN_DIR

UTC = dt.UTC


def new_workflow():
    parsed, problems = validate_bundle(Bundle.from_directory(BPMN_DIR))
    assert not problems
    codec = WorkflowCodec()
    specs = codec.restore_specs(codec.dumps_specs(parsed.spec, parsed.subprocess_specs))
    engine = ScriptEngine(RestrictedEnvironment(), lambda *a: {})
    return codec, engine, codec.new_workflow(specs, engine), specs


def complete(wf, name, **data):
    task = next(t for t in wf.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.name == name)
    task.set_data(**data)
    task.run()
    wf.do_engine_steps()


def test_timers_due_time_follows_the_clock_and_survives_serialization():
    clock = ManualClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with clock_mod.using(clock):
        codec, engine, wf, specs = new_workflow()
        start = {"case_manager": "anne", "pass_number": 0, "consent_attempts": 0}
        wf.get_next_task(state=TaskState.READY).set_data(**start)
        wf.do_engine_steps()
        assert next_due(wf) is None
        complete(wf, "verify_request", youth_age=15, lives_in_region=True, severe_complex_multiple=True,
                 failed_attempts=3, consent="pending", youth_endangered=False, clarification_interview=True)
        # The consent reminder is a cycle "R3/P7D": first due one period from now.
        assert next_due(wf) == dt.datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
        restored = codec.loads(codec.dumps(wf), specs, engine)
        assert next_due(restored) == next_due(wf)


def test_timers_clock_is_per_context():
    a = ManualClock(dt.datetime(2026, 1, 1, tzinfo=UTC))
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    with clock_mod.using(a):
        assert timer.datetime.now(UTC) == dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert abs(timer.datetime.now(UTC) - dt.datetime.now(UTC)) < dt.timedelta(seconds=5)
