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
from .problem_texts import Alternatives, Message, say
from .scripting import compile_expression, compile_script

# ISO 8601 durations, dates and repeating intervals written without quotes.
_ISO_LITERAL = re.compile(
    r"^(R\d*/)?(P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d\d-\d\d(T[\d:.]+(Z|[+-]\d\d:?\d\d)?)?)(/P[\dYMWDTHS.]+)?$"
)
_JUEL = re.compile(r"^\s*[$#]\{.*\}\s*$", re.DOTALL)
_FEEL_RANGE = re.compile(r"^\s*[\[\]\(]\s*[^,\]]+\.\.[^\]]+[\]\[\)]\s*$")
_FEEL_FUNCTION = re.compile(r"^\s*(not|date|time|date and time|duration)\s*\(")
_SYNTAX = re.compile(r"^syntax error on line (\S+): (.*)$", re.DOTALL)  # scripting._precheck's wording
PYTHON_FORMATS = {"", "python", "text/python", "py", "text/x-python"}


def foreign_dialect(text: str, *, timer: bool = False) -> Message | None:
    """A hint when `text` is written in another modeler's dialect, else None."""
    stripped = text.strip()
    if _JUEL.match(stripped):
        return say("hint.juel", inner=stripped[2:-1].strip())
    if stripped.startswith("=") and not stripped.startswith("=="):
        return say("hint.feel", inner=stripped[1:].strip())
    if timer and _ISO_LITERAL.match(stripped):
        return say("hint.timer_quotes", value=stripped)
    if _FEEL_RANGE.match(stripped):
        return say("hint.feel_range")
    if _FEEL_FUNCTION.match(stripped):
        return say("hint.feel_function")
    return None


def _syntax_detail(err: ScriptError) -> Message:
    text = str(err)
    if "is not allowed" in text:
        if "import" in text:
            return say("syntax.import")
        if "__" in text:
            return say("syntax.dunder", detail=text.split(": ", 1)[-1])
    syntax = _SYNTAX.match(text)
    if syntax:
        return say("syntax.python", line=syntax.group(1), error=syntax.group(2))
    return say("syntax.refused", error=text)


def expression_problem(text: str | None, what: Message, *, timer: bool = False) -> Message | None:
    """Why expression `text` (a condition, a timer, a parameter) is refused, or None if it compiles.

    `what` names it in the catalogue's words: `say("what.condition")`, `say("what.property", name=...)`.
    """
    if text is None or not text.strip():
        return say("expr.empty", what=what)
    hint = foreign_dialect(text, timer=timer)
    if hint is not None and hint.code == "hint.timer_quotes":
        return say("expr.unquoted_timer", what=what, value=text.strip())
    if hint is not None:
        return say("expr.refused", what=what, text=text.strip(), why=hint)
    try:
        compile_expression(text)
    except ScriptError as err:
        return say("expr.refused", what=what, text=_clip(text), why=_syntax_detail(err))
    return None


def script_problem(text: str | None, what: Message, *, language: str | None = None) -> Message | None:
    """Why a script is refused, or None if it compiles in the restricted environment."""
    if language is not None and language.strip().lower() not in PYTHON_FORMATS:
        return say("script.language", what=what, language=language)
    if text is None or not text.strip():
        return None
    try:
        compile_script(text)
    except ScriptError as err:
        return say("script.refused", what=what, why=_syntax_detail(err))
    return None


def _reason(err: BaseException) -> str:
    if isinstance(err, NameError):
        return say("run.unknown_name", name=getattr(err, "name", None) or str(err))
    if isinstance(err, KeyError):
        return say("run.missing_key", key=str(err))
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def runtime_message(err: BaseException) -> str:
    """A failure while running a diagram, said for the person who drew it.

    A Message when casework can say it in its own words; the library's text, verbatim, otherwise.
    """
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and len(chain) < 8 and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    head = (str(err).strip().splitlines() or [type(err).__name__])[0]
    match = re.match(r"Error evaluating expression '(.*?)'\.?(\s|$)", head, re.DOTALL)
    if match:
        head = say("run.expression_fails", expression=_clip(match.group(1)))
    cause = next((e for e in chain[1:] if not isinstance(e, SpiffWorkflowException)), None)
    if isinstance(err, (NameError, KeyError)):
        text = _reason(err)
    else:
        text = say("run.because", head=head, cause=_reason(cause)) if cause is not None else head
    notes = [str(n).strip() for n in (getattr(err, "notes", None) or getattr(err, "__notes__", None) or [])]
    notes = [n for n in dict.fromkeys(notes) if n and "Did you mean" in n]
    return say("run.with_note", text=text, note=_suggestion(notes[0])) if notes else text


def _suggestion(note: str) -> str:
    """SpiffWorkflow's "Did you mean one of '['a', 'b']'?" as a message; as it is if it reads otherwise."""
    names = re.findall(r"'(\w+)'", note.split("Did you mean", 1)[1])
    if not names:
        return note
    return say("run.did_you_mean", names=Alternatives(say("word.quoted", text=name) for name in names))


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
