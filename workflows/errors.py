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


def N_(text: str) -> str:  # noqa: N802 - gettext's name for it
    """Mark English text for translation without translating it here (gettext_noop): the web
    layer translates it when it shows it (see PermissionDeniedError)."""
    return text


class DomainError(Exception):
    """Base of the errors this layer raises on purpose."""


class PermissionDeniedError(DomainError):
    """The user may not do this (wrong role, wrong lane, not a member of the case).

    `reason` is English text with `%(name)s` placeholders filled from `params`; the web layer
    shows it in the page's language (its French is in web/translations, tests/web/test_i18n.py
    extracts every reason given to this class)."""

    def __init__(self, reason: str = "", **params: object) -> None:
        self.reason, self.params = reason, params
        super().__init__(reason % params if params else reason)


class InputError(DomainError):
    """A bad argument that is not a form (an unknown role, a malformed reference)."""


class SettingsError(DomainError):
    """The configuration is unsafe or inconsistent."""


class FormError(DomainError):
    """A form submission was refused; `errors` lists every field in error. Nothing was saved."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.path or '(form)'}: {e.message('en')}" for e in self.errors))
