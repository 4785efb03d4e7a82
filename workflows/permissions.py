"""Who may see a case and act on a task. Least privilege: a professional sees only their cases."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.models import HumanTask

from .errors import NotFoundError, PermissionDeniedError
from .members import is_member
from .models import Case, User

LANE_LABELS = {"case_manager": "le gestionnaire de cas", "professional": "les professionnels partenaires"}


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
    """Raise PermissionDeniedError with a reason the user can understand."""
    if not user.active:
        raise PermissionDeniedError("this account is disabled")
    if user.role == "case_manager":
        if case.case_manager_id != user.id:
            raise PermissionDeniedError("this case is managed by another case manager")
        return  # the case manager may also report for a partner
    if user.role == "professional":
        if task.lane != "professional":
            raise PermissionDeniedError(
                f"this task is on the lane of {LANE_LABELS.get(task.lane or '', task.lane or '?')}, not yours")
        if task.assignee != user.username:
            raise PermissionDeniedError("this task is assigned to another professional")
        return
    raise PermissionDeniedError(f"the role {user.role} does not act on case tasks")
