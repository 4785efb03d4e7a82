"""Drafts of task forms: what someone typed, kept until the task is completed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine.db import Base, UTCDateTime

from .models import User


class TaskDraft(Base):
    """One draft per open task (the last one saved wins; who saved it is shown)."""

    __tablename__ = "task_draft"

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    business_key: Mapped[str] = mapped_column(String(64), index=True)
    saved_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    saved_by: Mapped[User] = relationship(lazy="joined")


def get(session: Session, task_id: str) -> TaskDraft | None:
    return session.get(TaskDraft, task_id)


class DraftChangedError(Exception):
    """Someone saved a draft of the task after the form being saved was opened: it is kept."""

    def __init__(self, draft: TaskDraft):
        super().__init__(f"a draft was saved at {draft.saved_at.isoformat()} since")
        self.draft = draft


def stamp(draft: TaskDraft | None) -> str:
    """What a form carries of the draft it was opened with ('' for none), for `save` to compare."""
    return draft.saved_at.isoformat() if draft is not None else ""


def save(session: Session, *, task_id: str, business_key: str, user: User, data: dict[str, Any],
         now: dt.datetime, opened_with: str | None = None) -> TaskDraft:
    """Save a task's draft. With `opened_with` (the `stamp` of the draft the form was opened
    with), a draft saved since by anyone is not replaced: raises DraftChangedError."""
    draft = session.get(TaskDraft, task_id, with_for_update={"of": TaskDraft})
    if opened_with is not None and stamp(draft) not in ("", opened_with):
        raise DraftChangedError(draft)
    if draft is None:
        draft = TaskDraft(task_id=task_id, business_key=business_key, saved_by_id=user.id, saved_at=now, data=data)
        session.add(draft)
    else:
        draft.saved_by_id, draft.saved_at, draft.data = user.id, now, data
    session.flush()
    return draft


def discard(session: Session, task_id: str) -> None:
    session.execute(delete(TaskDraft).where(TaskDraft.task_id == task_id))
