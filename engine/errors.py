"""Errors raised by the engine; the web layer maps them to 404 / 409 / 422."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .problem_texts import DEFAULT_LOCALE, Message, render


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class NotFoundError(EngineError):
    """An instance, task or version that does not exist."""


class ConflictError(EngineError):
    """A stale write: someone else changed the instance first. Nothing was saved."""


class TaskStateError(ConflictError):
    """The task exists but can no longer be acted on (completed, cancelled)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bundle, located as precisely as we can.

    Built from a catalogue message (`Problem(say("timer.no_offset", value=...), file=...)`), it
    keeps its `code` and `params` and `message` is the English text; `text(locale)` says it in
    French (the default) or English. A Problem built from a plain string has no code.
    """

    message: str
    file: str | None = None
    element_id: str | None = None
    element_name: str | None = None
    line: int | None = None
    code: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.message, Message):
            if self.code is None:
                object.__setattr__(self, "code", self.message.code)
                object.__setattr__(self, "params", self.message.params)
            object.__setattr__(self, "message", str.__str__(self.message))

    def text(self, locale: str = DEFAULT_LOCALE) -> str:
        """The message in `locale` ("fr" or "en"); the English text when it has no code."""
        if self.code is None:
            return self.message
        try:
            return render(self.code, self.params, locale)
        except (KeyError, IndexError, ValueError):  # a stale code must not hide the problem
            return self.message

    def where(self) -> str:
        """File, line, element id and name: the same in every language."""
        where = []
        if self.file:
            where.append(self.file + (f":{self.line}" if self.line else ""))
        if self.element_id:
            label = self.element_id + (f" ({self.element_name})" if self.element_name else "")
            where.append(label)
        return " / ".join(where)

    def located(self, locale: str = DEFAULT_LOCALE) -> str:
        """Where, then what: one line for a terminal."""
        prefix, text = self.where(), self.text(locale)
        if not prefix:
            return text
        return f"{prefix} : {text}" if locale == "fr" else f"{prefix}: {text}"

    def __str__(self) -> str:
        return self.located("en")


@dataclass
class ValidationError(EngineError):
    """A bundle or a submission was refused; `problems` lists every reason."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems) or "invalid"


class ScriptError(EngineError):
    """A script or expression was refused by, or failed in, the restricted environment."""


class WorkflowRunError(EngineError):
    """The process failed while running engine steps (a script, a timer, a service)."""

    def __init__(self, message: str, element_id: str | None = None):
        super().__init__(message)
        self.element_id = element_id
