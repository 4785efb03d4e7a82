"""A partner is told at once that a plan action is theirs: when the plan is made, and when the
case manager hands the action over (not only once it is overdue)."""

from __future__ import annotations

from sqlalchemy import select

from engine.models import HumanTask
from tests.timer_cases import case_at, user
from workflows import assignments, cases
from workflows.models import Notification, PlanAction, PlanVersion


def _told(app, ref: str) -> list[tuple[str, int | None, str]]:
    with app.db.transaction(write=False) as session:
        return sorted((n.recipient.username, n.detail.get("action_id"), n.email_status) for n in session.scalars(
            select(Notification).where(Notification.reason == "action_assigned")) if n.case.reference == ref)


def test_each_carrier_is_told_once_when_the_plan_is_made_and_the_new_one_on_a_hand_over(app):
    ref = case_at(app, "action_overdue")  # a plan: one action carried by sophie, one by karim
    with app.db.transaction(write=False) as session:
        case = cases.get_case(session, ref)
        carried = dict(session.execute(select(PlanAction.carrier_id, PlanAction.id).join(
            PlanVersion, PlanVersion.id == PlanAction.plan_version_id).where(PlanVersion.case_id == case.id)).all())
        ids = {name: carried[user(session, name).id] for name in ("sophie", "karim")}
    # pending: they have an address and want e-mails as they come (the outbox sends them)
    assert _told(app, ref) == [("karim", ids["karim"], "pending"), ("sophie", ids["sophie"], "pending")]

    with app.db.transaction() as session:
        case = cases.get_case(session, ref)
        task = session.scalar(select(HumanTask).where(HumanTask.business_key == ref, HumanTask.assignee == "sophie"))
        assignments.reassign(session, user(session, "anne"), task, case, user(session, "lea"), app.clock.now())
    assert [name for name, *_ in _told(app, ref)] == ["karim", "lea", "sophie"]  # lea too, once

    with app.db.transaction() as session:  # handed back and forth: each hand-over tells its new carrier once
        case = cases.get_case(session, ref)
        task = session.scalar(select(HumanTask).where(HumanTask.business_key == ref, HumanTask.assignee == "lea"))
        assignments.reassign(session, user(session, "anne"), task, case, user(session, "lea"), app.clock.now())
    assert [name for name, *_ in _told(app, ref)] == ["karim", "lea", "sophie"]
