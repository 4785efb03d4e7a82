"""The notification outbox: each (case, reason, occurrence) is queued once; in-app list and admin view.

A notification is shown in the app (a list and an unread counter) as soon as it is queued, and
goes out by e-mail through `workflows/outbox.py`. Its `email_status`:

- `pending`: to be sent at `next_attempt_at` (retries back off exponentially);
- `sending`: a sender claimed it (its `next_attempt_at` is then the claim's expiry);
- `sent`; `failed` (refused by the server, or too many attempts; retry by hand);
- `unknown`: a sender stopped between handing it to the SMTP server and recording the result:
  it may or may not have gone out, and is never sent again automatically (at most once);
- `skipped`: the person has no e-mail address;
- `digest`: held for the person's daily digest; `digested`: listed in one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.db import statement
from engine.models import HumanTask

from .errors import NotFoundError, PermissionDeniedError
from .models import Case, Notification, PlanAction, User
from .reasons import DIGEST

PROBLEM_STATUSES = ("failed", "unknown")
ADMIN_ROLES = ("coordinator", "case_manager")


def initial_email_status(recipient: User) -> str:
    if not recipient.email or not recipient.active:
        return "skipped"
    return "digest" if recipient.email_digest else "pending"


def enqueue(session: Session, *, key: str, recipient: User, reason: str, now: dt.datetime,
            case: Case | None = None, detail: dict[str, Any] | None = None) -> int:
    """Queue a notification unless one with `key` exists; return its id (queued now or before).

    One statement in the usual case (INSERT ... ON CONFLICT DO NOTHING): a scheduler queues
    thousands of these in a row.
    """
    values = dict(key=key, recipient_id=recipient.id, reason=reason, created_at=now,
                  case_id=case.id if case else None, detail=detail or {},
                  email_status=initial_email_status(recipient), next_attempt_at=now, attempts=0)
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        new_id = session.connection().scalar(_insert_unless_queued(dialect), values)
        if new_id is not None:
            return new_id
    else:  # pragma: no cover - the two databases casework supports take the branch above
        try:
            with session.begin_nested():
                row = Notification(**values)
                session.add(row)
            return row.id
        except IntegrityError:
            pass
    return session.scalar(select(Notification.id).where(Notification.key == key))


ACTION_ASSIGNED = "action_assigned"
ACTION_RESCHEDULED = "action_rescheduled"
CASE_HANDED_OVER = "case_handed_over"
PROCESS_FAILED = "process_failed"
REQUEST_ENDED = "request_ended"
_OF_AN_ACTION = ("action_overdue", ACTION_RESCHEDULED)  # notices with the action's id in their detail


def tell_process_owners(session: Session, case: Case, detail: dict[str, Any], now: dt.datetime) -> None:
    """Every active process owner learns that the process failed on `case` (`detail`: the
    process, the element and its name): once a day per case and element, however many times
    someone tries again. The case's reference only: no content of it."""
    for owner in session.scalars(select(User).where(User.role == "process_owner", User.active.is_(True))):
        enqueue(session, key=f"{case.reference}:{PROCESS_FAILED}:{detail.get('element')}:{now.date().isoformat()}:"
                f"{owner.username}", recipient=owner, reason=PROCESS_FAILED, now=now, case=case, detail=detail)


def tell_carriers(session: Session, case: Case, rows: Sequence[Any], now: dt.datetime) -> None:
    """Each professional who now carries a plan action (`rows`: its open report tasks, new or
    handed over) is told at once, not only once it is overdue: a partner who signs in once a
    month learns there is something to do. One notification per task and carrier."""
    names = {row.assignee for row in rows if row.assignee}
    if not names:
        return
    people = {user.username: user for user in session.scalars(
        select(User).where(User.username.in_(names), User.role == "professional", User.active.is_(True)))}
    for row in rows:
        person = people.get(row.assignee)
        if person is None:
            continue
        action_id = row.item.get("id") if isinstance(row.item, dict) else None
        enqueue(session, key=_assigned_key(case.reference, row.id, person.username), recipient=person,
                reason=ACTION_ASSIGNED, now=now, case=case,
                detail={"task_id": row.id, **({"action_id": action_id} if isinstance(action_id, int) else {})})


