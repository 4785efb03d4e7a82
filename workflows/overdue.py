"""Overdue work: open tasks past their due time and plan actions past their due date.

Read from indexed rows (human_task, plan_action), never from workflow states. Who sees what:
a case manager, everything overdue on their cases; a partner, their own; a coordinator, counts
per person only (no case content).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from engine.clock import BRUSSELS
from engine.models import HumanTask

from .errors import PermissionDeniedError
from .models import Case, PlanAction, PlanVersion, User


def local_today(now: dt.datetime) -> dt.date:
    return now.astimezone(BRUSSELS).date()


@dataclass(frozen=True)
class OverdueTask:
    task_id: str
    reference: str
    title: str
    assignee: str | None
    step: str
    due_at: dt.datetime
    late: dt.timedelta
    assignee_name: str | None = None  # the assignee's display name
    action_id: int | None = None  # the plan action a report is on


@dataclass(frozen=True)
class OverdueAction:
    action_id: int
    reference: str
    what: str
    carrier: str
    carrier_name: str
    due_on: dt.date
    days_late: int
    task_id: str | None = None  # its open report task, where the view holds it


@dataclass(frozen=True)
class PersonCount:
    username: str
    display_name: str
    role: str
    tasks: int  # overdue tasks assigned to them
    actions: int  # overdue plan actions they carry
    in_cases: int = 0  # a case manager's: the others' overdue tasks and actions in their cases


def tasks(session: Session, now: dt.datetime, *, case_manager: User | None = None,
          assignee: str | None = None, limit: int = 500) -> list[OverdueTask]:
    """Open tasks past due, most overdue first; of one case manager's cases and/or one assignee."""
    query = (select(HumanTask, User.display_name).join(Case, Case.reference == HumanTask.business_key)
             .outerjoin(User, User.username == HumanTask.assignee)
             .where(HumanTask.due_at < now, Case.status != "closed"))
    if case_manager is not None:
        query = query.where(Case.case_manager_id == case_manager.id)
    if assignee is not None:
        query = query.where(HumanTask.assignee == assignee)
    rows = session.execute(query.order_by(HumanTask.due_at, HumanTask.id).limit(limit))
    return [OverdueTask(t.id, t.business_key, t.title, t.assignee, t.spec_name, t.due_at, now - t.due_at, name,
                        _action_of(t)) for t, name in rows]


def _action_of(task: HumanTask) -> int | None:
    item = task.item if isinstance(task.item, dict) else {}
    return item.get("id") if task.spec_name == "report_action" and isinstance(item.get("id"), int) else None


def actions(session: Session, now: dt.datetime, *, case_manager: User | None = None,
            carrier: User | None = None, limit: int = 500) -> list[OverdueAction]:
    """Plan actions still open the day after their due date, most overdue first."""
    today = local_today(now)
    query = (select(PlanAction, Case.reference, User)
             .join(PlanVersion, PlanVersion.id == PlanAction.plan_version_id)
             .join(Case, Case.id == PlanVersion.case_id)
             .join(User, User.id == PlanAction.carrier_id)
             .where(PlanAction.status == "open", PlanAction.due_on < today, Case.status != "closed"))
    if case_manager is not None:
        query = query.where(Case.case_manager_id == case_manager.id)
    if carrier is not None:
        query = query.where(PlanAction.carrier_id == carrier.id)
    rows = session.execute(query.order_by(PlanAction.due_on, PlanAction.id).limit(limit))
    return [OverdueAction(a.id, ref, a.what, u.username, u.display_name, a.due_on, (today - a.due_on).days)
            for a, ref, u in rows]


def counts_for(session: Session, user: User, now: dt.datetime) -> tuple[int, int]:
    """(overdue tasks assigned to the user, overdue plan actions the user carries)."""
    n_tasks = session.scalar(select(func.count()).select_from(HumanTask).join(
        Case, Case.reference == HumanTask.business_key).where(
        HumanTask.assignee == user.username, HumanTask.due_at < now, Case.status != "closed")) or 0
    n_actions = session.scalar(select(func.count()).select_from(PlanAction).join(
        PlanVersion, PlanVersion.id == PlanAction.plan_version_id).join(Case, Case.id == PlanVersion.case_id).where(
        PlanAction.carrier_id == user.id, PlanAction.status == "open", PlanAction.due_on < local_today(now),
        Case.status != "closed")) or 0
    return n_tasks, n_actions


