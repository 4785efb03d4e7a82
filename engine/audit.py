"""Append to the audit log. Details hold ids and element names, never personal content."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from .models import AuditEvent


def record(session: Session, *, at: dt.datetime, actor: str, kind: str, business_key: str | None = None,
           instance_id: int | None = None, detail: dict[str, Any] | None = None) -> AuditEvent:
    """Add one audit event to the caller's transaction."""
    event = AuditEvent(at=at, actor=actor, kind=kind, business_key=business_key, instance_id=instance_id,
                       detail=detail or {})
    session.add(event)
    return event
