"""Validate a bundle before anything is deployed; report every problem with where it is.

Checks run on the XML first (so that one pass finds every problem, each with its element id
and line), then SpiffWorkflow's own parser runs for what only it can tell.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from .bundles import MAX_FILE_BYTES, MAX_FILES, Bundle
from .dmn_checks import check_dmn
from .errors import Problem
from .expressions import expression_problem, script_problem
from .flow_checks import check_process, vendor_of
from .scripting import RestrictedEnvironment, free_names

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
}
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

FLOW_NODE_TAGS = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "adHocSubProcess", "transaction",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}
UNSUPPORTED = {
    "complexGateway": "complex gateways are not supported by SpiffWorkflow; use exclusive or inclusive gateways",
    "compensateEventDefinition": "compensation events are not supported here",
    "linkEventDefinition": "link events are not supported here; draw the sequence flow instead",
}
# User task properties that hold expressions (casework's own: who does it, by when, about what).
EXPRESSION_PROPERTIES = ("assignee", "dueDate", "dueIn", "subject")
FORM_PROPERTY = "formJsonSchemaFilename"

_XSD_LOCK = threading.Lock()
_SAFE_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                            remove_blank_text=False)
_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass
class ParsedBundle:
    """What deploy needs from a bundle that validated."""

    process_id: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    lanes: dict[str, str] = field(default_factory=dict)
    forms: dict[str, str] = field(default_factory=dict)
    elements: dict[str, dict[str, str]] = field(default_factory=dict)


def local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def safe_parse(name: str, text: str, problems: list[Problem]) -> etree._Element | None:
    """Parse XML without DTDs, entities or network access; record why not if it fails."""
    data = text.encode("utf-8")
    if "\x00" in text[:4096] or text[:4096].count("\ufffd") > 8:
        problems.append(Problem("this is not a text file (it holds binary data); export the diagram as "
                                "BPMN 2.0 XML (.bpmn) or the table as DMN (.dmn)", file=name))
        return None
    if len(data) > MAX_FILE_BYTES:
        problems.append(Problem(f"file is too large ({len(data) // 1024} KiB; the limit is "
                                f"{MAX_FILE_BYTES // 1024} KiB)", file=name))
        return None
    match = _DOCTYPE.search(data)
    if match:
        line = data[: match.start()].count(b"\n") + 1
        problems.append(Problem("DOCTYPE and ENTITY declarations are not allowed", file=name, line=line))
        return None
    try:
        return etree.fromstring(data, etree.XMLParser(**_SAFE_PARSER_OPTIONS))
    except etree.XMLSyntaxError as err:
        problems.append(Problem(f"not well-formed XML: {err.msg}", file=name, line=err.lineno))
    except (ValueError, etree.LxmlError) as err:
        problems.append(Problem(f"not readable as XML: {err}", file=name))
    return None


def _short(message: str) -> str:
    return message.replace("{" + BPMN_NS + "}", "bpmn:").replace("{" + SPIFF_NS + "}", "spiffworkflow:")


def _xsd_problems(name: str, root: etree._Element) -> list[Problem]:
    with _XSD_LOCK:
        if VALIDATOR.validator.validate(root):
            return []
        errors = list(VALIDATOR.validator.error_log)
    by_line: dict[int, etree._Element] = {}
    for node in root.iter():
        if isinstance(node.tag, str) and node.get("id") and node.sourceline not in by_line:
            by_line[node.sourceline] = node
    problems = []
    for error in errors[:50]:
        node = by_line.get(error.line)
        problems.append(Problem(f"not valid BPMN 2.0: {_short(error.message)}", file=name, line=error.line,
                                element_id=node.get("id") if node is not None else None,
                                element_name=node.get("name") if node is not None else None))
    return problems


class _Checker:
    """Walks the XML of one bundle and collects problems."""

    def __init__(self, bundle: Bundle, services: set[str] | None, helpers: dict[str, Any] | None):
        self.bundle = bundle
        self.services = services
        self.env = RestrictedEnvironment(helpers)
        self.problems: list[Problem] = []
        self.forms: dict[str, str] = {}
        self.lanes: dict[str, str] = {}
        self.elements: dict[str, dict[str, str]] = {}
        self.decisions: set[str] = set()

    def add(self, message: str, file: str, node: etree._Element | None = None) -> None:
        element_id = node.get("id") if node is not None else None
        name = node.get("name") if node is not None else None
        line = node.sourceline if node is not None else None
        self.problems.append(Problem(message, file=file, element_id=element_id, element_name=name, line=line))

    # -- expressions -------------------------------------------------------------------------
    def expression(self, text: str | None, file: str, node, what: str, *, timer: bool = False) -> bool:
        problem = expression_problem(text, what, timer=timer)
        if problem:
            self.add(problem, file, node)
        return problem is None

    def script(self, text: str | None, file: str, node, what: str, language: str | None = None) -> None:
        problem = script_problem(text, what, language=language)
        if problem:
            self.add(problem, file, node)

    def timer(self, definition: etree._Element, file: str, event: etree._Element) -> None:
        children = [c for c in definition if local(c.tag) in ("timeDuration", "timeDate", "timeCycle")]
        if not children:
            self.add("timer has no duration, date or cycle", file, event)
            return
        child = children[0]
        kind, text = local(child.tag), (child.text or "").strip()
        if not self.expression(text, file, event, f"timer {kind} expression", timer=True):
            return
        try:
            if free_names(text):
                return  # depends on case data: checked by the dry run, not here
            value = self.env.evaluate(text, {})
        except Exception as err:  # noqa: BLE001 - any failure is the author's to see
            self.add(f"timer {kind} expression does not evaluate: {err}", file, event)
            return
        if not isinstance(value, str):
            self.add(f"timer {kind} expression must give text such as \"P7D\", not {type(value).__name__}",
                     file, event)
            return
        try:
            if kind == "timeDuration":
                TimerEventDefinition.parse_iso_duration(value)
            elif kind == "timeDate":
                TimerEventDefinition.parse_time_or_duration(value)
                if "T" in value and not re.search(r"(Z|[+-]\d\d:?\d\d)$", value):
                    self.add(f"timer date {value!r} has no UTC offset; write Z or +01:00", file, event)
            else:
                TimerEventDefinition.parse_iso_recurring_interval(value)
        except Exception:  # noqa: BLE001
            self.add(f"timer {kind} {value!r} is not an ISO 8601 {'duration' if kind == 'timeDuration' else kind}",
                     file, event)

    # -- elements ----------------------------------------------------------------------------
    def form(self, task: etree._Element, file: str) -> None:
        props = {p.get("name"): p.get("value") for p in task.iterfind(
            "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)}
        for prop in EXPRESSION_PROPERTIES:
            if props.get(prop):
                self.expression(props[prop], file, task, f"property '{prop}'")
        filename = props.get(FORM_PROPERTY)
        if not filename:
            vendor = vendor_of(task)
            self.add("user task has no form: name its JSON Schema file in the spiffworkflow property "
                     "formJsonSchemaFilename" + (f" ({vendor}'s form settings are not used)" if vendor else ""),
                     file, task)
            return
        self.forms[task.get("id")] = filename
        text = self.bundle.form(filename)
        if text is None:
            self.add(f"form file forms/{filename} is missing from the bundle", file, task)
            return
        try:
            schema = json.loads(text)
        except json.JSONDecodeError as err:
            self.problems.append(Problem(f"form is not valid JSON: {err.msg}", file="forms/" + filename,
                                         element_id=task.get("id"), element_name=task.get("name"),
                                         line=err.lineno))
            return
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as err:
            where = "/".join(str(p) for p in err.absolute_path) or "(root)"
            self.problems.append(Problem(f"form is not a valid JSON Schema at {where}: {err.message}",
                                         file="forms/" + filename, element_id=task.get("id"),
                                         element_name=task.get("name")))
            return
        if not isinstance(schema, dict) or schema.get("type") != "object":
            self.problems.append(Problem('form schema must be an object schema ("type": "object")',
                                         file="forms/" + filename, element_id=task.get("id"),
                                         element_name=task.get("name")))
            return
        defined = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in defined and schema.get("additionalProperties") is False:
                self.problems.append(Problem(f"form requires field '{name}' but does not define it: nobody could "
                                             "fill it in", file="forms/" + filename, element_id=task.get("id"),
                                             element_name=task.get("name")))

    def gateway(self, gateway: etree._Element, flows: dict[str, etree._Element], file: str) -> None:
        outgoing = [flows[f] for f in flows if flows[f].get("sourceRef") == gateway.get("id")]
        if len(outgoing) < 2:
            return
        default = gateway.get("default")
        for flow in outgoing:
            if flow.get("id") == default:
                continue
            condition = flow.find("bpmn:conditionExpression", NS)
            if condition is None or not (condition.text or "").strip():
                if default:
                    self.add(f"outgoing flow '{flow.get('id')}' has no condition", file, flow)
                else:
                    self.add(f"outgoing flow '{flow.get('id')}' has no condition and the gateway has no "
                             "default flow", file, gateway)
            else:
                self.expression(condition.text, file, flow, "condition")

    def process(self, process: etree._Element, file: str) -> None:
        for lane in process.iter(f"{{{BPMN_NS}}}lane"):
            if lane.get("name"):
                if lane.get("name") in self.lanes and self.lanes[lane.get("name")] != lane.get("id"):
                    self.add(f"two lanes are named '{lane.get('name')}'", file, lane)
                self.lanes[lane.get("name")] = lane.get("id")
        flows = {f.get("id"): f for f in process.iter(f"{{{BPMN_NS}}}sequenceFlow")}
        for node in process.iter():
            tag = local(node.tag)
            if node.tag == etree.Comment or not isinstance(node.tag, str):
                continue
            if tag in UNSUPPORTED and node.tag.startswith("{" + BPMN_NS):
                target = node if tag in FLOW_NODE_TAGS else node.getparent()
                self.add(UNSUPPORTED[tag], file, target)
            if tag in FLOW_NODE_TAGS and node.tag.startswith("{" + BPMN_NS):
                self.elements[node.get("id")] = {"type": tag, "name": node.get("name") or ""}
            if not node.tag.startswith("{" + BPMN_NS):
                continue
            if tag == "userTask":
                self.form(node, file)
            elif tag in ("exclusiveGateway", "inclusiveGateway"):
                self.gateway(node, flows, file)
            elif tag == "scriptTask":
                script = node.find("bpmn:script", NS)
                if script is None or not (script.text or "").strip():
                    self.add("script task has no script", file, node)
                else:
                    self.script(script.text, file, node, "script", node.get("scriptFormat") or "")
            elif tag == "timerEventDefinition":
                self.timer(node, file, node.getparent())
            elif tag == "businessRuleTask":
                ref = node.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
                if ref is None or not (ref.text or "").strip():
                    self.add("business rule task names no decision (spiffworkflow:calledDecisionId)", file, node)
                elif ref.text.strip() not in self.decisions:
                    self.add(f"decision '{ref.text.strip()}' is not in any DMN file of the bundle", file, node)
            elif tag == "serviceTask":
                self.service(node, file)
            elif tag in ("loopCardinality", "completionCondition") and (node.text or "").strip():
                self.expression(node.text, file, node.getparent().getparent(), tag)
            for ext in ("preScript", "postScript"):
                if tag in FLOW_NODE_TAGS:
                    found = node.find(f"bpmn:extensionElements/spiffworkflow:{ext}", NS)
                    if found is not None:
                        self.script(found.text, file, node, ext)

    def service(self, node: etree._Element, file: str) -> None:
        operator = node.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        if operator is None:
            vendor = vendor_of(node)
            known = ", ".join(sorted(self.services or ())) or "none"
            self.add(f"service task calls no casework operation (spiffworkflow:serviceTaskOperator; known: {known})"
                     + (f"; {vendor}'s implementation settings are not used" if vendor else ""), file, node)
            return
        name = operator.get("id")
        if self.services is not None and name not in self.services:
            known = ", ".join(sorted(self.services)) or "none"
            self.add(f"unknown service operation '{name}' (known: {known})", file, node)
        for param in operator.iterfind("spiffworkflow:parameters/spiffworkflow:parameter", NS):
            self.expression(param.get("value"), file, node, f"parameter '{param.get('id')}'")

    def ids(self, root: etree._Element, file: str) -> None:
        seen: dict[str, etree._Element] = {}
        for node in root.iter():
            if not isinstance(node.tag, str) or node.get("id") is None or node.tag.startswith("{" + SPIFF_NS):
                continue
            element_id = node.get("id")
            if element_id in seen:
                self.add(f"id '{element_id}' is used twice (also line {seen[element_id].sourceline})", file, node)
            else:
                seen[element_id] = node
        # SpiffWorkflow looks service operators up by id among the elements: a clash breaks parsing.
        for operator in root.iter(f"{{{SPIFF_NS}}}serviceTaskOperator"):
            if operator.get("id") in seen:
                task = operator.getparent().getparent()
                self.add(f"service operation '{operator.get('id')}' has the same id as element "
                         f"'{operator.get('id')}' (line {seen[operator.get('id')].sourceline}); rename the element",
                         file, task)


def _spiff_problem(err: Exception) -> Problem:
    if isinstance(err, ValidationException):
        line = err.line_number if isinstance(err.line_number, int) else None
        return Problem(str(err.args[0] if err.args else err), file=err.file_name or None,
                       element_id=err.id or None, element_name=err.name or None, line=line)
    return Problem(f"SpiffWorkflow cannot use this process: {err}")


def validate_bundle(bundle: Bundle, *, services: set[str] | None = None,
                    helpers: dict[str, Any] | None = None) -> tuple[ParsedBundle | None, list[Problem]]:
    """Check everything about a bundle; a ParsedBundle only when there is no problem at all."""
    checker = _Checker(bundle, services, helpers)
    problems = checker.problems
    if len(bundle.files) > MAX_FILES:
        problems.append(Problem(f"too many files ({len(bundle.files)}; the limit is {MAX_FILES})"))
        return None, problems
    if not bundle.bpmn_files:
        problems.append(Problem("the bundle has no .bpmn file"))
        return None, problems

    dmn_trees = {}
    for name in bundle.dmn_files:
        root = safe_parse(name, bundle.files[name], problems)
        if root is not None:
            checker.decisions |= check_dmn(name, root, DMN_NAMESPACES, problems)
            dmn_trees[name] = root
    bpmn_trees = {}
    for name in bundle.bpmn_files:
        root = safe_parse(name, bundle.files[name], problems)
        if root is None:
            continue
        if etree.QName(root).namespace != BPMN_NS or local(root.tag) != "definitions":
            problems.append(Problem(f"not a BPMN 2.0 diagram (it is <{local(root.tag) or '?'}> XML); export the "
                                    "diagram from your modeler as BPMN 2.0 XML", file=name, line=root.sourceline))
            continue
        problems.extend(_xsd_problems(name, root))
        checker.ids(root, name)
        for process in root.iterfind("bpmn:process", NS):
            checker.process(process, name)
            check_process(process, lambda message, node, _name=name: checker.add(message, _name, node))
        bpmn_trees[name] = root
    for name in bundle.files:
        if name.startswith("forms/") and name.endswith(".json"):
            try:
                json.loads(bundle.files[name])
            except json.JSONDecodeError as err:
                if not any(p.file == name for p in problems):
                    problems.append(Problem(f"form is not valid JSON: {err.msg}", file=name, line=err.lineno))
    if problems or not bpmn_trees:
        return None, problems
    return _parse_with_spiff(bundle, bpmn_trees, dmn_trees, checker)


def _parse_with_spiff(bundle, bpmn_trees, dmn_trees, checker) -> tuple[ParsedBundle | None, list[Problem]]:
    problems = checker.problems
    parser = SpiffBpmnParser()
    try:
        for name, root in dmn_trees.items():
            parser.add_dmn_xml(root, filename=name)
        for name, root in bpmn_trees.items():
            parser.add_bpmn_xml(root, filename=name)
        for decision in parser.dmn_parsers.values():
            decision.parse()
        main = _main_process(parser, bpmn_trees)
        if isinstance(main, Problem):
            return None, [main]
        spec = parser.get_spec(main)
        subprocess_specs = parser.get_subprocess_specs(main)
    except ValidationException as err:
        return None, [_spiff_problem(err)]
    except Exception as err:  # noqa: BLE001 - the parser raises many kinds; each is the author's to read
        return None, [_spiff_problem(err)]
    name = spec.description or main
    return ParsedBundle(main, name, spec, subprocess_specs, checker.lanes, checker.forms, checker.elements), problems


def _main_process(parser: SpiffBpmnParser, trees: dict[str, etree._Element]) -> str | Problem:
    executable = parser.get_process_ids()
    if not executable:
        return Problem("the diagram has no executable process: in your modeler, mark the process as executable "
                       "(isExecutable=\"true\")")
    called = set()
    for root in trees.values():
        for activity in root.iter(f"{{{BPMN_NS}}}callActivity"):
            called.add(activity.get("calledElement"))
    roots = [pid for pid in executable if pid not in called]
    if len(roots) != 1:
        return Problem(f"expected one main executable process, found {len(roots)}: {', '.join(roots) or 'none'}")
    return roots[0]
