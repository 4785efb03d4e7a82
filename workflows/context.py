"""What a task-completion handler receives."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from engine.models import HumanTask

from .errors import NotFoundError
from .models import Case, User

Record = TypeVar("Record")


@dataclass
class TaskContext:
    session: Session
    user: User
    case: Case
    task: HumanTask
    schema: dict[str, Any]
    now: dt.datetime
    # Rows of append-only tables the handler adds, (model, rows): written with the step's save,
    # in the same statement on PostgreSQL. Not in the database while the handler runs.
    records: list[tuple[type, list[dict[str, Any]]]] = field(default_factory=list)
    # Rows the handler changes, (model, primary key, values): likewise written with the save.
    # For rows known to exist (the save does not say whether it found them).
    updates: list[tuple[type, Any, dict[str, Any]]] = field(default_factory=list)
    # The case's consent decisions, oldest first, when read with the task (see tasks.hold);
    # None: a handler that needs them reads them.
    consents: list[Any] | None = None
    # The plan action of this case a report is about, when read with the task (see tasks.hold);
    # None: a handler that needs it reads it.
    action_id: int | None = None


def subject_of(session: Session, model: type[Record], item: Any, what: str) -> Record:
    """The record a task is about, from the small `item` its row carries ({"id": ...})."""
    record_id = item.get("id") if isinstance(item, dict) else None
    record = session.get(model, record_id) if record_id else None
    if record is None:
        raise NotFoundError(f"this task is not tied to {what}")
    return record
