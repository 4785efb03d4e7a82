"""The notification outbox: each (case, reason, occurrence) is queued once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import Case, Notification, User


def enqueue(session: Session, *, key: str, recipient: User, reason: str, now: dt.datetime,
            case: Case | None = None, detail: dict[str, Any] | None = None) -> Notification:
    """Queue a notification unless one with `key` exists; return the queued or existing row."""
    existing = session.scalar(select(Notification).where(Notification.key == key))
    if existing is not None:
        return existing
    row = Notification(key=key, recipient_id=recipient.id, reason=reason, created_at=now,
                       case_id=case.id if case else None, detail=detail or {},
                       email_status="pending" if recipient.email else "skipped", next_attempt_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another transaction queued it first
        return session.scalar(select(Notification).where(Notification.key == key))
    return row


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None))) or 0


def for_user(session: Session, user: User, limit: int = 50) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.recipient_id == user.id)
                                .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))
