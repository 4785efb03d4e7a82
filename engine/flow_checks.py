"""Checks on the shape of a process: what SpiffWorkflow would ignore, refuse, or run otherwise than drawn.

SpiffWorkflow builds a process by following sequence flows from its start events, so an
element nothing leads to is silently dropped; it refuses a task with two outgoing flows; it
ignores `isInterrupting` on event subprocesses. Each is reported here with a way to fix it.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from .problem_texts import Message, say

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ACTIVITIES = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "adHocSubProcess", "transaction"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS
VENDOR_NAMESPACES = {
    "http://camunda.org/schema/1.0/bpmn": "Camunda 7",
    "http://camunda.org/schema/zeebe/1.0": "Camunda 8",
    "http://activiti.org/bpmn": "Activiti",
    "http://flowable.org/bpmn": "Flowable",
    "http://www.signavio.com": "Signavio",
}

Add = Callable[[Message, etree._Element], None]


def _local(node) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _is_bpmn(node) -> bool:
    return isinstance(node.tag, str) and node.tag.startswith("{" + BPMN_NS + "}")


def _event_kinds(node) -> list[str]:
    return [_local(c).removesuffix("EventDefinition") for c in node
            if _is_bpmn(c) and _local(c).endswith("EventDefinition")]


def vendor_of(node) -> str | None:
    """The modeler whose extensions configure `node` (a Camunda form key, a Zeebe job type...)."""
    for item in node.iter():
        if not isinstance(item.tag, str):
            continue
        namespaces = [etree.QName(item).namespace] + [etree.QName(a).namespace for a in item.attrib if "}" in a]
        for namespace in namespaces:
            if namespace in VENDOR_NAMESPACES:
                return VENDOR_NAMESPACES[namespace]
    return None


class _Scope:
    """The flow nodes directly inside one process or subprocess, and the flows between them."""

    def __init__(self, container):
        self.nodes = {n.get("id"): n for n in container if _is_bpmn(n) and _local(n) in FLOW_NODES and n.get("id")}
        self.flows = [f for f in container if _is_bpmn(f) and _local(f) == "sequenceFlow"]
        self.outgoing: dict[str, list] = {}
        for flow in self.flows:
            self.outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
        self.boundary: dict[str, list[str]] = {}
        for node_id, node in self.nodes.items():
            if _local(node) == "boundaryEvent":
                self.boundary.setdefault(node.get("attachedToRef"), []).append(node_id)

    def reachable(self) -> set[str]:
        todo = [i for i, n in self.nodes.items() if _local(n) == "startEvent"
                or (_local(n) == "subProcess" and n.get("triggeredByEvent") == "true")]
        seen: set[str] = set()
        while todo:
            current = todo.pop()
            if current in seen or current not in self.nodes:
                continue
            seen.add(current)
            todo.extend(f.get("targetRef") for f in self.outgoing.get(current, []))
            todo.extend(self.boundary.get(current, []))
        return seen


def _check_scope(container, add: Add, *, top: bool) -> None:
    scope = _Scope(container)
    if _local(container) == "adHocSubProcess":
        return  # its tasks have no incoming flows on purpose
    starts = [n for n in scope.nodes.values() if _local(n) == "startEvent"]
    if top:
        plain = [s for s in starts if not _event_kinds(s)]
        for start in starts:
            if _event_kinds(start):
                add(say("flow.start_event_kind", kinds=", ".join(_event_kinds(start))), start)
        if len(plain) > 1:
            add(say("flow.several_starts"), plain[1])
    # A flow that starts or ends nowhere (a missing or misspelt reference, often in a file edited
    # by hand): said on the flow. What it cut off is not said to be unreachable as well: that
    # would bury the cause under one consequence per element after it.
    cut = False
    for flow in scope.flows:
        for ref, missing, unknown in ((flow.get("sourceRef"), "flow.no_source", "flow.unknown_source"),
                                      (flow.get("targetRef"), "flow.no_target", "flow.unknown_target")):
            if not ref:
                add(say(missing), flow)
            elif ref not in scope.nodes:
                add(say(unknown, ref=ref), flow)
            else:
                continue
            cut = True
    reached = scope.reachable()
    for node_id, node in scope.nodes.items():
        if node_id not in reached and _local(node) != "boundaryEvent" and not cut:
            add(say("flow.unreachable"), node)
        kind = _local(node)
        out = scope.outgoing.get(node_id, [])
        if kind in ACTIVITIES and len(out) > 1:
            add(say("flow.task_branches", count=len(out)), node)
        default = node.get("default")
        if default and default not in {f.get("id") for f in out}:
            add(say("flow.default_elsewhere", flow=default), node)
        for flow in out:
            condition = next((c for c in flow if _is_bpmn(c) and _local(c) == "conditionExpression"), None)
            if condition is not None and kind not in GATEWAYS and (condition.text or "").strip():
                add(say("flow.condition_after_task"), flow)
            language = condition.get("language") if condition is not None else None
            if language and language.lower() not in ("python", "text/python", "http://www.python.org/"):
                add(say("flow.condition_language", language=language), flow)
        if kind == "subProcess" and node.get("triggeredByEvent") == "true":
            for start in (n for n in node if _is_bpmn(n) and _local(n) == "startEvent"):
                if start.get("isInterrupting", "true") != "false":
                    add(say("flow.interrupting_event_subprocess"), start)
        if kind in ("subProcess", "transaction", "adHocSubProcess"):
            _check_scope(node, add, top=False)


def check_process(process, add: Add) -> None:
    """Record shape problems of one bpmn:process through `add(message, node)`."""
    _check_scope(process, add, top=True)
