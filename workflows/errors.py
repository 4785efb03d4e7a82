"""Errors of the domain layer; engine errors are re-exported so callers catch from one place."""

from __future__ import annotations

from engine.errors import (  # noqa: F401 - re-exported for web and cli
    ConflictError,
    EngineError,
    NotFoundError,
    Problem,
    TaskStateError,
    ValidationError,
    WorkflowRunError,
)


class DomainError(Exception):
    """Base of the errors this layer raises on purpose."""


class PermissionDeniedError(DomainError):
    """The user may not do this (wrong role, wrong lane, not a member of the case)."""


class InputError(DomainError):
    """A bad argument that is not a form (an unknown role, a malformed reference)."""


class SettingsError(DomainError):
    """The configuration is unsafe or inconsistent."""


class FormError(DomainError):
    """A form submission was refused; `errors` lists every field in error. Nothing was saved."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.path or '(form)'}: {e.message('en')}" for e in self.errors))
