"""Every timer of the process, with time moved forward: when it fires, who hears, how often."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select

from engine.models import HumanTask, ProcessInstance
from engine.scheduler import TimerSweep
from tests import smtp_sink
from tests.timer_cases import TO_TIMER, case_at, new_case, user
from workflows import cases, demo, mailer, messages, notifications
from workflows.models import Case, Notification
from workflows.outbox import Outbox
from workflows.scheduling import Ticks

smtp = smtp_sink.smtp  # the SMTP server fixture


def tick(app) -> int:
    return TimerSweep(app.db, app.runtime).tick().fired


def received(app, reason=None) -> list[tuple[str, str, str]]:
    """(recipient, reason, case reference) of every notification, oldest first."""
    with app.db.transaction(write=False) as session:
        query = select(Notification).where(Notification.reason != "daily_digest").order_by(Notification.id)
        if reason:
            query = query.where(Notification.reason == reason)
        return [(n.recipient.username, n.reason, n.case.reference if n.case else None)
                for n in session.scalars(query)]


def advance_days(app, clock, days: int) -> None:
    """Move time a day (and a second) at a time, ticking after each, as a running scheduler would."""
    for _ in range(days):
        clock.advance(days=1, seconds=1)
        tick(app)


def test_consent_reminder_goes_to_the_case_manager_weekly_three_times(app, clock):
    ref = case_at(app, "consent_reminder")
    advance_days(app, clock, 6)
    assert received(app) == []
    advance_days(app, clock, 1)
    assert received(app) == [("anne", "consent_reminder", ref)]
    advance_days(app, clock, 30)
    assert received(app) == [("anne", "consent_reminder", ref)] * 3


def test_consent_reminders_stop_when_consent_is_obtained(app, clock):
    ref = case_at(app, "consent_reminder")
    advance_days(app, clock, 8)
    with app.db.transaction() as session:
        demo.advance(session, app.runtime, cases.get_case(session, ref), "obtain_consent")
    advance_days(app, clock, 30)
    assert received(app, "consent_reminder") == [("anne", "consent_reminder", ref)]


def test_concertation_not_held_after_three_weeks_reminds_the_case_manager_once(app, clock):
    ref = case_at(app, "concertation_reminder")
    advance_days(app, clock, 20)
    assert received(app) == []
    advance_days(app, clock, 1)
    assert received(app) == [("anne", "concertation_overdue", ref)]
    advance_days(app, clock, 40)
    assert received(app) == [("anne", "concertation_overdue", ref)]


def test_overdue_action_reminds_its_carrier_weekly_three_times_from_the_morning_after(app, clock):
    ref = case_at(app, "action_overdue")  # two actions due in 3 days, carried by sophie and karim
    with app.db.transaction(write=False) as session:
        due = session.scalar(select(ProcessInstance.next_timer_due).join(Case, Case.instance_id == ProcessInstance.id)
                             .where(Case.reference == ref))
    # 9:00 in Brussels the morning after the due date (08:00 UTC in March)
    assert due == dt.datetime.combine(clock.now().date() + dt.timedelta(days=4), dt.time(8, 0), tzinfo=dt.UTC)
    clock.set(due - dt.timedelta(minutes=1))
    assert tick(app) == 0
    clock.set(due + dt.timedelta(minutes=1))
    assert tick(app) == 1
    overdue = "action_overdue"  # (each carrier was told of the action when the plan was made: action_assigned)
    assert sorted(received(app, overdue)) == [("karim", overdue, ref), ("sophie", overdue, ref)]
    advance_days(app, clock, 40)
    assert sorted(received(app, overdue)) == [("karim", overdue, ref)] * 3 + [("sophie", overdue, ref)] * 3
    with app.db.transaction(write=False) as session:
        details = {n.detail["action_id"] for n in session.scalars(select(Notification).where(
            Notification.reason == overdue))}
    assert len(details) == 2  # each reminder says which action it is about


def test_action_reminders_stop_once_the_action_is_reported(app, clock):
    ref = case_at(app, "action_overdue")
    advance_days(app, clock, 5)  # first reminders out
    with app.db.transaction() as session:
        case = cases.get_case(session, ref)
        task = session.scalar(select(HumanTask).where(HumanTask.business_key == ref, HumanTask.assignee == "sophie"))
        demo.tasks.complete(session, app.runtime, user(session, "sophie"), task.id,
                            demo.sample(session, app.runtime, case, "report_action"))
    advance_days(app, clock, 30)
    reminders = received(app, "action_overdue")
    assert reminders.count(("sophie", "action_overdue", ref)) == 1
    assert reminders.count(("karim", "action_overdue", ref)) == 3


def test_unacknowledged_youth_message_reminds_the_case_manager_after_two_days_once(app, clock):
    ref = case_at(app, "action_overdue")
    with app.db.transaction() as session:
        case = cases.get_case(session, ref)
        message = messages.record(session, app.runtime, user=user(session, "anne"), case=case, kind="complaint",
                                  text="Plainte fictive.")
        message_id = message.id
    clock.advance(days=1, hours=23)
    tick(app)
    assert received(app, "youth_message_unacknowledged") == []
    clock.advance(hours=1, minutes=1)
    tick(app)
    advance_days(app, clock, 10)
    assert received(app, "youth_message_unacknowledged") == [("anne", "youth_message_unacknowledged", ref)]
    with app.db.transaction(write=False) as session:
        note = session.scalar(select(Notification).where(Notification.reason == "youth_message_unacknowledged"))
        assert note.detail["message_id"] == message_id


def test_acknowledged_youth_message_sends_no_reminder(app, clock):
    ref = case_at(app, "action_overdue")
    with app.db.transaction() as session:
        case = cases.get_case(session, ref)
        messages.record(session, app.runtime, user=user(session, "anne"), case=case, kind="wish", text="Souhait fictif.")
        demo.advance(session, app.runtime, case, "acknowledge_youth_message", inform=("karim",))
    advance_days(app, clock, 3)
    assert received(app, "youth_message_unacknowledged") == []
    assert received(app, "youth_wish") == [("karim", "youth_wish", ref)]


def test_post_exit_check_in_comes_three_months_after_exit_then_the_task_opens(app, clock):
    exited_at = clock.now()
    ref = case_at(app, "post_exit_wait")
    clock.set(exited_at + dt.timedelta(days=88))
    tick(app)
    assert received(app, "post_exit_check_in") == []
    advance_days(app, clock, 5)  # three calendar months after March 2 is June 2
    assert received(app, "post_exit_check_in") == [("anne", "post_exit_check_in", ref)]
    with app.db.transaction(write=False) as session:
        note = session.scalar(select(Notification).where(Notification.reason == "post_exit_check_in"))
        assert "action_id" not in note.detail  # not about a plan action, whatever the task data still holds
        assert session.scalar(select(HumanTask.spec_name).where(HumanTask.business_key == ref)) == "post_exit_check_in"


def test_reminders_follow_the_case_to_its_new_case_manager(app, clock):
    with app.db.transaction() as session:
        case = new_case(session, app, TO_TIMER["consent_reminder"])
        cases.reassign(session, case, actor=user(session, "anne"), to=user(session, "marc"), now=clock.now())
        ref = case.reference
    advance_days(app, clock, 8)
    assert received(app) == [("marc", "case_handed_over", ref), ("marc", "consent_reminder", ref)]


def test_a_reminder_whose_carrier_was_disabled_goes_to_the_case_manager(app, clock):
    ref = case_at(app, "action_overdue")
    with app.db.transaction() as session:
        user(session, "karim").active = False
    advance_days(app, clock, 5)
    assert sorted(received(app, "action_overdue")) == [("anne", "action_overdue", ref), ("sophie", "action_overdue", ref)]


def test_every_reminder_of_the_process_reaches_its_person_once_in_the_app_and_by_email(app, clock, smtp):
    """All timers at once over four months, a scheduler ticking every two hours, a real SMTP server."""
    with app.db.transaction() as session:
        notifications.set_email_digest(session, user(session, "sophie"), True)  # sophie: one e-mail a day
    refs = {timer: case_at(app, timer) for timer in TO_TIMER}
    with app.db.transaction() as session:
        case = cases.get_case(session, refs["action_overdue"])
        messages.record(session, app.runtime, user=user(session, "anne"), case=case, kind="complaint",
                        text="Plainte fictive.")
    settings = smtp.settings_for(app.settings)
    work = Ticks(TimerSweep(app.db, app.runtime), Outbox(app.db, clock, settings))
    for _ in range(12 * 100):
        clock.advance(hours=2)
        work.once()
    expected = {
        ("anne", "consent_reminder", refs["consent_reminder"]): 3,
        ("anne", "concertation_overdue", refs["concertation_reminder"]): 1,
        ("anne", "youth_message_unacknowledged", refs["action_overdue"]): 1,
        ("anne", "post_exit_check_in", refs["post_exit_wait"]): 1,
        ("karim", "action_overdue", refs["action_overdue"]): 3,
        ("sophie", "action_overdue", refs["action_overdue"]): 3,
        # Told of their action when the plan was made (the case past its exit had one for sophie).
        ("karim", "action_assigned", refs["action_overdue"]): 1,
        ("sophie", "action_assigned", refs["action_overdue"]): 1,
        ("sophie", "action_assigned", refs["post_exit_wait"]): 1,
    }
    assert Counter(received(app)) == expected
    with app.db.transaction(write=False) as session:
        rows = list(session.scalars(select(Notification).where(Notification.reason != "daily_digest")))
        by_id = {mailer._message_id(n.key, settings.mail_sender): n for n in rows}
        digests = list(session.scalars(select(Notification).where(Notification.reason == "daily_digest",
                                                                  Notification.email_status == "sent")))
    ids = Counter(m.message["Message-ID"] for m in smtp.received)
    assert max(ids.values()) == 1  # no e-mail twice
    for row in rows:
        if row.recipient.username == "sophie":
            assert row.email_status == "digested"
        else:
            assert row.email_status == "sent"
            assert mailer._message_id(row.key, settings.mail_sender) in ids
    one_each = [m for m in smtp.received if m.message["Message-ID"] in by_id]
    assert Counter(m.to[0] for m in one_each) == {"anne@example.org": 6, "karim@example.org": 4}
    # sophie: daily digests while her action is overdue, and no e-mail per reminder
    assert len(smtp.to("sophie@example.org")) == len(digests) >= 3
    assert all("résumé quotidien" in m.subject for m in smtp.to("sophie@example.org"))


def test_an_action_handed_to_another_partner_is_reminded_to_its_new_carrier(app, clock):
    from workflows import assignments
    ref = case_at(app, "action_overdue")  # sophie's and karim's actions
    with app.db.transaction() as session:
        case = cases.get_case(session, ref)
        task = session.scalar(select(HumanTask).where(HumanTask.business_key == ref, HumanTask.assignee == "sophie"))
        assignments.reassign(session, user(session, "anne"), task, case, user(session, "lea"), clock.now())
    advance_days(app, clock, 5)
    assert sorted(received(app, "action_overdue")) == [("karim", "action_overdue", ref), ("lea", "action_overdue", ref)]


def test_a_late_action_given_a_new_due_day_is_reminded_after_that_day_again(app, clock):
    """Handed over or not, a late action whose carrier agreed a new day with the case manager:
    the plan, the report task and the three weekly reminders follow the new day."""
    from workflows import assignments
    from workflows.models import PlanAction

    ref = case_at(app, "action_overdue")  # due in 3 days; reminded from the day after
    advance_days(app, clock, 5)
    assert sorted(received(app, "action_overdue")) == [("karim", "action_overdue", ref), ("sophie", "action_overdue", ref)]
    new_day = (clock.now() + dt.timedelta(days=10)).astimezone(app.runtime.timezone).date()
    with app.db.transaction() as session:
        case = cases.get_case(session, ref)
        task = session.scalar(select(HumanTask).where(HumanTask.business_key == ref, HumanTask.assignee == "sophie"))
        assert assignments.move_due(session, app.runtime, user(session, "anne"), task, case, new_day, clock.now())
        task_id, action_id = task.id, task.item["id"]
    with app.db.transaction(write=False) as session:
        assert session.get(PlanAction, action_id).due_on == new_day
        assert session.get(HumanTask, task_id).due_at.astimezone(app.runtime.timezone).date() == new_day
    assert received(app, "action_rescheduled") == [("sophie", "action_rescheduled", ref)]
    advance_days(app, clock, 10)  # up to the new day: karim's weekly reminder goes on, not sophie's
    assert [who for who, *_ in received(app, "action_overdue")].count("sophie") == 1
    advance_days(app, clock, 30)
    assert [who for who, *_ in received(app, "action_overdue")].count("sophie") == 1 + 3  # three again, after it
    with app.db.transaction() as session:  # and the report closes the action as before
        demo.advance(session, app.runtime, cases.get_case(session, ref), "report_action")


def test_an_action_moved_after_its_three_reminders_is_reminded_three_times_again_then_reported(app, clock):
    # The usual case for a new day: long late, its three reminders all sent (its timer done with).
    from workflows import assignments

    ref = case_at(app, "action_overdue")
    advance_days(app, clock, 30)
    assert [who for who, *_ in received(app, "action_overdue")].count("sophie") == 3
    new_day = (clock.now() + dt.timedelta(days=5)).astimezone(app.runtime.timezone).date()
    with app.db.transaction() as session:
        case = cases.get_case(session, ref)
        task = session.scalar(select(HumanTask).where(HumanTask.business_key == ref, HumanTask.assignee == "sophie"))
        assignments.move_due(session, app.runtime, user(session, "anne"), task, case, new_day, clock.now())
    assert [who for who, *_ in received(app, "action_overdue")].count("sophie") == 3  # none at once
    advance_days(app, clock, 30)
    assert [who for who, *_ in received(app, "action_overdue")].count("sophie") == 3 + 3
    with app.db.transaction() as session:
        for _ in range(2):
            demo.advance(session, app.runtime, cases.get_case(session, ref), "report_action")
        steps = set(session.scalars(select(HumanTask.spec_name).where(HumanTask.business_key == ref)))
    assert steps == {"evaluation"}  # both reported: the plan is up for evaluation
