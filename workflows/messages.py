"""The youth's wishes and complaints: recorded, acknowledged, passed on to the professionals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from engine.db import statement
from engine.runtime import Runtime

from .context import TaskContext, subject_of
from .errors import FormError, NotFoundError, PermissionDeniedError
from .forms import FIRST_YEAR, FieldError
from .members import add_member, of_case
from .models import Case, User, YouthMessage, YouthMessageRecipient
from .users import find_active

KINDS = ("wish", "complaint")
MESSAGE = "youth_message"


TEXT_LIMIT = 4000  # as a note: what the youth said, in a few paragraphs


def record(session: Session, runtime: Runtime, *, user: User, case: Case, kind: str, text: str,
           received_on: dt.date | str | None = None) -> YouthMessage:
    """Record a wish or complaint and hand it to the case's process (a BPMN message).

    `received_on`: a date or its ISO text as typed (today when empty). Raises FormError listing
    every field in error (a date that is not one, or is to come)."""
    errors = []
    if kind not in KINDS:
        errors.append(FieldError("kind", "enum"))
    received_on, error = _received(received_on, runtime.clock.now().astimezone(runtime.timezone).date())
    if error is not None:
        errors.append(error)
    if not (text or "").strip():
        errors.append(FieldError("text", "required"))
    elif len(text.strip()) > TEXT_LIMIT:
        errors.append(FieldError("text", "maxLength", {"limit": TEXT_LIMIT}))
    if errors:
        raise FormError(errors)
    if user.role != "case_manager" or case.case_manager_id != user.id:
        raise PermissionDeniedError("only the case's case manager records the youth's wishes and complaints")
    if case.instance_id is None or case.status == "closed":
        raise PermissionDeniedError("this case is closed")
    now = runtime.clock.now()
    message = YouthMessage(case_id=case.id, kind=kind, text=text.strip(), received_on=received_on or now.date(),
                           recorded_by_id=user.id, recorded_at=now)
    session.add(message)
    session.flush()
    runtime.send_message(session, case.instance_id, MESSAGE, {"id": message.id, "kind": kind}, actor=user.username)
    return message


def _received(value: dt.date | str | None, today: dt.date) -> tuple[dt.date | None, FieldError | None]:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip()) if value.strip() else None
        except ValueError:
            return None, FieldError("received_on", "format", {"format": "AAAA-MM-JJ"})
    if value is not None and value > today:
        return None, FieldError("received_on", "future", custom={
            "fr": "Une date passée, ou aujourd'hui.", "en": "A date in the past, or today."})
    if value is not None and value.year < FIRST_YEAR:
        return None, FieldError("received_on", "date_range", {"first": FIRST_YEAR, "last": today.year})
    return value, None


def acknowledge(ctx: TaskContext, data: dict[str, Any]) -> dict[str, Any]:
    message = message_of_task(ctx.session, ctx.task.item, ctx.case)
    recipients = []
    errors = []
    # What the youth said goes to those who take part in the case (shared professional secrecy):
    # naming someone else here would open the case to them.
    taking_part = of_case(ctx.session, ctx.case)
    for i, username in enumerate(data.get("inform") or []):
        user = find_active(ctx.session, username)
        if user is None:
            errors.append(FieldError(f"inform/{i}", "unknown_user", {"name": username}))
        elif user.id not in taking_part and user.id != ctx.case.case_manager_id:
            errors.append(FieldError(f"inform/{i}", "not_in_case", {"name": user.display_name}))
        elif user not in recipients:
            recipients.append(user)
    if errors:
        raise FormError(errors)
    message.acknowledged_at, message.acknowledged_by_id, message.response = ctx.now, ctx.user.id, data["response"]
    for user in recipients:
        ctx.session.add(YouthMessageRecipient(message_id=message.id, user_id=user.id))
        add_member(ctx.session, ctx.case, user, "informed", ctx.now)
    return {"inform": [u.username for u in recipients]}


ACKNOWLEDGE_STEP = "acknowledge_youth_message"  # the diagram's task that records and passes one on


def message_of_task(session: Session, item: Any, case: Case) -> YouthMessage:
    """The wish or complaint a task is about, if it is one of the task's own case."""
    message = subject_of(session, YouthMessage, item, "a wish or complaint")
    if message.case_id != case.id:
        raise NotFoundError("this task is not tied to a wish or complaint of its case")
    return message


def for_case(session: Session, case: Case) -> list[YouthMessage]:
    return list(session.scalars(_messages_of_case(), {"case_id": case.id}))


@statement
def _messages_of_case() -> Select:
    return select(YouthMessage).where(YouthMessage.case_id == bindparam("case_id")).order_by(YouthMessage.recorded_at)