def tell_requester(session: Session, case: Case, now: dt.datetime) -> None:
    """The professional who sent the request, when they have an account, learns that the case it
    opened has ended (the youth left the dispositif, or it closed: not eligible, no consent):
    once per case. The notice says no more; their case page says what they may read."""
    if case.requester_user_id is None or case.requester_user_id == case.case_manager_id:
        return
    person = session.get(User, case.requester_user_id)
    if person is None or not person.active:
        return
    enqueue(session, key=f"{case.reference}:{REQUEST_ENDED}:{person.username}", recipient=person,
            reason=REQUEST_ENDED, now=now, case=case)


@statement
def _insert_unless_queued(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # On the table, not the mapped class: a plain INSERT, on the session's connection, that
    # flushes nothing pending first (a notification refers to no pending object).
    table = Notification.__table__
    return insert(table).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.id)


# -- in the app --------------------------------------------------------------------------------
def _in_app(recipient_id) -> list[ColumnElement[bool]]:
    # Digest rows are the e-mail of a day's summary, not something new to see in the app.
    return [Notification.recipient_id == recipient_id, Notification.reason != DIGEST]


def unread_count(session: Session, user: User) -> int:
    """For the top bar of every page."""
    return session.scalar(_unread_count(), {"user_id": user.id}) or 0


@statement
def _unread_count() -> Select:
    return (select(func.count()).select_from(Notification)
            .where(*_in_app(bindparam("user_id")), Notification.read_at.is_(None)))


def for_user(session: Session, user: User, limit: int = 50, *, unread_only: bool = False) -> list[Notification]:
    """The user's notifications, newest first."""
    query = select(Notification).where(*_in_app(user.id))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def get_own(session: Session, user: User, notification_id: int) -> Notification:
    row = session.get(Notification, notification_id)
    if row is None or row.recipient_id != user.id:
        raise NotFoundError("no such notification")
    return row


def _assigned_key(reference: str, task_id: str, username: str) -> str:
    return f"{reference}:{ACTION_ASSIGNED}:{task_id}:{username}"


def task_opened(session: Session, user: User, reference: str, task_id: str, now: dt.datetime) -> None:
    """The user opened their task: what told them it was theirs (ACTION_ASSIGNED) is read, so
    that it no longer shows as new once dealt with (found by its unique key: one index lookup)."""
    if user.role == "professional":
        session.execute(update(Notification).where(
            Notification.key == _assigned_key(reference, task_id, user.username), Notification.read_at.is_(None))
            .values(read_at=now).execution_options(synchronize_session=False))


def case_opened(session: Session, user: User, case_id: int, now: dt.datetime) -> None:
    """The user opened a case's page: what told them of it is read (it no longer shows as new).
    One statement, on the index of the user's unread notifications."""
    session.execute(update(Notification).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None), Notification.case_id == case_id)
        .values(read_at=now).execution_options(synchronize_session=False))


def settled(session: Session, user: User, rows: Sequence[Notification], now: dt.datetime) -> set[int]:
    """Which of `rows` (the user's notifications) told of a task or a plan action that is no
    longer theirs to do (reported on, by them or by the case manager for them, or handed over):
    nothing is left to do there. Those still unread are marked read, so that the top bar stops
    counting them. A query for the tasks, one for the actions, each only when some row needs it."""
    task_ids = {n.id: (n.detail or {}).get("task_id") for n in rows if n.reason == ACTION_ASSIGNED}
    wanted = [task_id for task_id in task_ids.values() if isinstance(task_id, str)]
    # Still theirs to do: open, and not handed to someone else since.
    open_ids = set(session.scalars(select(HumanTask.id).where(
        HumanTask.id.in_(wanted), HumanTask.assignee == user.username))) if wanted else set()
    done = {note_id for note_id, task_id in task_ids.items() if task_id not in open_ids}
    # A reminder of an action, or its new day: dealt with once the action is reported on, or
    # handed to someone else.
    actions = {n.id: (n.detail or {}).get("action_id") for n in rows if n.reason in _OF_AN_ACTION}
    wanted_actions = [a for a in actions.values() if isinstance(a, int)]
    # (A case manager may be reminded of a partner's action, its carrier disabled: open is enough.)
    still_theirs = {action_id for action_id, carrier_id in session.execute(select(PlanAction.id, PlanAction.carrier_id)
                    .where(PlanAction.id.in_(wanted_actions), PlanAction.status == "open"))
                    if carrier_id == user.id or user.role != "professional"} if wanted_actions else set()
    done |= {note_id for note_id, action_id in actions.items() if action_id not in still_theirs}
    unread = [n.id for n in rows if n.id in done and n.read_at is None]
    if unread:
        mark_read(session, user, now, unread)
    return done


