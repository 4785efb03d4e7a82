"""The names a process's conditions read, and the names the process itself sets, read from its specs.

A condition that reads a name nothing sets (`consent_attemps` for `consent_attempts`) passes
validation, and the dry run too when its walk does not evaluate it (another branch, or the part
after an `and` that was false): the first case to take that branch stops there. Comparing what
conditions read with what forms, decisions, scripts, services and the start data set finds such
a typo before a deploy. The caller adds what only it knows (its forms' fields, what its domain
handlers pass on, its start data); `unknown` says what is left.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .scripting import free_names
from .validation import ParsedBundle


@dataclass(frozen=True)
class Read:
    """A name read by the condition of the flow from `gateway` to `target`."""

    gateway_id: str
    gateway_name: str | None
    target: str  # the target element's name, else its id
    expression: str
    name: str


def _specs(parsed: ParsedBundle) -> Iterator:
    yield parsed.spec
    yield from parsed.subprocess_specs.values()


def read_by_conditions(parsed: ParsedBundle) -> list[Read]:
    """Every name each gateway's outgoing conditions read (not builtins, nor the names they bind
    themselves: `engine.scripting.free_names`)."""
    found = []
    for spec in _specs(parsed):
        for task_spec in spec.task_specs.values():
            for condition, target in getattr(task_spec, "cond_task_specs", None) or ():
                expression = condition.args[0] if condition is not None and getattr(condition, "args", None) else None
                if not isinstance(expression, str):
                    continue
                # A task with boundary events is entered through a split named after it.
                target_spec = spec.task_specs.get(target.removesuffix(".BoundaryEventSplit"))
                label = getattr(target_spec, "bpmn_name", None) or getattr(target_spec, "bpmn_id", None) or target
                for name in sorted(_reads(expression)):
                    found.append(Read(task_spec.bpmn_id or task_spec.name, getattr(task_spec, "bpmn_name", None),
                                      label, expression, name))
    return found


def set_by_process(parsed: ParsedBundle) -> set[str]:
    """Names the process sets itself: scripts' assignments (pre- and post-scripts too), decision
    tables' outputs, services' result variables, multi-instance items and outputs."""
    names: set[str] = set()
    for spec in _specs(parsed):
        for task_spec in spec.task_specs.values():
            for script in (getattr(task_spec, "script", None), getattr(task_spec, "prescript", None),
                           getattr(task_spec, "postscript", None)):
                if isinstance(script, str):
                    names |= _assigned(script)
            if isinstance(getattr(task_spec, "result_variable", None), str):
                names.add(task_spec.result_variable)
            table = getattr(getattr(task_spec, "dmnEngine", None), "decision_table", None)
            names |= {output.name for output in getattr(table, "outputs", None) or () if getattr(output, "name", None)}
            for item in ("data_input", "data_output", "input_item", "output_item"):
                reference = getattr(task_spec, item, None)
                if isinstance(getattr(reference, "bpmn_id", None), str):
                    names.add(reference.bpmn_id)
    return names


def unknown(reads: Iterable[Read], known: set[str]) -> list[tuple[Read, list[str]]]:
    """The reads of names not `known`, each with the known names it is closest to (a typo's
    likely intent), once per gateway and name."""
    seen: set[tuple[str, str]] = set()
    found = []
    for read in reads:
        if read.name in known or (read.gateway_id, read.name) in seen:
            continue
        seen.add((read.gateway_id, read.name))
        found.append((read, difflib.get_close_matches(read.name, sorted(known), n=3, cutoff=0.75)))
    return found


def _reads(expression: str) -> set[str]:
    try:
        return free_names(expression)
    except SyntaxError:
        return set()  # validation says why


def _assigned(script: str) -> set[str]:
    try:
        tree = ast.parse(script)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
