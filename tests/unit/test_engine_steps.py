"""engine.runtime runs a process to its next wait as SpiffWorkflow 3.2.0 does, skipping the walks
of task trees that cannot find a READY engine task or a WAITING task: the same tasks run, in the
same order.

Each saved instance (tests/fixtures/instances) is restored twice and walked to its end, once
with SpiffWorkflow's own BpmnWorkflow._do_engine_steps and Workflow.update_waiting_tasks and
once with ours; after every step both states must be the same (but for the times of state changes, which are the wall clock's).
New tasks take numbered ids, so that the same tasks created in the same order have the same ids.
"""

from __future__ import annotations

import itertools
import json
import uuid
from pathlib import Path

import pytest
import SpiffWorkflow.task
import SpiffWorkflow.util.task
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow

from engine import clock as clock_mod
from engine import runtime
from engine.bundles import Bundle
from engine.clock import ManualClock
from engine.scripting import RestrictedEnvironment, ScriptEngine
from engine.serializer import ROW_CHANGED, WorkflowCodec
from tests.saved_instances import SAVED, restore, saved_at, step

NESTED = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn" / "nested" / "nested.bpmn"


def _without_times(value):
    if isinstance(value, dict):
        return {k: [[*row[:ROW_CHANGED], None, *row[ROW_CHANGED + 1:]] for row in v] if k == "tasks" and isinstance(v, list)
                else _without_times(v) for k, v in value.items() if k != "last_state_change"}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def _engine(monkeypatch, ours: bool) -> None:
    """Our passes, or SpiffWorkflow's; and new tasks numbered from 1."""
    monkeypatch.setattr(BpmnWorkflow, "_do_engine_steps",
                        runtime._do_engine_steps if ours else runtime._SPIFF_DO_ENGINE_STEPS)
    monkeypatch.setattr(Workflow, "update_waiting_tasks",
                        runtime._update_waiting_tasks if ours else runtime._SPIFF_UPDATE_WAITING_TASKS)
    numbers = itertools.count(1)
    monkeypatch.setattr(SpiffWorkflow.task, "uuid4", lambda: uuid.UUID(int=next(numbers)))


@pytest.mark.parametrize("path", SAVED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_same_steps_as_spiffworkflow(path, monkeypatch):
    assert BpmnWorkflow._do_engine_steps is runtime._do_engine_steps
    assert Workflow.update_waiting_tasks is runtime._update_waiting_tasks
    engine = ScriptEngine(RestrictedEnvironment(), lambda task, op, params: {})

    def walk(ours: bool) -> list:
        _engine(monkeypatch, ours)
        clock = ManualClock(saved_at(path))
        states = []
        with clock_mod.using(clock):
            _saved, version, codec, _specs, workflow = restore(path, engine)
            bundle = Bundle(version["files"])
            while not workflow.is_completed() and len(states) < 60:
                step(workflow, version, bundle, clock)
                states.append(_without_times(json.loads(codec.dumps(workflow))))
        return states

    ours = walk(ours=True)
    assert ours == walk(ours=False) and len(ours) >= 1


@pytest.mark.parametrize("order", [0, -1], ids=["inner task first", "top task first"])
def test_the_same_steps_as_spiffworkflow_in_nested_subprocesses(order, monkeypatch):
    """Our diagrams have one level of subprocess; a process owner may draw more."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(NESTED))
    codec = WorkflowCodec()

    def walk(ours: bool) -> list:
        _engine(monkeypatch, ours)
        workflow = BpmnWorkflow(parser.get_spec("nested"), parser.get_subprocess_specs("nested"))
        workflow.do_engine_steps()
        states = [_without_times(json.loads(codec.dumps(workflow)))]
        while ready := workflow.get_tasks(state=TaskState.READY, manual=True):
            ready[order].run()
            workflow.do_engine_steps()
            states.append(_without_times(json.loads(codec.dumps(workflow))))
        assert workflow.is_completed() and workflow.data["after"] == 2 and len(workflow.subprocesses) == 2
        return states

    assert walk(ours=True) == walk(ours=False)


def test_fewer_walks_of_the_task_tree_than_spiffworkflow(monkeypatch):
    """What the passes are for: a partner's report walks the task tree less than half as often."""
    path = next(p for p in SAVED if p.stem == "at_report_action_with_complaint")
    engine = ScriptEngine(RestrictedEnvironment(), lambda task, op, params: {})
    walks = {"counting": False, "count": 0}
    start_walk = SpiffWorkflow.util.task.TaskIterator.__init__

    def counted(self, *args, **kwargs):
        walks["count"] += walks["counting"]
        start_walk(self, *args, **kwargs)

    monkeypatch.setattr(SpiffWorkflow.util.task.TaskIterator, "__init__", counted)

    def walks_of_a_report(ours: bool) -> int:
        _engine(monkeypatch, ours)
        with clock_mod.using(ManualClock(saved_at(path))):
            workflow = restore(path, engine)[-1]
            task = next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                        if t.task_spec.bpmn_id == "report_action")
            task.set_data(action_result={"id": 1, "status": "done"})
            walks.update(counting=True, count=0)
            task.run()
            workflow.do_engine_steps()
            walks["counting"] = False
            return walks["count"]

    mine, spiffworkflows = walks_of_a_report(ours=True), walks_of_a_report(ours=False)
    assert mine * 2 < spiffworkflows, (mine, spiffworkflows)
