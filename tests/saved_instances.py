"""The instances saved by earlier releases (tests/fixtures/instances/<release>/): restoring one,
and one step of walking it on, for the tests that do (test_saved_instances, test_serializer,
test_engine_steps)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.bundles import Bundle
from engine.clock import ManualClock
from engine.sample_data import answers
from engine.scripting import ScriptEngine
from engine.serializer import Specs, WorkflowCodec, triggered
from engine.timers import next_due
from workflows import rehearsal

ROOT = Path(__file__).resolve().parent / "fixtures" / "instances"
SAVED = sorted(p for p in ROOT.glob("*/*.json") if p.name != "version.json")


def saved_at(path: Path) -> dt.datetime:
    """When the instance at `path` was saved: the clock to restore and walk it on."""
    return dt.datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["saved_at"])


def restore(path: Path, engine: ScriptEngine) -> tuple[dict, dict, WorkflowCodec, Specs, BpmnWorkflow]:
    """The saved instance at `path`, its version, and its workflow restored with today's codec."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    version = json.loads((path.parent / "version.json").read_text(encoding="utf-8"))
    codec = WorkflowCodec()
    state = json.loads(saved["state"])
    triggers = codec.restore_specs(version["spec_json"]).triggers()
    specs = codec.restore_specs(version["spec_json"], triggered(state, version["process_id"], triggers))
    return saved, version, codec, specs, codec.loads(state, specs, engine)


def step(workflow: BpmnWorkflow, version: dict[str, Any], bundle: Bundle, clock: ManualClock) -> None:
    """Complete the first open user task with sample answers to its form or, when none is open,
    fire the next timer; then run the process to its next wait."""
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    if ready:
        task = ready[0]
        form = version["forms"].get(task.task_spec.bpmn_id)
        schema = json.loads(bundle.form(form)) if form else {"type": "object"}
        data, _errors = answers(schema, rehearsal.PREFERRED.get(task.task_spec.bpmn_id), clock.now().date())
        task.set_data(**rehearsal.task_data(task.task_spec.bpmn_id, data, {**workflow.data, **task.data}))
        task.run()
    else:
        due = next_due(workflow)
        assert due is not None, "the saved instance waits for nothing"
        clock.set(due + dt.timedelta(seconds=1))
        workflow.refresh_timers()
    workflow.do_engine_steps()
