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

# Our state format: SpiffWorkflow's own serialization of the workflow, minus the specs, with each
# workflow's tasks written as rows (`_TaskConverter.rows`): half the text, written and read faster.
# States written before ("1.5-nospec": tasks as SpiffWorkflow's mapping of dicts) are still read.
STATE_FORMAT = "2-rows"


# Task ids outlive a step (and appear four times in a state written as task dicts: its key, its own
# id, its parent's children, its children's parent): each is parsed and printed once (at most
# 65,536 kept, about 12 MB). UUIDs are immutable, so one object may serve every workflow naming it.
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


class _TaskRows:
    """Workflow converters: tasks written as rows (see `_TaskConverter.rows`), and read either as
    rows or, from states written before STATE_FORMAT "2-rows", as SpiffWorkflow's mapping of
    task dicts, converted by our task converter itself, not through the registry, which looks
    the converter up and wraps it in two more calls per task."""

    def mapping_from_dict(self, mapping, key_class=None, **kwargs):
        tasks = getattr(self.registry, "task_converter", None)
        typename = tasks.typename if tasks is not None else None
        return {(key if key_class is None else key_class(key)):
                tasks.from_dict(value, **kwargs)
                if typename is not None and type(value) is dict and value.get("typename") == typename
                else self.registry.restore(value, **kwargs) for key, value in mapping.items()}

    def common_to_dict(self, workflow) -> dict[str, Any]:
        """What `WorkflowConverter.to_dict` writes, with the tasks as rows (see `_TaskConverter`)."""
        return {
            "data": self.registry.convert(self.registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": _text_of(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": self.registry.task_converter.rows(workflow),
            "root": _text_of(workflow.task_tree.id),
        }

    def tasks_from_dict(self, workflow, dct: dict[str, Any]) -> None:
        """Restore `workflow.tasks` and its tree from either form of a state (rows or mapping)."""
        tasks = dct["tasks"]
        if type(tasks) is list:
            workflow.tasks = self.registry.task_converter.from_rows(tasks, workflow)
        else:
            workflow.tasks = self.mapping_from_dict(tasks, _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))


# A task row's fixed fields (`_TaskConverter.rows`); an optional last one, ROW_EXTRA, a dict, holds
# what most tasks lack, under one-letter keys: ROW_TRIGGERED, ROW_INTERNAL, ROW_DATA, ROW_UPDATES,
# ROW_DELETIONS, ROW_EMPTY.
ROW_ID, ROW_PARENT, ROW_CHILDREN, ROW_CHANGED, ROW_STATE, ROW_SPEC, ROW_EXTRA = range(7)
ROW_TRIGGERED, ROW_INTERNAL, ROW_DATA, ROW_UPDATES, ROW_DELETIONS, ROW_EMPTY = "tiduxe"


