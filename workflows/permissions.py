"""Who may see a case and act on a task. Least privilege: a professional sees only their cases."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.models import HumanTask

from .errors import NotFoundError, PermissionDeniedError
from .members import is_member
from .models import Case, User


def can_view_case(session: Session, user: User, case: Case) -> bool:
    if not user.active:
        return False
    if user.role == "case_manager":
        return case.case_manager_id == user.id
    if user.role == "professional":
        return is_member(session, case, user)
    return False  # process owners and coordinators see no named case content


def require_view(session: Session, user: User, case: Case) -> None:
    """Raise NotFoundError (not 403: a case's existence is itself information)."""
    if not can_view_case(session, user, case):
        raise NotFoundError("no such case")


def require_act(session: Session, user: User, task: HumanTask, case: Case) -> None:
    """Raise NotFoundError for a task of a case the user may not see (as `require_view`: that
    the task exists is itself information), else PermissionDeniedError with a reason the user
    can understand."""
    if user.role not in ("case_manager", "professional"):
        raise PermissionDeniedError("your role does not act on case tasks")
    if user.active and user.role == "professional" and task.lane == "professional" and task.assignee == user.username:
        return  # a partner's own action (its carrier takes part in the case): no membership to read
    if not can_view_case(session, user, case):
        raise NotFoundError("no such open task")
    if user.role == "professional":
        if task.lane == "case_manager":
            raise PermissionDeniedError("this task is the case manager's")
        if task.lane != "professional" or task.assignee != user.username:
            raise PermissionDeniedError("this task is another professional's")
