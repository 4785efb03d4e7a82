"""Claim, release and reassign open tasks (advisory claims; the case manager decides)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.clock import BRUSSELS
from engine.models import HumanTask
from engine.runtime import Runtime

from . import cases, notifications, plans
from .errors import N_, ConflictError, FormError, PermissionDeniedError
from .forms import LAST_YEAR, FieldError
from .members import add_member
from .models import Case, PlanAction, PlanVersion, User
from .permissions import require_act


def claim(session: Session, user: User, task: HumanTask, case: Case, now: dt.datetime) -> None:
    """Mark the task as being worked on by `user`. Raises ConflictError if someone else holds it."""
    require_act(session, user, task, case)
    if task.claimed_by == user.username:
        return
    done = session.execute(update(HumanTask).where(HumanTask.id == task.id, HumanTask.claimed_by.is_(None))
                           .values(claimed_by=user.username).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        session.refresh(task)
        raise ConflictError(f"this task is already taken by {task.claimed_by}")
    session.refresh(task)
    audit.record(session, at=now, actor=user.username, kind="task_claimed", business_key=case.reference,
                 instance_id=case.instance_id, detail={"task_id": task.id})


def release(session: Session, user: User, task: HumanTask, case: Case, now: dt.datetime) -> bool:
    """Give the task back: its holder, or the case's own case manager, may. False if nobody had
    taken it (nothing changed)."""
    manager = user.role == "case_manager" and case.case_manager_id == user.id
    if not manager and (task.claimed_by or task.assignee) != user.username:
        raise PermissionDeniedError("only the person who took this task, or the case manager, can release it")
    if task.claimed_by is None:
        return False
    task.claimed_by = None
    audit.record(session, at=now, actor=user.username, kind="task_released", business_key=case.reference,
                 instance_id=case.instance_id, detail={"task_id": task.id})
    return True


class ClaimedError(PermissionDeniedError):
    """Someone else has taken the task: only they complete it, until they or the case manager
    release it. `username` is who."""

    def __init__(self, username: str) -> None:
        self.username = username
        super().__init__(N_("%(name)s is working on this task; ask them or the case manager to release it"),
                         name=username)


def check_claim(user: User, task: HumanTask) -> None:
    """Refuse completing a task someone else has taken."""
    if task.claimed_by and task.claimed_by != user.username:
        raise ClaimedError(task.claimed_by)


def candidates(session: Session, task: HumanTask) -> list[User]:
    """Who a task can be handed to: professionals for a partner's action, else case managers."""
    role = "professional" if task.lane == "professional" else "case_manager"
    return list(session.scalars(select(User).where(User.role == role, User.active.is_(True))
                                .order_by(User.display_name)))


def reassign(session: Session, user: User, task: HumanTask, case: Case, to: User, now: dt.datetime) -> None:
    """The case's case manager hands a task over.

    A partner's action goes to another professional (who joins the case as its carrier); a case
    manager's task hands the whole case to another case manager. Raises PermissionDeniedError.
    """
    if user.role != "case_manager" or case.case_manager_id != user.id:
        raise PermissionDeniedError("only the case's own case manager reassigns its tasks")
    if task.lane != "professional":
        cases.reassign(session, case, actor=user, to=to, now=now)
        return
    if to.role != "professional" or not to.active:
        raise PermissionDeniedError("%(name)s is not an active professional", name=to.display_name)
    previous = task.assignee
    task.assignee, task.claimed_by = to.username, None
    add_member(session, case, to, "carrier", now)
    action_id = task.item.get("id") if isinstance(task.item, dict) else None
    if action_id is not None:
        action = session.get(PlanAction, action_id)
        if action is not None:
            action.carrier_id = to.id
    audit.record(session, at=now, actor=user.username, kind="task_reassigned", business_key=case.reference,
                 instance_id=case.instance_id, detail={"task_id": task.id, "from": previous, "to": to.username})
    if to.username != previous:
        notifications.tell_carriers(session, case, [task], now)


def move_due(session: Session, runtime: Runtime, user: User, task: HumanTask, case: Case, due: dt.date | None,
             now: dt.datetime, *, tell: bool = True) -> bool:
    """The case manager agrees a new due day for a partner's plan action (late, or handed to
    someone who needs time): the action in the plan, its report task, and its overdue reminders,
    which start again after the new day. The carrier is told (unless not `tell`: the action was just
    handed to them). False when the day is the same.

    Raises PermissionDeniedError, FormError (no day, or a past one), NotFoundError,
    TaskStateError (reported meanwhile)."""
    if user.role != "case_manager" or case.case_manager_id != user.id:
        raise PermissionDeniedError("only the case's own case manager changes its actions' due dates")
    action_id = task.item.get("id") if isinstance(task.item, dict) else None
    action = session.get(PlanAction, action_id) if task.lane == "professional" and action_id is not None else None
    if action is None or session.get(PlanVersion, action.plan_version_id).case_id != case.id:
        raise PermissionDeniedError("only a plan action's due date can be moved")
    today = now.astimezone(BRUSSELS).date()
    if due is None:
        raise FormError([FieldError("due", "required")])
    if due < today:
        raise FormError([FieldError("due", "past")])
    if due.year > LAST_YEAR:  # as every date of the forms (and its reminders must be datable)
        raise FormError([FieldError("due", "date_range", {"first": today.year, "last": LAST_YEAR})])
    if due == action.due_on:
        return False
    moved = {**task.item, "carrier": task.assignee or task.item.get("carrier"), "due": due.isoformat(),
             "remind_from": plans.remind_from(due)}
    due_at = dt.datetime.combine(due, dt.time(23, 59), tzinfo=BRUSSELS).astimezone(dt.UTC)
    runtime.move_due(session, task.id, due_at, {"action": moved}, actor=user.username,
                     detail={"action_id": action.id, "from": action.due_on.isoformat(), "to": due.isoformat()})
    action.due_on, task.item = due, moved
    carrier = session.scalar(select(User).where(User.username == task.assignee, User.active.is_(True))) \
        if tell else None  # (not when the action was just handed to them: they learn its day with it)
    if carrier is not None and carrier.role == "professional":
        notifications.enqueue(session, key=f"{case.reference}:{notifications.ACTION_RESCHEDULED}:{task.id}:"
                              f"{due.isoformat()}:{carrier.username}", recipient=carrier,
                              reason=notifications.ACTION_RESCHEDULED, now=now, case=case,
                              detail={"task_id": task.id, "action_id": action.id})
    return True
