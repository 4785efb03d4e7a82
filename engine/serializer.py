"""The one place SpiffWorkflow's serializer and its registry are configured.

An instance's state is stored WITHOUT its process spec: the spec of a version never changes, so
it is kept once in `process_version.spec_json` and restored from there. Restoring and
re-serializing the spec on every step was half the cost of a step (see bench/lifecycle.py).
Restored specs are reused through `SpecPool`, which drops any copy SpiffWorkflow mutated: it
connects an event subprocess to the spec's start task when a message triggers it, and a spec so
changed must never serve another instance (notes/spiffworkflow.md, pitfall 3).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task, TaskState

from .errors import EngineError
from .scripting import ScriptEngine

# Our state format: SpiffWorkflow's own serialization of the workflow, minus the specs.
STATE_FORMAT = "1.5-nospec"


# A task's id appears four times in a state (its key, its own id, its parent's children, its
# children's parent) and ids outlive a step: each is parsed and printed once (at most 65,536
# kept, about 12 MB). UUIDs are immutable, so one object may serve every workflow naming it.
_uuid = functools.lru_cache(maxsize=1 << 16)(UUID)
_text_of = functools.lru_cache(maxsize=1 << 16)(str)
_MUTABLE = (dict, list, set)
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _restored(registry, value: Any) -> Any:
    """`registry.restore(value)`, without a call per plain value of a dict or list."""
    kind = type(value)
    if kind is dict and "typename" not in value:
        return {key: item if type(item) in _PLAIN else _restored(registry, item) for key, item in value.items()}
    if kind is list:
        return [item if type(item) in _PLAIN else _restored(registry, item) for item in value]
    return registry.restore(value)


class _TaskKeys:
    """Workflow converters: task ids printed once (see `_text_of`), and tasks converted by our
    task converter itself, not through the registry, which looks the converter up and wraps it
    in two more calls per task (a tenth of the time a case's 51 tasks take either way)."""

    def mapping_to_dict(self, mapping, **kwargs):
        tasks = getattr(self.registry, "task_converter", None)  # None: SpiffWorkflow's own (tests)
        return {_text_of(key): tasks.to_dict_typed(value) if tasks is not None and type(value) is Task
                else self.registry.convert(value, **kwargs) for key, value in mapping.items()}

    def mapping_from_dict(self, mapping, key_class=None, **kwargs):
        tasks = getattr(self.registry, "task_converter", None)
        typename = tasks.typename if tasks is not None else None
        return {(key if key_class is None else key_class(key)):
                tasks.from_dict(value, **kwargs)
                if typename is not None and type(value) is dict and value.get("typename") == typename
                else self.registry.restore(value, **kwargs) for key, value in mapping.items()}


class _TaskConverter(TaskConverter):
    """SpiffWorkflow 3.2.0's task converter, the same format written and read with less work
    (tests/unit/test_serializer.py checks both ways against SpiffWorkflow's own, task by task).

    SpiffWorkflow stores a task's data as its changes from its parent's and rebuilds it on
    restore as a copy of the parent's (nested values copied one level) with the changes applied.
    """

    def __init__(self, target_class, registry, typename=None):
        super().__init__(target_class, registry, typename)
        registry.task_converter = self  # for the workflow converters (see `_TaskKeys`)

    def to_dict_typed(self, task: Task) -> dict[str, Any]:
        """`to_dict` with the typename the registry adds."""
        dct = self.to_dict(task)
        dct["typename"] = self.typename
        return dct

    def to_dict(self, task: Task) -> dict[str, Any]:
        parent = task.workflow.tasks.get(task._parent)
        if parent is None:
            data, delta = task.data, {}
        else:
            mine, theirs = task.data, parent.data
            data = {}
            delta = {"updates": {key: value for key, value in mine.items() if key not in theirs or value != theirs[key]},
                     "deletions": [] if mine.keys() >= theirs.keys() else [key for key in theirs if key not in mine]}
        return {
            "id": _text_of(task.id),
            "parent": _text_of(task._parent) if parent is not None else None,
            "children": [_text_of(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task._state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(task.internal_data),
            "data": data,
            "delta": delta,
        }

    def from_dict(self, dct: dict[str, Any], workflow) -> Task:
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=_uuid(dct["id"]))
        task._parent = _uuid(dct["parent"]) if dct["parent"] is not None else None
        task._children = [_uuid(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = _restored(self.registry, dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        parent = workflow.tasks.get(task._parent) if delta else None
        if parent is not None:
            # What DeepMerge.merge({}, parent.data) gives: a new dict, containers copied.
            data = {key: (value.copy() if type(value) in _MUTABLE else copy.copy(value))
                    if isinstance(value, _MUTABLE) else value for key, value in parent.data.items()}
            data.update(_restored(self.registry, delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                data.pop(key, None)
        else:
            data = _restored(self.registry, dct["data"])
        task.data = data
        return task


class _SubWorkflowConverter(_TaskKeys, BpmnSubWorkflowConverter):
    def from_dict(self, dct, task, top_workflow):
        spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=subprocess)
        subprocess.task_tree = subprocess.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess


class _SpecFreeWorkflowConverter(_TaskKeys, BpmnWorkflowConverter):
    """SpiffWorkflow's workflow converter, with the specs supplied by the caller."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        if spec is None:  # a full serialization that embeds its specs
            return super().from_dict(dct)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


Connections = frozenset  # of (process spec name, event subprocess spec name)


@dataclass
class Specs:
    """The restored spec and subprocess specs of one process version."""

    spec: Any
    subprocess_specs: dict[str, Any]

    def _all(self) -> list[Any]:
        return [self.spec, *self.subprocess_specs.values()]

    def triggers(self) -> dict[str, set[str]]:
        """Event subprocesses each process spec can start when a message or signal arrives."""
        return {s.name: set(s.start.trigger_specs) for s in self._all() if s.start.trigger_specs}

    def connections(self) -> Connections:
        """Which of them SpiffWorkflow has connected to their spec's start (see `connect`)."""
        return frozenset((s.name, name) for s in self._all() for name in s.start.trigger_specs
                         if s.start in s.task_specs[name].inputs)

    def connect(self, wanted: Connections) -> None:
        # What BpmnStartTask.trigger_wf does the first time an event subprocess is triggered.
        # An instance that triggered one needs it on every later load; a new instance must not
        # have it (it would wait for the event subprocess forever).
        by_name = {s.name: s for s in self._all()}
        for spec_name, name in wanted:
            spec = by_name[spec_name]
            target = spec.task_specs[name]
            if spec.start not in target.inputs:
                spec.start.connect(target)
                target.connect(spec.end)


def triggered(dct: dict[str, Any], top_spec: str, triggers: dict[str, set[str]]) -> Connections:
    """The event subprocesses a serialized workflow has triggered (they appear among its tasks)."""
    if not triggers:
        return frozenset()
    found: set[tuple[str, str]] = set()
    workflows = [(top_spec, dct), *((sp.get("spec"), sp) for sp in dct.get("subprocesses", {}).values())]
    for spec_name, workflow in workflows:
        names = {task["task_spec"] for task in workflow.get("tasks", {}).values()}
        found |= {(spec_name, name) for name in names & triggers.get(spec_name, set())}
    return frozenset(found)


def waiting_specs(dct: dict[str, Any]) -> set[str]:
    """Names of the task specs a serialized workflow waits on (timers, messages, ...), read from
    the saved state without restoring the workflow: for drawings, not for running it."""
    from SpiffWorkflow.util.task import TaskState

    workflows = [dct, *dct.get("subprocesses", {}).values()]
    return {task["task_spec"] for workflow in workflows for task in workflow.get("tasks", {}).values()
            if task.get("state") == TaskState.WAITING}


class WorkflowCodec:
    """Serialize workflows (without specs) and specs (once per version)."""

    def __init__(self) -> None:
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = _SpecFreeWorkflowConverter
        config[BpmnSubWorkflow] = _SubWorkflowConverter
        config[Task] = _TaskConverter
        self.registry = BpmnWorkflowSerializer.configure(config)
        self.serializer = BpmnWorkflowSerializer(self.registry)

    @property
    def version(self) -> str:
        return STATE_FORMAT

    def dumps(self, workflow: BpmnWorkflow) -> str:
        self.registry._encoder_mode = True
        try:
            dct = self.registry.convert(workflow)
            dct[self.serializer.VERSION_KEY] = self.serializer.VERSION
            return json.dumps(dct, cls=self.serializer._encoder_cls)
        finally:
            self.registry._encoder_mode = False

    def loads(self, state: str | dict[str, Any], specs: Specs, script_engine: ScriptEngine) -> BpmnWorkflow:
        """Restore a workflow onto `specs` (which must carry the connections it triggered)."""
        dct = json.loads(state) if isinstance(state, str) else state
        stored = dct.pop(self.serializer.VERSION_KEY, None)
        if stored != self.serializer.VERSION:
            # A state written by another SpiffWorkflow release: re-embed the specs and let
            # SpiffWorkflow's own migrations bring it to this format.
            raise EngineError(f"state written by serializer {stored}; this release reads "
                              f"{self.serializer.VERSION} (migrate instances before upgrading)")
        workflow = self.registry.restore(dct, spec=specs.spec, subprocess_specs=specs.subprocess_specs)
        # The script engine is not serialized: without this line a restored workflow would run
        # its scripts in SpiffWorkflow's unrestricted default environment.
        workflow.script_engine = script_engine
        return workflow

    def dumps_specs(self, spec: Any, subprocess_specs: dict[str, Any]) -> str:
        return json.dumps({
            "spec": self.registry.convert(spec),
            "subprocess_specs": {name: self.registry.convert(sp) for name, sp in subprocess_specs.items()},
        })

    def restore_specs(self, spec_json: str, connections: Connections = frozenset()) -> Specs:
        """Fresh spec objects (restoring consumes the dict, so parse the text every time)."""
        data = json.loads(spec_json)
        specs = Specs(self.registry.restore(data["spec"]),
                      {name: self.registry.restore(sp) for name, sp in data["subprocess_specs"].items()})
        specs.connect(connections)
        return specs

    def new_workflow(self, specs: Specs, script_engine: ScriptEngine) -> BpmnWorkflow:
        return BpmnWorkflow(specs.spec, specs.subprocess_specs, script_engine=script_engine)


SpecText = str | Callable[[], str]


def _text(spec_json: SpecText) -> str:
    return spec_json() if callable(spec_json) else spec_json


class SpecPool:
    """Restored specs per version and per set of connected event subprocesses.

    Each checked-out copy serves one operation at a time. On return it is filed under the
    connections it has then (an operation may have triggered an event subprocess), so a copy is
    only ever handed to a workflow that has triggered exactly what the copy is connected to.
    """

    def __init__(self, codec: WorkflowCodec, per_key: int = 8):
        self.codec = codec
        self.per_key = per_key
        self._idle: dict[tuple[int, Connections], list[Specs]] = {}
        self._triggers: dict[int, dict[str, set[str]]] = {}
        self._lock = threading.Lock()

    def triggers(self, version_id: int, spec_json: SpecText) -> dict[str, set[str]]:
        if version_id not in self._triggers:
            self._triggers[version_id] = self.codec.restore_specs(_text(spec_json)).triggers()
        return self._triggers[version_id]

    @contextlib.contextmanager
    def checkout(self, version_id: int, spec_json: SpecText,
                 connections: Connections = frozenset()) -> Iterator[Specs]:
        """A spec copy for one operation; `spec_json` (text, or a callable giving it) is read
        only when no idle copy is left."""
        with self._lock:
            idle = self._idle.get((version_id, connections))
            specs = idle.pop() if idle else None
        if specs is None:
            specs = self.codec.restore_specs(_text(spec_json), connections)
        ok = False
        try:
            yield specs
            ok = True
        finally:
            if ok:
                key = (version_id, specs.connections())
                with self._lock:
                    idle = self._idle.setdefault(key, [])
                    if len(idle) < self.per_key:
                        idle.append(specs)