class _TaskConverter(TaskConverter):
    """A workflow's tasks written as rows (`rows`, since STATE_FORMAT "2-rows"), and read as rows
    or as SpiffWorkflow 3.2.0's task dicts (`from_dict`, with less work than its own converter).
    tests/unit/test_serializer.py checks, task by task, that either restores what SpiffWorkflow's
    own converter restores from its own text.

    SpiffWorkflow stores a task's data as its changes from its parent's and rebuilds it on
    restore as a copy of the parent's (nested values copied one level) with the changes applied.
    """

    def __init__(self, target_class, registry, typename=None):
        super().__init__(target_class, registry, typename)
        registry.task_converter = self  # for the workflow converters (see `_TaskRows`)

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
            data = _inherited(parent.data)
            data.update(_restored(self.registry, delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                data.pop(key, None)
        else:
            data = _restored(self.registry, dct["data"])
        task.data = data
        return task

    def rows(self, workflow) -> list[list[Any]]:
        """A workflow's tasks as rows, in `workflow.tasks`' order: `[id, parent, children,
        last_state_change, state, task_spec]` and, when needed, a dict of the rest. A parent or
        child is named by its row's position (by its id should it not be a task of `workflow`),
        so that each id is written once; the data as SpiffWorkflow's delta from the parent's
        (updates, deletions), or ROW_EMPTY when the task has none of its parent's, or whole
        (ROW_DATA) for a task with no parent before it."""
        tasks = workflow.tasks
        position = {task_id: i for i, task_id in enumerate(tasks)}
        rows = []
        for i, task in enumerate(tasks.values()):
            parent_id = task._parent
            parent_at = position.get(parent_id)
            row = [_text_of(task.id),
                   parent_at if parent_at is not None or parent_id is None else _text_of(parent_id),
                   [position[child] if child in position else _text_of(child) for child in task._children],
                   task.last_state_change, task._state, task.task_spec.name]
            extra: dict[str, Any] = {}
            if task.triggered:
                extra[ROW_TRIGGERED] = True
            if task.internal_data:
                extra[ROW_INTERNAL] = self.registry.convert(task.internal_data)
            mine = task.data
            if parent_at is None or parent_at > i:  # restored before its parent, or no parent here
                if mine:
                    extra[ROW_DATA] = mine
            else:
                theirs = tasks[parent_id].data
                if not mine and theirs:
                    extra[ROW_EMPTY] = True
                else:
                    updates = {key: value for key, value in mine.items() if key not in theirs or value != theirs[key]}
                    if updates:
                        extra[ROW_UPDATES] = updates
                    if not mine.keys() >= theirs.keys():
                        extra[ROW_DELETIONS] = [key for key in theirs if key not in mine]
            if extra:
                row.append(extra)
            rows.append(row)
        return rows

    def from_rows(self, rows: list[list[Any]], workflow) -> dict[UUID, Task]:
        """The tasks `rows` wrote, into a new `workflow.tasks` (restored in order: a task's data
        is built from its parent's, which `rows` wrote before it)."""
        ids = [_uuid(row[ROW_ID]) for row in rows]
        tasks: dict[UUID, Task] = {}
        workflow.tasks = tasks  # each new Task adds itself
        specs = workflow.spec.task_specs
        events = workflow.top_workflow.event_manager
        restored, make = self.registry, self.target_class
        for row, task_id in zip(rows, ids, strict=True):
            task_spec = specs.get(row[ROW_SPEC])
            task = make(workflow, task_spec, state=row[ROW_STATE], id=task_id)
            parent = row[ROW_PARENT]
            task._parent = ids[parent] if type(parent) is int else _uuid(parent) if parent is not None else None
            task._children = [ids[child] if type(child) is int else _uuid(child) for child in row[ROW_CHILDREN]]
            task.last_state_change = row[ROW_CHANGED]
            extra = row[ROW_EXTRA] if len(row) > ROW_EXTRA else {}
            task.triggered = extra.get(ROW_TRIGGERED, False)
            internal = extra.get(ROW_INTERNAL)
            task.internal_data = _restored(restored, internal) if internal else {}
            if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
                events.add_task(task)
            parent_task = tasks.get(task._parent) if type(parent) is int else None
            if parent_task is None:
                data = extra.get(ROW_DATA)
                task.data = _restored(restored, data) if data else {}
            elif ROW_EMPTY in extra:
                task.data = {}
            else:
                data = _inherited(parent_task.data)
                updates = extra.get(ROW_UPDATES)
                if updates:
                    data.update(_restored(restored, updates))
                for key in extra.get(ROW_DELETIONS, ()):
                    data.pop(key, None)
                task.data = data
        return tasks


def _inherited(data: dict[str, Any]) -> dict[str, Any]:
    """What DeepMerge.merge({}, parent.data) gives: a new dict, containers copied."""
    return {key: (value.copy() if type(value) in _MUTABLE else copy.copy(value))
            if isinstance(value, _MUTABLE) else value for key, value in data.items()}


class _SubWorkflowConverter(_TaskRows, BpmnSubWorkflowConverter):
    def to_dict(self, workflow):
        dct = self.common_to_dict(workflow)
        dct["parent_task_id"] = _text_of(workflow.parent_task_id)
        dct["spec"] = workflow.spec.name
        return dct

    def from_dict(self, dct, task, top_workflow):
        spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        self.tasks_from_dict(subprocess, dct)
        self.set_default_attributes(subprocess, dct)
        return subprocess


class _SpecFreeWorkflowConverter(_TaskRows, BpmnWorkflowConverter):
    """SpiffWorkflow's workflow converter, with the specs supplied by the caller."""

    def to_dict(self, workflow):
        if getattr(self.registry, "task_converter", None) is None:  # SpiffWorkflow's own (tests)
            dct = WorkflowConverter.to_dict(self, workflow)
        else:
            dct = self.common_to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        if spec is None:  # a full serialization that embeds its specs
            return super().from_dict(dct)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        self.tasks_from_dict(workflow, dct)
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


def _specs_and_states(workflow: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """(task spec name, state) of each task of a serialized workflow, in either form."""
    tasks = workflow.get("tasks", {})
    if type(tasks) is list:
        return ((row[ROW_SPEC], row[ROW_STATE]) for row in tasks)
    return ((task["task_spec"], task.get("state")) for task in tasks.values())


def triggered(dct: dict[str, Any], top_spec: str, triggers: dict[str, set[str]]) -> Connections:
    """The event subprocesses a serialized workflow has triggered (they appear among its tasks)."""
    if not triggers:
        return frozenset()
    found: set[tuple[str, str]] = set()
    workflows = [(top_spec, dct), *((sp.get("spec"), sp) for sp in dct.get("subprocesses", {}).values())]
    for spec_name, workflow in workflows:
        names = {name for name, _state in _specs_and_states(workflow)}
        found |= {(spec_name, name) for name in names & triggers.get(spec_name, set())}
    return frozenset(found)


def waiting_specs(dct: dict[str, Any]) -> set[str]:
    """Names of the task specs a serialized workflow waits on (timers, messages, ...), read from
    the saved state without restoring the workflow: for drawings, not for running it."""
    return specs_in_state(dct, TaskState.WAITING)


def completed_specs(dct: dict[str, Any]) -> set[str]:
    """Names of the task specs of a serialized workflow with a task completed (see waiting_specs)."""
    return specs_in_state(dct, TaskState.COMPLETED)


def specs_in_state(dct: dict[str, Any], state: int) -> set[str]:
    """Names of the task specs of a serialized workflow with a task in `state` (one TaskState),
    read from the saved state without restoring the workflow: for drawings, not for running it."""
    workflows = [dct, *dct.get("subprocesses", {}).values()]
    return {name for workflow in workflows for name, found in _specs_and_states(workflow) if found == state}


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
