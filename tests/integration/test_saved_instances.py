"""The serialized workflow is schema too: instances saved by each release still load and run.

tests/fixtures/instances/<release>/ holds instances saved mid-process (save_instances.py) and the
version they run on. Each is restored with today's codec, its open steps checked, then walked
on: open steps completed with the domain's sample task data, timers fired on a ManualClock.
"""

from __future__ import annotations

import json

import pytest
from SpiffWorkflow.util.task import TaskState

from engine import clock as clock_mod
from engine.bundles import Bundle
from engine.clock import ManualClock
from engine.scripting import RestrictedEnvironment, ScriptEngine
from engine.serializer import STATE_FORMAT
from engine.timers import next_due
from tests.saved_instances import SAVED, restore, saved_at, step


def test_saved_instances_exist_for_this_release_and_this_state_format():
    """A change of STATE_FORMAT comes with instances saved in it (save_instances.py)."""
    assert len(SAVED) >= 5
    formats = {json.loads(path.read_text(encoding="utf-8"))["serializer_version"] for path in SAVED}
    assert STATE_FORMAT in formats and "1.5-nospec" in formats


@pytest.mark.parametrize("path", SAVED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_saved_instance_still_loads_and_runs(path):
    calls = []
    engine = ScriptEngine(RestrictedEnvironment(), lambda task, op, params: calls.append(op) or {})
    clock = ManualClock(saved_at(path))
    with clock_mod.using(clock):
        saved, version, codec, specs, workflow = restore(path, engine)
        open_steps = sorted(t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True))
        assert open_steps == saved["open_steps"]
        due = next_due(workflow)
        assert (due.isoformat() if due else None) == saved["next_timer_due"]
        bundle = Bundle(version["files"])
        for _ in range(60):
            if workflow.is_completed():
                break
            step(workflow, version, bundle, clock)
            workflow = codec.loads(codec.dumps(workflow), specs, engine)
        assert workflow.is_completed(), "a saved instance could not be walked to its end"
