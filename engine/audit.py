"""Append to the audit log. Details hold ids and element names, never personal content."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from .db import insert_rows
from .models import AuditEvent


def record(session: Session, *, at: dt.datetime, actor: str, kind: str, business_key: str | None = None,
           instance_id: int | None = None, detail: dict[str, Any] | None = None) -> None:
    """Append one audit event in the caller's transaction (written at once, as a plain INSERT)."""
    insert_rows(session, AuditEvent, [row(at=at, actor=actor, kind=kind, business_key=business_key,
                                          instance_id=instance_id, detail=detail)])


def row(*, at: dt.datetime, actor: str, kind: str, business_key: str | None = None,
        instance_id: int | None = None, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """An audit event's row, for a caller that writes it with others (the runtime's save)."""
    return {"at": at, "actor": actor, "kind": kind, "business_key": business_key, "instance_id": instance_id,
            "detail": detail or {}}
