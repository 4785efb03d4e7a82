"""The e-mail outbox against a real SMTP server: once, in the person's language, no details; failures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import pytest
from sqlalchemy import select, update

from engine.scheduler import TimerSweep
from tests import smtp_sink
from tests.timer_cases import case_at, clone_instances, user
from workflows import notifications
from workflows.errors import PermissionDeniedError
from workflows.models import Notification, User
from workflows.outbox import CLAIM_TIMEOUT, MAX_ATTEMPTS, DeliveryReport, Outbox, backoff

smtp = smtp_sink.smtp  # the SMTP server fixture


def outbox_for(app, smtp, **kwargs) -> Outbox:
    return Outbox(app.db, app.clock, smtp.settings_for(app.settings), **kwargs)


def rows(app) -> list[Notification]:
    with app.db.transaction(write=False) as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def remind(app, clock, timer="consent_reminder", copies=0) -> str:
    """A case whose first reminder is queued (its timer fired)."""
    ref = case_at(app, timer)
    if copies:
        with app.db.transaction() as session:
            clone_instances(session, ref, copies)
    clock.advance(days=7, minutes=1)
    TimerSweep(app.db, app.runtime).tick()
    return ref


def test_email_goes_out_once_in_french_and_says_nothing_of_the_case(app, clock, smtp):
    ref = remind(app, clock)
    outbox = outbox_for(app, smtp)
    assert outbox.tick().sent == 1
    assert outbox.tick().sent == 0
    [mail] = smtp.received
    assert mail.to == ["anne@example.org"]
    assert mail.sender == "casework@reseau.example"
    assert mail.subject == f"casework : Rappel : le consentement est toujours attendu (dossier {ref})"
    assert "Bonjour Anne Lambert," in mail.body
    assert "https://casework.example/notifications" in mail.body
    for personal in ("Jeune T.", "Brabant", "12-15", "Ruptures"):
        assert personal not in mail.body and personal not in mail.subject
    [row] = rows(app)
    assert (row.email_status, row.attempts, row.sent_at) == ("sent", 1, clock.now())
    assert mail.message["Message-ID"].startswith("<casework.")


def test_email_is_in_english_for_an_english_speaking_user(app, clock, smtp):
    with app.db.transaction() as session:
        user(session, "anne").locale = "en"
    ref = remind(app, clock)
    outbox_for(app, smtp).tick()
    [mail] = smtp.received
    assert mail.subject == f"casework: Reminder: consent is still awaited (case {ref})"
    assert mail.body.startswith("Hello Anne Lambert,")


def test_smtp_down_then_back_every_email_waits_then_goes_out_once(app, clock, smtp):
    remind(app, clock, copies=4)
    smtp.stop()
    outbox = outbox_for(app, smtp)
    report = outbox.tick()
    assert (report.sent, report.retrying) == (0, 1)  # one try, then the rest waits for the server
    attempts = {r.id: r.attempts for r in rows(app)}
    assert sorted(attempts.values()) == [0, 0, 0, 0, 1]
    for _ in range(5):  # an hour or so of outage, a tick every few minutes
        clock.advance(minutes=10)
        outbox.tick()
    assert all(r.email_status == "pending" for r in rows(app))
    assert smtp.received == []
    smtp.start()
    clock.advance(hours=1)
    assert outbox.tick().sent == 5
    assert outbox.tick().sent == 0
    assert sorted(m.to[0] for m in smtp.received) == ["anne@example.org"] * 5
    assert len({m.message["Message-ID"] for m in smtp.received}) == 5


def test_a_server_asking_to_try_later_gets_retries_with_growing_waits(app, clock, smtp):
    remind(app, clock)
    smtp.answer("451 4.3.0 try again later")
    outbox = outbox_for(app, smtp)
    waits = []
    for _ in range(4):
        outbox.tick()
        [row] = rows(app)
        waits.append(row.next_attempt_at - clock.now())
        clock.set(row.next_attempt_at + dt.timedelta(seconds=1))
    assert waits == [backoff(1), backoff(2), backoff(3), backoff(4)]
    assert waits[0] == dt.timedelta(seconds=30) and waits[3] == dt.timedelta(minutes=4)
    assert "451" in rows(app)[0].last_error
    smtp.answer("250 OK")
    outbox.tick()
    assert [r.email_status for r in rows(app)] == ["sent"]
    assert len(smtp.received) == 1


def test_retries_give_up_after_the_last_attempt(app, clock, smtp):
    remind(app, clock)
    smtp.answer("451 later")
    outbox = outbox_for(app, smtp)
    for _ in range(MAX_ATTEMPTS):
        outbox.tick()
        clock.advance(hours=2)
    [row] = rows(app)
    assert (row.email_status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert backoff(MAX_ATTEMPTS) == dt.timedelta(hours=1)


def test_a_refused_email_fails_at_once_shows_in_the_admin_view_and_can_be_retried(app, clock, smtp):
    ref = remind(app, clock)
    smtp.answer("550 5.1.1 mailbox unavailable")
    outbox = outbox_for(app, smtp)
    outbox.tick()
    with app.db.transaction() as session:
        chantal = user(session, "chantal")
        [failed] = notifications.outbox(session, chantal, ("failed",))
        assert (failed.case.reference, failed.attempts) == (ref, 1)
        assert "550" in failed.last_error
        assert notifications.outbox_counts(session, chantal) == {"failed": 1}
        smtp.answer("250 OK")
        assert notifications.retry(session, chantal, clock.now()) == 1
    outbox.tick()
    assert [r.email_status for r in rows(app)] == ["sent"]


def test_a_sender_that_stopped_mid_send_leaves_the_email_uncertain_never_resent(app, clock, smtp):
    remind(app, clock)
    outbox = outbox_for(app, smtp)
    assert outbox._claim(DeliveryReport()) is not None  # claimed, handed over, then the sender is killed
    assert rows(app)[0].email_status == "sending"
    assert outbox.tick().sent == 0  # another sender does not touch a live claim
    clock.advance(minutes=CLAIM_TIMEOUT.total_seconds() / 60 + 1)
    assert outbox.tick().expired == 1
    clock.advance(days=1)
    outbox.tick()
    [row] = rows(app)
    assert row.email_status == "unknown" and "may or may not" in row.last_error
    assert smtp.received == []
    with app.db.transaction() as session:
        anne = user(session, "anne")
        assert notifications.retry(session, anne, clock.now()) == 0  # "retry all failed" leaves it
        assert notifications.retry(session, anne, clock.now(), [row.id]) == 1  # a person decided
    outbox.tick()
    assert len(smtp.received) == 1


def test_nothing_goes_to_a_person_without_an_email_address(app, clock, smtp):
    with app.db.transaction() as session:
        user(session, "anne").email = None
    remind(app, clock)
    outbox_for(app, smtp).tick()
    assert [r.email_status for r in rows(app)] == ["skipped"]
    assert smtp.received == []


def test_without_smtp_settings_emails_wait(app, clock):
    remind(app, clock)
    report = Outbox(app.db, app.clock, app.settings).tick()
    assert report.sent == 0
    assert [r.email_status for r in rows(app)] == ["pending"]


def test_two_senders_at_once_never_send_the_same_email(app, clock, smtp):
    remind(app, clock, copies=39)
    outboxes = [outbox_for(app, smtp) for _ in range(2)]
    reports = []
    threads = [threading.Thread(target=lambda o=o: reports.append(o.deliver())) for o in outboxes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == 40
    assert len(smtp.received) == 40
    assert len({m.message["Message-ID"] for m in smtp.received}) == 40


# -- the daily digest ------------------------------------------------------------------------------
def test_daily_digest_lists_everything_in_one_email_once_a_day(app, clock, smtp):
    with app.db.transaction() as session:
        notifications.set_email_digest(session, user(session, "sophie"), True)
    ref = case_at(app, "action_overdue")  # sophie and karim carry an action due in 3 days
    clock.set(dt.datetime(2026, 3, 6, 8, 1, tzinfo=dt.UTC))  # 09:01 the morning after: reminders fire
    TimerSweep(app.db, app.runtime).tick()
    outbox = outbox_for(app, smtp)
    with app.db.transaction(write=False) as session:
        held = session.scalar(select(Notification).where(Notification.recipient_id == user(session, "sophie").id))
        assert held.email_status == "digest"
    assert outbox.tick().digests == 1  # past 07:00 and none yet today: her digest goes now
    assert sorted(m.to[0] for m in smtp.received) == ["karim@example.org"] * 2 + ["sophie@example.org"]
    [digest] = smtp.to("sophie@example.org")
    assert digest.subject == "casework : Votre résumé quotidien (06/03/2026)"
    assert f"Rappel : une action du plan est en retard (dossier {ref})" in digest.body
    assert "1 action(s) du plan en retard" in digest.body
    assert "Action 1" not in digest.body  # what the action is stays in the app
    told, karims = smtp.to("karim@example.org")  # his action when the plan was made, then the reminder
    assert "Une action d'un plan vous a été confiée" in told.subject
    assert "Rappel : une action du plan est en retard" in karims.subject
    assert f"Une action d'un plan vous a été confiée (dossier {ref})" in digest.body  # sophie's, in her digest
    clock.advance(hours=12)
    assert outbox.tick().digests == 0  # once a day
    clock.set(dt.datetime(2026, 3, 7, 5, 59, tzinfo=dt.UTC))  # 06:59 in Brussels the next day
    assert outbox.tick().digests == 0
    clock.set(dt.datetime(2026, 3, 7, 6, 0, tzinfo=dt.UTC))  # 07:00
    assert outbox.tick().digests == 1
    second = smtp.to("sophie@example.org")[1]
    assert "Nouveau depuis" not in second.body and "1 action(s) du plan en retard" in second.body
    with app.db.transaction(write=False) as session:
        sophie = user(session, "sophie")
        assert notifications.unread_count(session, sophie) == 2  # digests are e-mails, not app notifications
        assert sorted(n.reason for n in notifications.for_user(session, sophie)) == ["action_assigned", "action_overdue"]
        assert session.scalar(select(Notification.email_status).where(
            Notification.recipient_id == sophie.id, Notification.reason == "action_overdue")) == "digested"


def test_no_digest_when_there_is_nothing_to_say(app, clock, smtp):
    with app.db.transaction() as session:
        notifications.set_email_digest(session, user(session, "anne"), True)
    clock.set(dt.datetime(2026, 3, 3, 6, 30, tzinfo=dt.UTC))
    assert outbox_for(app, smtp).tick().digests == 0
    assert smtp.received == []


def test_switching_the_digest_off_sends_what_was_held(app, clock, smtp):
    with app.db.transaction() as session:
        notifications.set_email_digest(session, user(session, "anne"), True)
    remind(app, clock)
    settings = dataclasses.replace(smtp.settings_for(app.settings), digest_hour=23)  # not yet digest time
    outbox = Outbox(app.db, app.clock, settings)
    outbox.tick()
    assert smtp.received == []
    with app.db.transaction() as session:
        notifications.set_email_digest(session, user(session, "anne"), False)
    outbox.tick()
    assert [m.to for m in smtp.received] == [["anne@example.org"]]


# -- in the app and who sees the outbox ------------------------------------------------------------
def test_in_app_list_counter_and_marking_read(app, clock):
    remind(app, clock, copies=2)
    with app.db.transaction() as session:
        anne, marc = user(session, "anne"), user(session, "marc")
        assert notifications.unread_count(session, anne) == 3
        assert notifications.unread_count(session, marc) == 0
        first = notifications.for_user(session, anne)[0]
        assert notifications.mark_read(session, anne, clock.now(), [first.id]) == 1
        assert notifications.mark_read(session, marc, clock.now(), [first.id]) == 0  # not his
        assert notifications.unread_count(session, anne) == 2
        assert len(notifications.for_user(session, anne, unread_only=True)) == 2
        assert notifications.mark_read(session, anne, clock.now()) == 2
        assert notifications.unread_count(session, anne) == 0


@pytest.mark.parametrize("viewer,visible", [("chantal", 2), ("anne", 1), ("marc", 1)])
def test_the_outbox_view_is_scoped_to_what_the_viewer_may_see(app, clock, viewer, visible):
    case_at(app, "consent_reminder", case_manager="anne")
    case_at(app, "consent_reminder", case_manager="marc")
    clock.advance(days=7, minutes=1)
    TimerSweep(app.db, app.runtime).tick()
    with app.db.transaction(write=False) as session:
        assert len(notifications.outbox(session, user(session, viewer))) == visible


@pytest.mark.parametrize("role_user", ["sophie", "paul"])
def test_partners_and_process_owners_do_not_see_the_outbox(app, role_user):
    with app.db.transaction(write=False) as session:
        with pytest.raises(PermissionDeniedError):
            notifications.outbox(session, user(session, role_user))


def test_a_disabled_recipient_gets_no_email(app, clock, smtp):
    remind(app, clock)
    with app.db.transaction() as session:
        session.execute(update(User).where(User.username == "anne").values(active=False))
    outbox_for(app, smtp).tick()
    assert [r.email_status for r in rows(app)] == ["skipped"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_refused_smtp_login_keeps_every_email_waiting_until_the_settings_are_fixed(app, clock):
    sink = smtp_sink.SmtpSink(login=("casework", "right-password"))
    sink.start()
    try:
        remind(app, clock, copies=2)
        wrong = dataclasses.replace(sink.settings_for(app.settings), smtp_user="casework", smtp_password="wrong")
        report = Outbox(app.db, app.clock, wrong).tick()
        assert (report.sent, report.failed, report.retrying) == (0, 0, 1)  # one try, the rest untouched
        assert all(r.email_status == "pending" for r in rows(app))
        assert "login refused" in next(r.last_error for r in rows(app) if r.last_error)
        right = dataclasses.replace(wrong, smtp_password="right-password")
        clock.advance(minutes=5)
        assert Outbox(app.db, app.clock, right).tick().sent == 3
        assert len(sink.received) == 3
    finally:
        sink.stop()
