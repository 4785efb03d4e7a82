"""Overdue views: each person sees what is late on their cases or in their own work."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.timer_cases import case_at, user
from workflows import cases, demo, overdue
from workflows.errors import PermissionDeniedError


def view(app, username):
    with app.db.transaction(write=False) as session:
        return overdue.view_for(session, user(session, username), app.clock.now())


def test_overdue_actions_appear_the_day_after_their_due_date(app, clock):
    ref = case_at(app, "action_overdue")  # two actions due in 3 days (sophie, karim)
    due = clock.now().date() + dt.timedelta(days=3)
    clock.set(dt.datetime.combine(due, dt.time(21, 0), tzinfo=dt.UTC))  # 22:00 in Brussels, the due day
    assert view(app, "anne").actions == []
    clock.advance(hours=3)  # the next morning in Brussels
    anne = view(app, "anne")
    assert sorted((a.reference, a.carrier, a.days_late) for a in anne.actions) == [(ref, "karim", 1), (ref, "sophie", 1)]
    assert [(a.carrier, a.due_on) for a in view(app, "sophie").actions] == [("sophie", due)]
    assert view(app, "lea").actions == []


def test_overdue_tasks_per_case_manager_and_per_partner(app, clock):
    mine = case_at(app, "consent_reminder", case_manager="anne")  # obtain_consent is due in 14 days
    case_at(app, "action_overdue", case_manager="marc")  # report_action tasks due in 3 days
    clock.advance(days=15)
    assert [(t.reference, t.assignee) for t in view(app, "anne").tasks] == [(mine, "anne")]
    # A late action's report task is the action's: one row, linked to the task, not two.
    marc = view(app, "marc")
    assert marc.tasks == [] and sorted((a.carrier, bool(a.task_id)) for a in marc.actions) == [
        ("karim", True), ("sophie", True)]
    assert view(app, "sophie").tasks == [] and [a.carrier for a in view(app, "sophie").actions] == ["sophie"]
    # Each late item counts once, for whoever holds it; a case manager's cases besides.
    people = {p.username: (p.tasks, p.actions, p.in_cases) for p in view(app, "chantal").people}
    assert people == {"anne": (1, 0, 0), "marc": (0, 0, 4), "karim": (1, 1, 0), "sophie": (1, 1, 0)}
    assert view(app, "chantal").tasks == [] and view(app, "chantal").actions == []  # counts, not cases


def test_done_actions_and_closed_cases_are_not_overdue(app, clock):
    ref = case_at(app, "action_overdue")
    clock.advance(days=5)
    with app.db.transaction() as session:
        case = cases.get_case(session, ref)
        task = demo.open_task(session, case, "report_action")
        carrier = task.assignee
        demo.advance(session, app.runtime, case, "report_action")
    assert carrier not in [a.carrier for a in view(app, "anne").actions]
    with app.db.transaction() as session:
        cases.get_case(session, ref).status = "closed"
    assert view(app, "anne").actions == [] and view(app, "anne").tasks == []


@pytest.mark.parametrize("username", ["paul"])
def test_process_owners_have_no_overdue_view(app, username):
    with pytest.raises(PermissionDeniedError):
        view(app, username)


def test_overdue_counts_used_by_the_digest(app, clock):
    case_at(app, "action_overdue")
    clock.advance(days=20)
    with app.db.transaction(write=False) as session:
        assert overdue.counts_for(session, user(session, "sophie"), clock.now()) == (1, 1)
        assert overdue.counts_for(session, user(session, "lea"), clock.now()) == (0, 0)