def per_person(session: Session, now: dt.datetime) -> list[PersonCount]:
    """Overdue counts per person, busiest first: the tasks assigned to them and the plan actions
    they carry (each late item counts once, for whoever holds it), and for a case manager the
    others' late tasks and actions in their cases besides."""
    today = local_today(now)
    open_case = Case.status != "closed"
    late_task, late_action = HumanTask.due_at < now, (PlanAction.status == "open") & (PlanAction.due_on < today)
    own_tasks = dict(session.execute(
        select(HumanTask.assignee, func.count()).join(Case, Case.reference == HumanTask.business_key)
        .where(late_task, open_case).group_by(HumanTask.assignee)).all())
    own_actions = dict(session.execute(
        select(PlanAction.carrier_id, func.count()).join(PlanVersion, PlanVersion.id == PlanAction.plan_version_id)
        .join(Case, Case.id == PlanVersion.case_id).where(late_action, open_case)
        .group_by(PlanAction.carrier_id)).all())
    manager = aliased(User)
    others_tasks = dict(session.execute(
        select(Case.case_manager_id, func.count()).join(HumanTask, HumanTask.business_key == Case.reference)
        .join(manager, manager.id == Case.case_manager_id)
        .where(late_task, open_case, HumanTask.assignee.is_distinct_from(manager.username))
        .group_by(Case.case_manager_id)).all())
    others_actions = dict(session.execute(
        select(Case.case_manager_id, func.count()).join(PlanVersion, PlanVersion.case_id == Case.id)
        .join(PlanAction, PlanAction.plan_version_id == PlanVersion.id)
        .where(late_action, open_case, PlanAction.carrier_id != Case.case_manager_id)
        .group_by(Case.case_manager_id)).all())
    result = []
    for user in session.scalars(select(User).where(User.role.in_(("case_manager", "professional")))
                                .order_by(User.username)):
        in_cases = others_tasks.get(user.id, 0) + others_actions.get(user.id, 0) if user.role == "case_manager" else 0
        counted = PersonCount(user.username, user.display_name, user.role, own_tasks.get(user.username, 0),
                              own_actions.get(user.id, 0), in_cases)
        if counted.tasks or counted.actions or counted.in_cases:
            result.append(counted)
    return sorted(result, key=lambda p: (-(p.tasks + p.actions + p.in_cases), p.username))


@dataclass(frozen=True)
class OverdueView:
    """What one person may see: details (their cases or their own work) or counts only."""

    tasks: list[OverdueTask]
    actions: list[OverdueAction]
    people: list[PersonCount]


def view_for(session: Session, viewer: User, now: dt.datetime) -> OverdueView:
    """The overdue view for `viewer`. Raises PermissionDeniedError for roles without one."""
    if viewer.role == "case_manager":
        return _once(tasks(session, now, case_manager=viewer), actions(session, now, case_manager=viewer))
    if viewer.role == "professional":
        return _once(tasks(session, now, assignee=viewer.username), actions(session, now, carrier=viewer))
    if viewer.role == "coordinator":
        return OverdueView([], [], per_person(session, now))
    raise PermissionDeniedError("the overdue view is for case managers, partners and coordinators")


def _once(late_tasks: list[OverdueTask], late_actions: list[OverdueAction]) -> OverdueView:
    """Each lateness once: a late action's report task is the action's (its link), not a second row."""
    reports = {t.action_id: t.task_id for t in late_tasks if t.action_id is not None}
    shown = {a.action_id for a in late_actions}
    return OverdueView([t for t in late_tasks if t.action_id not in shown],
                       [replace(a, task_id=reports.get(a.action_id)) for a in late_actions], [])
