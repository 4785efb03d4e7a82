"""Errors raised by the engine; the web layer maps them to 404 / 409 / 422."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    """One thing wrong with a bundle, located as precisely as we can."""

    message: str
    file: str | None = None
    element_id: str | None = None
    element_name: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file + (f":{self.line}" if self.line else ""))
        if self.element_id:
            label = self.element_id + (f" ({self.element_name})" if self.element_name else "")
            where.append(label)
        prefix = " / ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


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
