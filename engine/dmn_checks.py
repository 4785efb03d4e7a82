"""Check a DMN file the way SpiffWorkflow will run it: one decision table, Python cells.

SpiffWorkflow turns each input cell into a Python expression (`(input) == (cell)`, or
`input cell` when the cell starts with an operator, or the cell with `?` standing for the
input) and evaluates it in the script environment; FEEL is not understood. Every cell is
therefore compiled here, in the restricted environment, before anything is deployed.
"""

from __future__ import annotations

import ast
import os
import re
import threading

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS

from .errors import Problem
from .expressions import expression_problem, foreign_dialect
from .problem_texts import Message, say

SUPPORTED_HIT_POLICIES = {"UNIQUE", "FIRST", "ANY", "COLLECT"}
_QUESTION = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')
_VALIDATORS: dict[str, BpmnValidator] = {}
_LOCK = threading.Lock()


def _local(node) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _children(node, name: str) -> list:
    return [child for child in node if _local(child) == name]


def _text(node) -> str | None:
    found = _children(node, "text")
    return found[0].text if found else None


def _xsd(name: str, root, namespace: str, problems: list[Problem]) -> bool:
    path = DMN_SCHEMAS.get(namespace)
    if path is None or not os.path.exists(path):
        return True
    with _LOCK:
        if namespace not in _VALIDATORS:
            _VALIDATORS[namespace] = BpmnValidator(path)
        validator = _VALIDATORS[namespace].validator
        if validator.validate(root):
            return True
        errors = list(validator.error_log)[:50]
    for error in errors:
        message = re.sub(r"\{[^}]+\}", "", error.message)
        problems.append(Problem(say("dmn.xsd", error=message), file=name, line=error.line))
    return False


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
        return True
    except SyntaxError:
        return False


def cell_expression(input_expression: str, cell: str) -> str:
    """The Python expression SpiffWorkflow evaluates for one input cell (DMNEngine.evaluate)."""
    if _QUESTION.search(cell):
        return _QUESTION.sub("dmninputexpr", cell)
    return f"({input_expression}) == ({cell})" if _parses(cell) else input_expression + cell


class _TableChecker:
    def __init__(self, name: str, decision, problems: list[Problem]):
        self.name, self.decision, self.problems = name, decision, problems

    def add(self, message: Message, node) -> None:
        self.problems.append(Problem(message, file=self.name, element_id=node.get("id"),
                                     element_name=node.get("label") or node.get("name")
                                     or self.decision.get("name"), line=node.sourceline))

    def check(self, table) -> None:
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        if policy not in SUPPORTED_HIT_POLICIES:
            self.add(say("dmn.hit_policy", policy=policy), table)
        if table.get("aggregation"):
            self.add(say("dmn.aggregation"), table)
        inputs = []
        for column in _children(table, "input"):
            expression = _children(column, "inputExpression")
            text = _text(expression[0]) if expression else None
            problem = expression_problem(text, say("what.dmn_input", name=column.get("label") or column.get("id")))
            if problem:
                self.add(problem, column)
            inputs.append(text if not problem else None)
        outputs = _children(table, "output")
        for column in outputs:
            if not (column.get("name") or column.get("label")):
                self.add(say("dmn.output_unnamed"), column)
        if not outputs:
            self.add(say("dmn.no_output"), table)
        for number, rule in enumerate(_children(table, "rule"), start=1):
            self.rule(number, rule, inputs, len(outputs))

    def rule(self, number: int, rule, inputs: list[str | None], n_outputs: int) -> None:
        entries, results = _children(rule, "inputEntry"), _children(rule, "outputEntry")
        if len(entries) != len(inputs) or len(results) != n_outputs:
            self.add(say("dmn.rule_shape", number=number, inputs=len(entries), outputs=len(results),
                         input_columns=len(inputs), output_columns=n_outputs), rule)
            return
        for entry, input_expression in zip(entries, inputs, strict=True):
            cell = (_text(entry) or "").strip()
            if cell in ("", "-") or input_expression is None:
                continue
            hint = foreign_dialect(cell)
            problem = say("dmn.cell_foreign", number=number, cell=cell, why=hint) if hint else None
            if problem is None and expression_problem(cell_expression(input_expression, cell), say("what.dmn_cell")):
                problem = say("dmn.cell_invalid", number=number, cell=cell)
            if problem:
                self.add(problem, entry)
        for entry in results:
            cell = (_text(entry) or "").strip()
            if cell:
                problem = expression_problem(cell, say("what.dmn_output_cell", number=number))
                if problem and getattr(problem.params.get("why"), "code", None) == "syntax.python":
                    problem = say("dmn.output_needs_quotes", problem=problem)
                if problem:
                    self.add(problem, entry)


def check_dmn(name: str, root, namespaces: set[str], problems: list[Problem]) -> set[str]:
    """Record every problem of one DMN file; return the ids of the decisions it offers."""
    namespace = etree.QName(root).namespace
    if namespace not in namespaces or _local(root) != "definitions":
        problems.append(Problem(say("dmn.not_dmn"), file=name, line=root.sourceline))
        return set()
    if not _xsd(name, root, namespace, problems):
        return set()
    decisions = [d for d in root if _local(d) == "decision"]
    if not decisions:
        problems.append(Problem(say("dmn.no_decision"), file=name, line=root.sourceline))
        return set()
    if len(decisions) > 1:
        problems.append(Problem(say("dmn.several_decisions", count=len(decisions)), file=name,
                                line=decisions[1].sourceline,
                                element_id=decisions[1].get("id"), element_name=decisions[1].get("name")))
    for decision in decisions:
        tables = _children(decision, "decisionTable")
        if len(tables) != 1:
            problems.append(Problem(say("dmn.not_a_table"), file=name, element_id=decision.get("id"),
                                    element_name=decision.get("name"), line=decision.sourceline))
            continue
        _TableChecker(name, decision, problems).check(tables[0])
    return {d.get("id") for d in decisions if d.get("id")}
