"""The restricted environment every BPMN script, condition and expression runs in.

Process owners write these through the web, so they are code from outside the trust boundary:
compiled with RestrictedPython (no dunder names, guarded attribute and item access), checked
for imports before compiling, and run with a short list of builtins: no import, no open, no
access to the interpreter's internals. SpiffWorkflow's own TaskDataEnvironment runs plain
`exec`, which a `().__class__.__base__.__subclasses__()` walk escapes.
"""

from __future__ import annotations

import ast
import builtins as _py_builtins
import copy
import functools
import json
import operator
import types
from collections.abc import Callable, Mapping
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .errors import ScriptError

_ALLOWED_BUILTINS = (
    "None False True abs all any bool chr dict divmod enumerate filter float format frozenset "
    "int isinstance len list map max min ord pow range repr reversed round set slice sorted str "
    "sum tuple zip ArithmeticError AttributeError Exception IndexError KeyError TypeError ValueError "
    "ZeroDivisionError"
).split()

SAFE_BUILTINS: dict[str, Any] = {name: getattr(_py_builtins, name) for name in _ALLOWED_BUILTINS}

_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
    "|=": operator.ior, "&=": operator.iand, "^=": operator.ixor,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    try:
        return _INPLACE[op](target, value)
    except KeyError:
        raise ScriptError(f"operator {op} is not allowed") from None


def _write_guard(obj: Any) -> Any:
    # Plain containers may be written to; anything else goes through RestrictedPython's guard.
    if isinstance(obj, (dict, list)):
        return obj
    return full_write_guard(obj)


GUARDS: dict[str, Any] = {
    "__builtins__": SAFE_BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": _write_guard,
    "_inplacevar_": _inplacevar,
}

_FORBIDDEN_NODES = (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.AsyncFunctionDef,
                    ast.Await, ast.Yield, ast.YieldFrom, ast.ClassDef)


def _precheck(source: str, mode: str) -> None:
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        raise ScriptError(f"syntax error on line {err.lineno}: {err.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, _FORBIDDEN_NODES):
            what = type(node).__name__.lower()
            raise ScriptError(f"line {getattr(node, 'lineno', '?')}: '{what}' is not allowed in process scripts")
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise ScriptError(f"line {node.lineno}: name '{node.id}' is not allowed")


@functools.lru_cache(maxsize=2048)
def compile_expression(source: str) -> types.CodeType:
    """Compile an expression for the restricted environment, or raise ScriptError."""
    if not isinstance(source, str) or not source.strip():
        raise ScriptError("empty expression")
    _precheck(source.strip(), "eval")
    result = compile_restricted_eval(source.strip(), "<expression>")
    if result.errors or result.code is None:
        raise ScriptError("; ".join(result.errors) or "expression refused")
    return result.code


@functools.lru_cache(maxsize=1024)
def compile_script(source: str) -> types.CodeType:
    """Compile a script for the restricted environment, or raise ScriptError."""
    _precheck(source, "exec")
    result = compile_restricted_exec(source, "<string>")
    if result.errors or result.code is None:
        raise ScriptError("; ".join(result.errors) or "script refused")
    return result.code


def free_names(source: str, mode: str = "eval") -> set[str]:
    """Names an expression reads that are neither builtins nor bound inside it (assigned, a
    comprehension's variable, a lambda's argument)."""
    tree = ast.parse(source.strip(), mode=mode)
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    arguments = {a.arg for n in ast.walk(tree) if isinstance(n, ast.Lambda) for a in n.args.args}
    return loaded - stored - arguments - set(SAFE_BUILTINS)


def _is_data(value: Any) -> bool:
    return not (callable(value) or isinstance(value, types.ModuleType))


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow environment that compiles and runs everything in the restricted sandbox."""

    def __init__(self, helpers: Mapping[str, Any] | None = None):
        super().__init__(dict(helpers or {}))

    def _namespace(self, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict[str, Any]:
        return {**self.globals, **(external or {}), **context, **GUARDS}

    def evaluate(self, expression, context, external_context=None):
        code = compile_expression(expression)
        return eval(code, self._namespace(context, external_context))  # noqa: S307 - restricted code

    def execute(self, script, context, external_context=None):
        clash = set(self.globals).intersection(context)
        if clash:
            raise ScriptError(f"task data overwrites helper function(s): {', '.join(sorted(clash))}")
        code = compile_script(script)
        # Scripts work on a deep copy: in-place edits of nested data must not rewrite the history
        # of earlier tasks (SpiffWorkflow 3.2 shallow-copies data from parent to child).
        namespace = self._namespace(copy.deepcopy(dict(context)), external_context)
        exec(code, namespace)  # noqa: S102 - restricted code
        reserved = set(GUARDS) | set(self.globals) | set(external_context or {})
        for key in list(context):
            if key not in namespace:
                del context[key]
        for key, value in namespace.items():
            if key not in reserved and _is_data(value):
                context[key] = value
        return True

    def call_service(self, context, **kwargs):  # pragma: no cover - the engine routes services itself
        raise ScriptError("service calls go through the script engine")


ServiceDispatch = Callable[[Any, str, dict[str, Any]], Any]


@functools.lru_cache(maxsize=4096)
def _syntax_error(expression: str) -> SyntaxError | None:
    try:
        ast.parse(expression)
    except SyntaxError as err:
        return err
    return None


class ScriptEngine(PythonScriptEngine):
    """SpiffWorkflow script engine bound to the restricted environment and our service tasks."""

    def __init__(self, environment: RestrictedEnvironment, dispatch: ServiceDispatch | None = None):
        super().__init__(environment=environment)
        self._dispatch = dispatch

    def validate(self, expression):
        # SpiffWorkflow's DMN engine parses every cell's text on every evaluation, to raise a
        # SyntaxError (a cell such as ">= 3" does, and is then tried as "v >= 3"); a text's
        # verdict never changes.
        error = _syntax_error(expression)
        if error is not None:
            raise SyntaxError(error.msg, (error.filename, error.lineno, error.offset, error.text))

    def call_service(self, task, operation_name=None, operation_params=None, **_):
        # Overridden whole: the base method's error path references an undefined name (3.2.0).
        if self._dispatch is None:
            raise ScriptError(f"no service handler for '{operation_name}'")
        params = {name: spec.get("value") for name, spec in (operation_params or {}).items()}
        result = self._dispatch(task, operation_name, params)
        return json.dumps(result if result is not None else {})
