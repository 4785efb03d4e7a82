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
from .library_texts import json_error, schema_error, xsd_error
from .problem_texts import Message, say
from .scripting import RestrictedEnvironment, free_names

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
}
CASEWORK_NS = "https://casework.example/bpmn/extensions"  # casework's own attributes
NAME_EN = f"{{{CASEWORK_NS}}}nameEn"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

FLOW_NODE_TAGS = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "adHocSubProcess", "transaction",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}
UNSUPPORTED = {
    "complexGateway": "unsupported.complex_gateway",
    "compensateEventDefinition": "unsupported.compensation",
    "linkEventDefinition": "unsupported.link",
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
        problems.append(Problem(say("xml.binary"), file=name))
        return None
    if len(data) > MAX_FILE_BYTES:
        problems.append(Problem(say("xml.too_large", size=len(data) // 1024, limit=MAX_FILE_BYTES // 1024),
                                file=name))
        return None
    match = _DOCTYPE.search(data)
    if match:
        line = data[: match.start()].count(b"\n") + 1
        problems.append(Problem(say("xml.doctype"), file=name, line=line))
        return None
    try:
        return etree.fromstring(data, etree.XMLParser(**_SAFE_PARSER_OPTIONS))
    except etree.XMLSyntaxError as err:
        problems.append(Problem(say("xml.not_well_formed", error=err.msg), file=name, line=err.lineno))
    except (ValueError, etree.LxmlError) as err:
        problems.append(Problem(say("xml.unreadable", error=str(err)), file=name))
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
        problems.append(Problem(say("bpmn.xsd", error=xsd_error(_short(error.message))), file=name, line=error.line,
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

    def add(self, message: Message, file: str, node: etree._Element | None = None) -> None:
        element_id = node.get("id") if node is not None else None
        name = node.get("name") if node is not None else None
        line = node.sourceline if node is not None else None
        self.problems.append(Problem(message, file=file, element_id=element_id, element_name=name, line=line))

    # -- expressions -------------------------------------------------------------------------
    def expression(self, text: str | None, file: str, node, what: Message, *, timer: bool = False) -> bool:
        problem = expression_problem(text, what, timer=timer)
        if problem:
            self.add(problem, file, node)
        return problem is None

    def script(self, text: str | None, file: str, node, what: Message, language: str | None = None) -> None:
        problem = script_problem(text, what, language=language)
        if problem:
            self.add(problem, file, node)

    def timer(self, definition: etree._Element, file: str, event: etree._Element) -> None:
        children = [c for c in definition if local(c.tag) in ("timeDuration", "timeDate", "timeCycle")]
        if not children:
            self.add(say("timer.empty"), file, event)
            return
        child = children[0]
        kind, text = local(child.tag), (child.text or "").strip()
        if not self.expression(text, file, event, say("what.timer", kind=kind), timer=True):
            return
        try:
            if free_names(text):
                return  # depends on case data: checked by the dry run, not here
            value = self.env.evaluate(text, {})
        except Exception as err:  # noqa: BLE001 - any failure is the author's to see
            self.add(say("timer.does_not_evaluate", kind=kind, error=str(err)), file, event)
            return
        if not isinstance(value, str):
            self.add(say("timer.not_text", kind=kind, type=type(value).__name__), file, event)
            return
        try:
            if kind == "timeDuration":
                TimerEventDefinition.parse_iso_duration(value)
            elif kind == "timeDate":
                TimerEventDefinition.parse_time_or_duration(value)
                if "T" in value and not re.search(r"(Z|[+-]\d\d:?\d\d)$", value):
                    self.add(say("timer.no_offset", value=value), file, event)
            else:
                TimerEventDefinition.parse_iso_recurring_interval(value)
        except Exception:  # noqa: BLE001
            code = {"timeDuration": "timer.bad_duration", "timeDate": "timer.bad_date"}.get(kind, "timer.bad_cycle")
            self.add(say(code, value=value), file, event)

    # -- elements ----------------------------------------------------------------------------
    def form(self, task: etree._Element, file: str) -> None:
        props = {p.get("name"): p.get("value") for p in task.iterfind(
            "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)}
        for prop in EXPRESSION_PROPERTIES:
            if props.get(prop):
                self.expression(props[prop], file, task, say("what.property", name=prop))
        filename = props.get(FORM_PROPERTY)
        if not filename:
            vendor = vendor_of(task)
            self.add(say("form.none_vendor", vendor=vendor) if vendor else say("form.none"), file, task)
            return
        self.forms[task.get("id")] = filename
        text = self.bundle.form(filename)
        if text is None:
            self.add(say("form.file_missing", filename=filename), file, task)
            return
        schema, error, line = parse_json(text)
        if error is not None:
            self.problems.append(Problem(say("form.not_json", error=error),
                                         file="forms/" + filename, element_id=task.get("id"),
                                         element_name=task.get("name"), line=line))
            return
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except RecursionError:
            self.problems.append(Problem(say("form.not_json", error=say("json.too_deep")), file="forms/" + filename,
                                         element_id=task.get("id"), element_name=task.get("name")))
            return
        except jsonschema.SchemaError as err:
            where = "/".join(str(p) for p in err.absolute_path) or say("word.form_root")
            error = schema_error(err.message, tuple(err.absolute_path))
            self.problems.append(Problem(say("form.bad_schema", where=where, error=error),
                                         file="forms/" + filename, element_id=task.get("id"),
                                         element_name=task.get("name")))
            return
        if not isinstance(schema, dict) or schema.get("type") != "object":
            self.problems.append(Problem(say("form.not_object"),
                                         file="forms/" + filename, element_id=task.get("id"),
                                         element_name=task.get("name")))
            return
        defined = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in defined and schema.get("additionalProperties") is False:
                self.problems.append(Problem(say("form.required_undefined", name=name), file="forms/" + filename,
                                             element_id=task.get("id"), element_name=task.get("name")))

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
                    self.add(say("gateway.flow_without_condition", flow=flow.get("id")), file, flow)
                else:
                    self.add(say("gateway.no_condition_no_default", flow=flow.get("id")), file, gateway)
            else:
                self.expression(condition.text, file, flow, say("what.condition"))

    def process(self, process: etree._Element, file: str) -> None:
        for lane in process.iter(f"{{{BPMN_NS}}}lane"):
            if lane.get("name"):
                if lane.get("name") in self.lanes and self.lanes[lane.get("name")] != lane.get("id"):
                    self.add(say("lane.duplicate", name=lane.get("name")), file, lane)
                self.lanes[lane.get("name")] = lane.get("id")
        flows = {f.get("id"): f for f in process.iter(f"{{{BPMN_NS}}}sequenceFlow")}
        for node in process.iter():
            tag = local(node.tag)
            if node.tag == etree.Comment or not isinstance(node.tag, str):
                continue
            if tag in UNSUPPORTED and node.tag.startswith("{" + BPMN_NS):
                target = node if tag in FLOW_NODE_TAGS else node.getparent()
                self.add(say(UNSUPPORTED[tag]), file, target)
            if tag in FLOW_NODE_TAGS and node.tag.startswith("{" + BPMN_NS):
                self.elements[node.get("id")] = {"type": tag, "name": node.get("name") or ""}
                if node.get(NAME_EN):  # its English name (the process editor's), for English pages
                    self.elements[node.get("id")]["name_en"] = node.get(NAME_EN)
            if not node.tag.startswith("{" + BPMN_NS):
                continue
            if tag == "userTask":
                self.form(node, file)
            elif tag in ("exclusiveGateway", "inclusiveGateway"):
                self.gateway(node, flows, file)
            elif tag == "scriptTask":
                script = node.find("bpmn:script", NS)
                if script is None or not (script.text or "").strip():
                    self.add(say("script_task.empty"), file, node)
                else:
                    self.script(script.text, file, node, say("what.script"), node.get("scriptFormat") or "")
            elif tag == "timerEventDefinition":
                self.timer(node, file, node.getparent())
            elif tag == "businessRuleTask":
                ref = node.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
                if ref is None or not (ref.text or "").strip():
                    self.add(say("decision.not_named"), file, node)
                elif ref.text.strip() not in self.decisions:
                    self.add(say("decision.unknown", decision=ref.text.strip()), file, node)
            elif tag == "serviceTask":
                self.service(node, file)
            elif tag in ("loopCardinality", "completionCondition") and (node.text or "").strip():
                what = say("what.loop_cardinality" if tag == "loopCardinality" else "what.completion_condition")
                self.expression(node.text, file, node.getparent().getparent(), what)
            for ext, what_code in (("preScript", "what.pre_script"), ("postScript", "what.post_script")):
                if tag in FLOW_NODE_TAGS:
                    found = node.find(f"bpmn:extensionElements/spiffworkflow:{ext}", NS)
                    if found is not None:
                        self.script(found.text, file, node, say(what_code))

    def service(self, node: etree._Element, file: str) -> None:
        operator = node.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        if operator is None:
            vendor = vendor_of(node)
            known = ", ".join(sorted(self.services or ())) or say("word.none_feminine")
            self.add(say("service.no_operation_vendor", known=known, vendor=vendor) if vendor
                     else say("service.no_operation", known=known), file, node)
            return
        name = operator.get("id")
        if self.services is not None and name not in self.services:
            known = ", ".join(sorted(self.services)) or say("word.none_feminine")
            self.add(say("service.unknown", name=name, known=known), file, node)
        for param in operator.iterfind("spiffworkflow:parameters/spiffworkflow:parameter", NS):
            self.expression(param.get("value"), file, node, say("what.parameter", name=param.get("id")))

    def ids(self, root: etree._Element, file: str) -> None:
        seen: dict[str, etree._Element] = {}
        for node in root.iter():
            if not isinstance(node.tag, str) or node.get("id") is None or node.tag.startswith("{" + SPIFF_NS):
                continue
            element_id = node.get("id")
            if element_id in seen:
                self.add(say("id.duplicate", id=element_id, other_line=seen[element_id].sourceline), file, node)
            else:
                seen[element_id] = node
        # SpiffWorkflow looks service operators up by id among the elements: a clash breaks parsing.
        for operator in root.iter(f"{{{SPIFF_NS}}}serviceTaskOperator"):
            if operator.get("id") in seen:
                task = operator.getparent().getparent()
                self.add(say("id.clashes_with_operation", name=operator.get("id"),
                             other_line=seen[operator.get("id")].sourceline), file, task)


def _spiff_problem(err: Exception) -> Problem:
    if isinstance(err, ValidationException):
        line = err.line_number if isinstance(err.line_number, int) else None
        return Problem(say("spiff.invalid", error=str(err.args[0] if err.args else err)), file=err.file_name or None,
                       element_id=err.id or None, element_name=err.name or None, line=line)
    return Problem(say("spiff.refused", error=str(err)))


def validate_bundle(bundle: Bundle, *, services: set[str] | None = None,
                    helpers: dict[str, Any] | None = None) -> tuple[ParsedBundle | None, list[Problem]]:
    """Check everything about a bundle; a ParsedBundle only when there is no problem at all."""
    checker = _Checker(bundle, services, helpers)
    problems = checker.problems
    if len(bundle.files) > MAX_FILES:
        problems.append(Problem(say("bundle.too_many_files", count=len(bundle.files), limit=MAX_FILES)))
        return None, problems
    if not bundle.bpmn_files:
        problems.append(Problem(say("bundle.no_bpmn")))
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
            problems.append(Problem(say("bpmn.not_bpmn", tag=local(root.tag) or "?"), file=name,
                                    line=root.sourceline))
            continue
        problems.extend(_xsd_problems(name, root))
        checker.ids(root, name)
        for process in root.iterfind("bpmn:process", NS):
            checker.process(process, name)
            check_process(process, lambda message, node, _name=name: checker.add(message, _name, node))
        bpmn_trees[name] = root
    for name in bundle.files:
        if name.startswith("forms/") and name.endswith(".json") and not any(p.file == name for p in problems):
            # Every form file, used by a task or not yet: each is read as a schema later on.
            value, error, line = parse_json(bundle.files[name])
            if error is not None:
                problems.append(Problem(say("form.not_json", error=error), file=name, line=line))
            elif not isinstance(value, dict):
                problems.append(Problem(say("form.not_object"), file=name))
    if problems or not bpmn_trees:
        return None, problems
    return _parse_with_spiff(bundle, bpmn_trees, dmn_trees, checker)


def parse_json(text: str) -> tuple[Any, Message | str | None, int | None]:
    """A file's JSON value, or what is wrong with it: (value, None, None) or (None, error, line)."""
    try:
        return json.loads(text), None, None
    except json.JSONDecodeError as err:
        return None, json_error(err.msg), err.lineno
    except RecursionError:  # nested deeper than the parser goes
        return None, say("json.too_deep"), None


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
        return Problem(say("process.not_executable"))
    called = set()
    for root in trees.values():
        for activity in root.iter(f"{{{BPMN_NS}}}callActivity"):
            called.add(activity.get("calledElement"))
    roots = [pid for pid in executable if pid not in called]
    if len(roots) != 1:
        return Problem(say("process.several_main", count=len(roots),
                           ids=", ".join(roots) or say("word.none_masculine")))
    return roots[0]
