"""engine.serializer writes a workflow's tasks as rows (STATE_FORMAT "2-rows") and reads them
back, and still reads states written as SpiffWorkflow 3.2.0's mapping of task dicts: either way
the same tasks as SpiffWorkflow's own converter restores from its own text.

The saved instances of tests/fixtures/instances (release 0.1.0's as task dicts, later ones as
rows) are walked to their end
(open steps completed with sample answers, timers fired), and at every step both codecs
serialize the workflow and each text is restored.
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
from engine.serializer import WorkflowCodec, _restored, _SpecFreeWorkflowConverter, triggered, waiting_specs
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
def test_same_tasks_as_spiffworkflow_at_every_step_from_rows_and_from_task_dicts(path):
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
        written_as_rows = saved["serializer_version"] != "1.5-nospec"  # SpiffWorkflow cannot read rows
        _same_tasks(workflow, restore(stock, stock.dumps(workflow) if written_as_rows else saved["state"]))
        while not workflow.is_completed() and steps < 60:
            step(workflow, version, bundle, clock)
            rows, task_dicts = ours.dumps(workflow), stock.dumps(workflow)
            assert len(rows) < 0.6 * len(task_dicts)
            assert waiting_specs(json.loads(rows)) == waiting_specs(json.loads(task_dicts))
            workflow = restore(ours, rows)
            _same_tasks(workflow, restore(stock, task_dicts))
            _same_tasks(restore(ours, task_dicts), workflow)
            steps += 1
    assert workflow.is_completed() and steps >= 1


def test_rows_name_each_task_id_once_and_write_only_what_a_task_has():
    """A row's parent and children are positions; a task with no triggering, no internal data and
    its parent's data unchanged is six plain values."""
    path = next(p for p in SAVED if p.stem == "at_concertation")
    saved = json.loads(path.read_text(encoding="utf-8"))
    version = json.loads((path.parent / "version.json").read_text(encoding="utf-8"))
    codec = WorkflowCodec()
    engine = ScriptEngine(RestrictedEnvironment(), lambda task, op, params: {})
    with clock_mod.using(ManualClock(dt.datetime.fromisoformat(saved["saved_at"]))):
        workflow = codec.loads(json.loads(saved["state"]), codec.restore_specs(version["spec_json"]), engine)
        text = codec.dumps(workflow)
    rows = json.loads(text)["tasks"]
    assert len(rows) == len(workflow.tasks)
    for row, task in zip(rows, workflow.tasks.values(), strict=True):
        assert row[0] == str(task.id) and text.count(row[0]) == 1 + (task is workflow.task_tree) \
            + (task is workflow.last_task)
        assert [rows[i][0] for i in row[2]] == [str(child) for child in task._children]
        if task.parent is not None:
            assert rows[row[1]][0] == str(task.parent.id)
        if not task.triggered and not task.internal_data and task.parent is not None \
                and task.data == task.parent.data:
            assert len(row) == 6


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
