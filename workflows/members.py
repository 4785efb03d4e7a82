"""Who takes part in a case."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Case, CaseMember, User


def add_member(session: Session, case: Case, user: User, role_in_case: str, now: dt.datetime) -> CaseMember:
    existing = session.scalar(select(CaseMember).where(CaseMember.case_id == case.id, CaseMember.user_id == user.id))
    if existing is not None:
        return existing
    member = CaseMember(case_id=case.id, user_id=user.id, role_in_case=role_in_case, added_at=now)
    session.add(member)
    session.flush()
    return member


def is_member(session: Session, case: Case, user: User) -> bool:
    return session.scalar(select(CaseMember.id).where(CaseMember.case_id == case.id,
                                                      CaseMember.user_id == user.id)) is not None


def of_case(session: Session, case: Case) -> set[int]:
    """The ids of the users who take part in `case` (requester, participants, carriers, informed)."""
    return set(session.scalars(select(CaseMember.user_id).where(CaseMember.case_id == case.id)))