def mark_read(session: Session, user: User, now: dt.datetime, ids: Sequence[int] | None = None) -> int:
    """Mark the user's notifications read (those in `ids`, or all). Returns how many changed."""
    query = (update(Notification).where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
             .values(read_at=now))
    if ids is not None:
        query = query.where(Notification.id.in_(list(ids)))
    return session.execute(query.execution_options(synchronize_session=False)).rowcount or 0


def set_email_digest(session: Session, user: User, on: bool) -> None:
    """Switch the daily digest on or off. Switching off sends what was held, one e-mail each."""
    user.email_digest = on
    if not on:
        session.execute(update(Notification).where(Notification.recipient_id == user.id,
                                                   Notification.email_status == "digest")
                        .values(email_status="pending").execution_options(synchronize_session=False))


# -- the admin view: what is pending or failing ------------------------------------------------
def outbox_names_cases(viewer: User) -> bool:
    """Whether the outbox shows `viewer` which case each e-mail is about. A coordinator sees no
    case: which partner is told what about which case would say who takes part in it; what the
    e-mail is about, to whom and how it stands are enough to act on it."""
    return viewer.role == "case_manager"


def _scope(query, viewer: User):
    """Coordinators see every notification; a case manager those of their cases and their own."""
    if viewer.role == "coordinator":
        return query
    if viewer.role == "case_manager":
        mine = select(Case.id).where(Case.case_manager_id == viewer.id)
        return query.where(or_(Notification.case_id.in_(mine), Notification.recipient_id == viewer.id))
    raise PermissionDeniedError("only coordinators and case managers see the e-mail outbox")


def outbox(session: Session, viewer: User, statuses: Sequence[str] | None = ("pending", "sending", "failed",
                                                                             "unknown"),
           limit: int = 200) -> list[Notification]:
    """Notifications by e-mail status (by default what has not gone out), oldest first."""
    query = _scope(select(Notification), viewer)
    if statuses:
        query = query.where(Notification.email_status.in_(list(statuses)))
    return list(session.scalars(query.order_by(Notification.created_at, Notification.id).limit(limit)))


def outbox_counts(session: Session, viewer: User) -> dict[str, int]:
    """How many notifications are in each e-mail status (within what the viewer may see)."""
    query = _scope(select(Notification.email_status, func.count()).group_by(Notification.email_status), viewer)
    return {status: n for status, n in session.execute(query)}


def oldest_waiting(session: Session, viewer: User, now: dt.datetime) -> dt.timedelta | None:
    """How long the oldest e-mail still pending has been waiting."""
    query = _scope(select(func.min(Notification.created_at)).where(Notification.email_status == "pending"), viewer)
    oldest = session.scalar(query)
    return now - oldest if oldest is not None else None


def retry(session: Session, viewer: User, now: dt.datetime, ids: Sequence[int] | None = None) -> int:
    """Send failed (or uncertain) e-mails again, now. `ids=None`: every failed one in scope.

    An `unknown` e-mail is only retried when named: it may already have gone out once.
    """
    query = _scope(select(Notification), viewer)
    if ids is None:
        query = query.where(Notification.email_status == "failed")
    else:
        query = query.where(Notification.id.in_(list(ids)), Notification.email_status.in_(PROBLEM_STATUSES))
    rows = list(session.scalars(query.with_for_update(of=Notification)))
    for row in rows:
        row.email_status, row.next_attempt_at, row.attempts, row.last_error = "pending", now, 0, None
    return len(rows)
