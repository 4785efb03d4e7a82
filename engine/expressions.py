"""Explain in plain words why an expression or a script from a diagram is refused.

Process owners are not programmers, and diagrams come from many modelers: Camunda writes
conditions as `${approved}` (JUEL) or `=approved` (FEEL), timers as a bare `P7D`, scripts in
JavaScript or Groovy. casework evaluates every one of them as a Python expression in the
restricted environment, so each foreign dialect gets a message that says what to write instead.
"""

from __future__ import annotations

import re

from SpiffWorkflow.exceptions import SpiffWorkflowException

from .errors import ScriptError
from .scripting import compile_expression, compile_script

# ISO 8601 durations, dates and repeating intervals written without quotes.
_ISO_LITERAL = re.compile(
    r"^(R\d*/)?(P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d\d-\d\d(T[\d:.]+(Z|[+-]\d\d:?\d\d)?)?)(/P[\dYMWDTHS.]+)?$"
)
_JUEL = re.compile(r"^\s*[$#]\{.*\}\s*$", re.DOTALL)
_FEEL_RANGE = re.compile(r"^\s*[\[\]\(]\s*[^,\]]+\.\.[^\]]+[\]\[\)]\s*$")
_FEEL_FUNCTION = re.compile(r"^\s*(not|date|time|date and time|duration)\s*\(")
PYTHON_FORMATS = {"", "python", "text/python", "py", "text/x-python"}


def foreign_dialect(text: str, *, timer: bool = False) -> str | None:
    """A hint when `text` is written in another modeler's dialect, else None."""
    stripped = text.strip()
    if _JUEL.match(stripped):
        inner = stripped[2:-1].strip()
        return (f"this is a Camunda (JUEL) expression; casework writes expressions in Python without "
                f"${{ }}: write {inner}")
    if stripped.startswith("=") and not stripped.startswith("=="):
        return (f"this is a Camunda 8 (FEEL) expression; write it in Python without the leading '=': "
                f"{stripped[1:].strip()}")
    if timer and _ISO_LITERAL.match(stripped):
        return f'write the value in quotes, like "{stripped}": casework reads timers as expressions'
    if _FEEL_RANGE.match(stripped):
        return ("FEEL ranges such as [18..23] are not supported; write a comparison with ? for the input, "
                "e.g. 18 <= ? <= 23")
    if _FEEL_FUNCTION.match(stripped):
        return "FEEL functions are not supported; write a Python expression, e.g. != \"value\" instead of not(\"value\")"
    return None


def _syntax_detail(err: ScriptError) -> str:
    text = str(err)
    if "is not allowed" in text:
        if "import" in text:
            return "importing modules is not allowed in process expressions and scripts"
        if "__" in text:
            return f"names starting with '__' are not allowed ({text.split(': ', 1)[-1]})"
        return text
    if text.startswith("syntax error"):
        return f"it is not valid Python ({text})"
    return text


def expression_problem(text: str | None, what: str, *, timer: bool = False) -> str | None:
    """Why expression `text` (a condition, a timer, a parameter) is refused, or None if it compiles."""
    if text is None or not text.strip():
        return f"{what} is empty"
    hint = foreign_dialect(text, timer=timer)
    if hint:
        return f"{what} {text.strip()!r} cannot be used: {hint}"
    try:
        compile_expression(text)
    except ScriptError as err:
        return f"{what} {_clip(text)!r} cannot be used: {_syntax_detail(err)}"
    return None


def script_problem(text: str | None, what: str, *, language: str | None = None) -> str | None:
    """Why a script is refused, or None if it compiles in the restricted environment."""
    if language is not None and language.strip().lower() not in PYTHON_FORMATS:
        return f"{what} is written in {language}; casework runs scripts in Python only"
    if text is None or not text.strip():
        return None
    try:
        compile_script(text)
    except ScriptError as err:
        return f"{what} cannot be used: {_syntax_detail(err)}"
    return None


def _reason(err: BaseException) -> str:
    if isinstance(err, NameError):
        return f"it uses '{getattr(err, 'name', None) or err}', which the case does not have at this point"
    if isinstance(err, KeyError):
        return f"it looks up {err}, which is missing from the data at this point"
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def runtime_message(err: BaseException) -> str:
    """A failure while running a diagram, said for the person who drew it."""
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and len(chain) < 8 and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    head = (str(err).strip().splitlines() or [type(err).__name__])[0]
    match = re.match(r"Error evaluating expression '(.*?)'\.?(\s|$)", head, re.DOTALL)
    if match:
        head = f"the expression {_clip(match.group(1))!r} fails"
    cause = next((e for e in chain[1:] if not isinstance(e, SpiffWorkflowException)), None)
    if isinstance(err, (NameError, KeyError)):
        text = _reason(err)
    else:
        text = head + (f": {_reason(cause)}" if cause is not None else "")
    notes = [str(n).strip() for n in (getattr(err, "notes", None) or getattr(err, "__notes__", None) or [])]
    notes = [n for n in dict.fromkeys(notes) if n and "Did you mean" in n]
    return text + (f" ({notes[0]})" if notes else "")


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
