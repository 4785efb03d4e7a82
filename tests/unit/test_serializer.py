"""engine.serializer writes and reads SpiffWorkflow 3.2.0's state format with its own task
converter: the same text as SpiffWorkflow's converter, and the same tasks restored from it.

The saved instances of tests/fixtures/instances are walked to their end (open steps completed
with sample answers, timers fired), and at every step both converters serialize the workflow
and restore the result.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine import clock as clock_mod
from engine.bundles import Bundle
from engine.clock import ManualClock
from engine.scripting import RestrictedEnvironment, ScriptEngine
from engine.serializer import WorkflowCodec, _restored, _SpecFreeWorkflowConverter, triggered
from tests.saved_instances import SAVED, step


def _stock_codec() -> WorkflowCodec:
    """Our codec with SpiffWorkflow's own task and subprocess converters."""
    codec = WorkflowCodec()
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpecFreeWorkflowConverter
    codec.registry = BpmnWorkflowSerializer.configure(config)
    codec.serializer = BpmnWorkflowSerializer(codec.registry)
    return codec


def _tasks(workflow: BpmnWorkflow) -> dict:
    every = [workflow, *workflow.subprocesses.values()]
    return {task.id: task for sub in every for task in sub.tasks.values()}


def _same_tasks(ours: BpmnWorkflow, theirs: BpmnWorkflow) -> None:
    mine, stock = _tasks(ours), _tasks(theirs)
    assert mine.keys() == stock.keys()
    for task_id, task in mine.items():
        other = stock[task_id]
        assert (task.task_spec.name, task.state, task._parent, task._children, task.last_state_change,
                task.triggered, task.internal_data, task.data) == \
               (other.task_spec.name, other.state, other._parent, other._children, other.last_state_change,
                other.triggered, other.internal_data, other.data), task.task_spec.name
        # A task's data is its own dict, with its containers copied from its parent's, as
        # SpiffWorkflow restores it: changing one task's data in place leaves the others alone.
        parent = task.parent
        if parent is not None:
            assert task.data is not parent.data
            for key, value in task.data.items():
                if isinstance(value, (dict, list, set)) and key in parent.data:
                    assert value is not parent.data[key]
    assert ours.data == theirs.data and ours.bpmn_events == theirs.bpmn_events
    assert {str(k) for k in ours.subprocesses} == {str(k) for k in theirs.subprocesses}


@pytest.mark.parametrize("path", SAVED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_same_state_text_and_same_tasks_as_spiffworkflow_at_every_step(path):
    saved = json.loads(path.read_text(encoding="utf-8"))
    version = json.loads((path.parent / "version.json").read_text(encoding="utf-8"))
    engine = ScriptEngine(RestrictedEnvironment(), lambda task, op, params: {})
    clock = ManualClock(dt.datetime.fromisoformat(saved["saved_at"]))
    ours, stock = WorkflowCodec(), _stock_codec()
    triggers = ours.restore_specs(version["spec_json"]).triggers()

    def restore(codec: WorkflowCodec, text: str) -> BpmnWorkflow:
        parsed = json.loads(text)
        specs = codec.restore_specs(version["spec_json"], triggered(parsed, version["process_id"], triggers))
        return codec.loads(parsed, specs, engine)

    bundle = Bundle(version["files"])
    steps = 0
    with clock_mod.using(clock):
        workflow = restore(ours, saved["state"])
        _same_tasks(workflow, restore(stock, saved["state"]))
        while not workflow.is_completed() and steps < 60:
            step(workflow, version, bundle, clock)
            text = ours.dumps(workflow)
            assert text == stock.dumps(workflow)
            workflow = restore(ours, text)
            _same_tasks(workflow, restore(stock, text))
            steps += 1
    assert workflow.is_completed() and steps >= 1


def test_restored_values_of_registered_types_come_back_as_objects():
    """Dates, datetimes and UUIDs in task data are stored as typed dicts and restored as objects."""
    ours, stock = WorkflowCodec(), _stock_codec()
    value = {"plain": [1, "a", None, {"b": 2.5}], "when": dt.datetime(2026, 12, 3, 9, 30),
             "items": [{"at": dt.timedelta(days=2)}], "nested": {"deep": [dt.datetime(2026, 1, 1)]}}
    for codec in (ours, stock):
        codec.registry._encoder_mode = True
    try:
        stored = json.loads(json.dumps(value, cls=ours.serializer._encoder_cls))
    finally:
        for codec in (ours, stock):
            codec.registry._encoder_mode = False
    assert _restored(ours.registry, stored) == stock.registry.restore(json.loads(json.dumps(stored))) == value
