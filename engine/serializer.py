"""The one place SpiffWorkflow's serializer and its registry are configured."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from .scripting import ScriptEngine


class WorkflowCodec:
    """Serialize workflows and specs; re-attach the script engine on every load."""

    def __init__(self) -> None:
        self.registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        self.serializer = BpmnWorkflowSerializer(self.registry)

    @property
    def version(self) -> str:
        return self.serializer.VERSION

    def dumps(self, workflow: BpmnWorkflow) -> str:
        return self.serializer.serialize_json(workflow)

    def loads(self, state: str, script_engine: ScriptEngine) -> BpmnWorkflow:
        workflow = self.serializer.deserialize_json(state)
        # The script engine is not serialized: without this line a restored workflow would run
        # its scripts in SpiffWorkflow's unrestricted default environment.
        workflow.script_engine = script_engine
        return workflow

    def dumps_specs(self, spec: Any, subprocess_specs: dict[str, Any]) -> str:
        return json.dumps({
            "spec": self.registry.convert(spec),
            "subprocess_specs": {name: self.registry.convert(sp) for name, sp in subprocess_specs.items()},
        })

    def new_workflow(self, spec_json: str, script_engine: ScriptEngine) -> BpmnWorkflow:
        # Restored from text for every instance: SpiffWorkflow mutates a spec when an event
        # subprocess fires, so specs must never be shared between instances.
        data = json.loads(spec_json)
        spec = self.registry.restore(data["spec"])
        subprocess_specs = {name: self.registry.restore(sp) for name, sp in data["subprocess_specs"].items()}
        return BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
