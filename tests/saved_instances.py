"""The instances saved by earlier releases (tests/fixtures/instances/<release>/), and one step of
walking them on: for the tests that restore them (test_saved_instances, test_serializer)."""

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
from engine.timers import next_due
from workflows import rehearsal

ROOT = Path(__file__).resolve().parent / "fixtures" / "instances"
SAVED = sorted(p for p in ROOT.glob("*/*.json") if p.name != "version.json")


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
