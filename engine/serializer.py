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
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from .errors import EngineError
from .scripting import ScriptEngine

# Our state format: SpiffWorkflow's own serialization of the workflow, minus the specs.
STATE_FORMAT = "1.5-nospec"


class _SpecFreeWorkflowConverter(BpmnWorkflowConverter):
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
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


@dataclass
class Specs:
    """The restored spec and subprocess specs of one process version."""

    spec: Any
    subprocess_specs: dict[str, Any]

    def signature(self) -> tuple[int, ...]:
        # What SpiffWorkflow mutates at run time: the start task's outputs and the end's inputs.
        parts = [len(self.spec.start.outputs), len(self.spec.end.inputs)]
        for sub in self.subprocess_specs.values():
            parts += [len(sub.start.outputs), len(sub.end.inputs)]
        return tuple(parts)


class WorkflowCodec:
    """Serialize workflows (without specs) and specs (once per version)."""

    def __init__(self) -> None:
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = _SpecFreeWorkflowConverter
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

    def loads(self, state: str, specs: Specs, script_engine: ScriptEngine) -> BpmnWorkflow:
        dct = json.loads(state)
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

    def restore_specs(self, spec_json: str) -> Specs:
        """Fresh spec objects (restoring consumes the dict, so parse the text every time)."""
        data = json.loads(spec_json)
        return Specs(self.registry.restore(data["spec"]),
                     {name: self.registry.restore(sp) for name, sp in data["subprocess_specs"].items()})

    def new_workflow(self, specs: Specs, script_engine: ScriptEngine) -> BpmnWorkflow:
        return BpmnWorkflow(specs.spec, specs.subprocess_specs, script_engine=script_engine)


class SpecPool:
    """Restored specs per version, each used by one operation at a time, dropped if mutated."""

    def __init__(self, codec: WorkflowCodec, per_version: int = 8):
        self.codec = codec
        self.per_version = per_version
        self._idle: dict[int, list[tuple[Specs, tuple[int, ...]]]] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def checkout(self, version_id: int, spec_json: str) -> Iterator[Specs]:
        with self._lock:
            idle = self._idle.get(version_id)
            entry = idle.pop() if idle else None
        specs, signature = entry if entry else (None, None)
        if specs is None:
            specs = self.codec.restore_specs(spec_json)
            signature = specs.signature()
        ok = False
        try:
            yield specs
            ok = True
        finally:
            if ok and specs.signature() == signature:
                with self._lock:
                    idle = self._idle.setdefault(version_id, [])
                    if len(idle) < self.per_version:
                        idle.append((specs, signature))
