"""What the scheduler will do next: the earliest waiting timers, and cases stopped in error.

Only references, times and element ids: enough to plan a demo (how far to move the clock) or
to see that a case is stuck, nothing of its content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import ProcessInstance, ProcessVersion

from .errors import PermissionDeniedError
from .models import Case, User

ROLES = ("process_owner", "coordinator", "case_manager")


@dataclass(frozen=True)
class Waiting:
    reference: str
    due: dt.datetime
    wait: dt.timedelta  # from now (negative: overdue, the scheduler has not run)


@dataclass(frozen=True)
class Stuck:
    reference: str
    element: str | None
    error: str
    since: dt.datetime


def _scoped(query, viewer: User):
    if viewer.role not in ROLES:
        raise PermissionDeniedError("the scheduler's view is for process owners, coordinators and case managers")
    if viewer.role == "case_manager":
        query = query.join(Case, Case.instance_id == ProcessInstance.id).where(Case.case_manager_id == viewer.id)
    return query


def timers(session: Session, viewer: User, now: dt.datetime, limit: int = 20) -> list[Waiting]:
    """The next timers to fire, earliest first."""
    query = _scoped(select(ProcessInstance.business_key, ProcessInstance.next_timer_due)
                    .where(ProcessInstance.status == "running", ProcessInstance.next_timer_due.is_not(None)), viewer)
    rows = session.execute(query.order_by(ProcessInstance.next_timer_due).limit(limit))
    return [Waiting(ref, due, due - now) for ref, due in rows]


def errors(session: Session, viewer: User, limit: int = 50, process_id: str | None = None) -> list[Stuck]:
    """Instances the engine stopped in error (a failing timer, script or service), newest first."""
    query = _scoped(select(ProcessInstance).where(ProcessInstance.status == "error"), viewer)
    if process_id is not None:
        query = query.join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id).where(
            ProcessVersion.process_id == process_id)
    return [Stuck(i.business_key, i.error_element, i.error or "", i.updated_at)
            for i in session.scalars(query.order_by(ProcessInstance.updated_at.desc()).limit(limit))]


def format_wait(delta: dt.timedelta) -> str:
    """'in 6d 23h', 'in 12m', 'late by 2h'."""
    seconds = int(delta.total_seconds())
    prefix = "in " if seconds >= 0 else "late by "
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days}d"] if days else []
    if hours or days:
        parts.append(f"{hours}h")
    if not days:
        parts.append(f"{minutes}m")
    return prefix + " ".join(parts)
