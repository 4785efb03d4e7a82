"""`casework scheduler / timers / notifications / overdue` as someone at a prompt would use them."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tests import smtp_sink
from tests.timer_cases import case_at
from workflows.cli import cli
from workflows.models import Notification

smtp = smtp_sink.smtp  # the SMTP server fixture


@pytest.fixture
def due_case(app, clock):
    """A case whose consent reminder came due a day ago, in real time (the CLI runs on the system clock)."""
    clock.set(dt.datetime.now(dt.UTC) - dt.timedelta(days=8))
    return case_at(app, "consent_reminder")


@pytest.fixture
def run(app):
    runner = CliRunner()

    def invoke(*args, user="", env=None):
        environment = {"CASEWORK_DATABASE_URL": app.settings.database_url, "CASEWORK_USER": user,
                       "CASEWORK_CLOCK_OFFSET": "", "CASEWORK_SMTP_HOST": ""}
        environment.update(env or {})
        result = runner.invoke(cli, list(args), env=environment, catch_exceptions=False)
        assert "Traceback" not in result.output
        return result

    return invoke


def test_cli_help_of_the_reminder_commands():
    runner = CliRunner()
    for args in (["scheduler"], ["timers"], ["overdue"], ["notifications"], ["notifications", "list"],
                 ["notifications", "read"], ["notifications", "digest"], ["notifications", "outbox"],
                 ["notifications", "retry"], ["notifications", "send"]):
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, args


def test_cli_timers_then_scheduler_drain_then_the_notification_in_the_list(run, due_case):
    shown = run("timers", user="paul")
    assert shown.exit_code == 0, shown.output
    assert due_case in shown.output and "late by 1d" in shown.output
    drained = run("scheduler", "--drain", "--no-email")
    assert drained.output.strip() == "fired 1 instance(s); e-mails sent 0"
    assert run("scheduler", "--drain").output.strip() == "fired 0 instance(s); e-mails sent 0"
    listed = json.loads(run("notifications", "list", "--json", user="anne").output)
    assert listed["unread"] == 1
    assert listed["notifications"][0]["text"] == f"Rappel : le consentement est toujours attendu (dossier {due_case})"
    assert "1 marked read" in run("notifications", "read", "--all", user="anne").output
    assert "0 unread" in run("notifications", "list", user="anne").output
    assert run("timers", user="sophie").exit_code == 4  # partners have no scheduler view


def test_cli_offset_clock_shows_reminders_without_waiting(run, app, clock):
    clock.set(dt.datetime.now(dt.UTC))
    reference = case_at(app, "consent_reminder")
    assert "fired 0" in run("scheduler", "--once", "--no-email").output
    shown = run("timers", user="paul", env={"CASEWORK_CLOCK_OFFSET": "+8d"})
    assert "offset +8d" in shown.output and "late by" in shown.output
    assert "fired 0" in run("scheduler", "--once", "--no-email", env={"CASEWORK_CLOCK_OFFSET": "+6d"}).output
    assert "fired 1" in run("scheduler", "--once", "--no-email", env={"CASEWORK_CLOCK_OFFSET": "+8d"}).output
    assert reference in run("notifications", "list", user="anne").output


def test_cli_offset_clock_is_refused_in_production(run):
    result = run("timers", user="paul", env={"CASEWORK_CLOCK_OFFSET": "+3d", "CASEWORK_ENV": "production",
                                             "CASEWORK_SECRET_KEY": "x" * 40})
    assert result.exit_code != 0
    assert "refused in production" in result.output


def test_cli_outbox_send_and_retry_against_a_real_smtp_server(run, due_case, smtp):
    mail = {"CASEWORK_SMTP_HOST": "127.0.0.1", "CASEWORK_SMTP_PORT": str(smtp.port)}
    run("scheduler", "--drain", "--no-email")
    outbox = run("notifications", "outbox", user="chantal")
    assert "pending 1" in outbox.output and due_case not in outbox.output  # a coordinator sees no case
    assert due_case in run("notifications", "outbox", user="anne").output  # its case manager does
    smtp.answer("550 no such mailbox")
    assert "failed 1" in run("notifications", "send", user="chantal", env=mail).output
    listed = json.loads(run("notifications", "outbox", "--status", "failed", "--json", user="chantal").output)
    [row] = listed["notifications"]
    assert row["recipient"] == "anne" and "550" in row["error"]
    smtp.answer("250 OK")
    assert "1 e-mail(s) queued again" in run("notifications", "retry", "--all-failed", user="chantal").output
    assert "sent 1" in run("notifications", "send", user="chantal", env=mail).output
    assert [m.to for m in smtp.received] == [["anne@example.org"]]
    assert run("notifications", "outbox", user="sophie").exit_code == 4
    assert "not configured" in run("notifications", "send", user="chantal").output


def test_cli_digest_preference(run):
    assert "daily digest on for anne" in run("notifications", "digest", "on", user="anne").output
    assert "daily digest off for anne" in run("notifications", "digest", "off", user="anne").output


def test_cli_overdue_for_each_role(run, app, clock):
    clock.set(dt.datetime.now(dt.UTC) - dt.timedelta(days=10))
    reference = case_at(app, "action_overdue")  # actions due 3 days after, so 7 days late now
    mine = run("overdue", user="anne")
    assert "2 overdue plan action(s)" in mine.output and reference in mine.output
    partner = json.loads(run("overdue", "--json", user="sophie").output)
    assert [(a["reference"], a["carrier"]) for a in partner["actions"]] == [(reference, "sophie")]
    assert partner["actions"][0]["days_late"] in (6, 7, 8)  # due three days after the case, ten days ago
    counts = run("overdue", user="chantal")
    assert "anne" in counts.output and reference not in counts.output  # counts only, no case
    assert run("overdue", user="paul").exit_code == 4


@pytest.mark.sqlite_only
def test_casework_run_starts_the_scheduler_beside_the_web_server(app, clock):
    from web.cli import start_background

    reference = case_at(app, "consent_reminder")
    clock.advance(days=7, minutes=1)
    stops = start_background(app)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not received(app):
            time.sleep(0.05)
    finally:
        for stop in stops:
            stop()
    assert received(app) == [reference]


def received(app) -> list[str]:
    with app.db.transaction(write=False) as session:
        return [n.case.reference for n in session.scalars(select(Notification))]


def test_cli_timers_shows_a_case_stopped_in_error_with_the_reason(run, app, clock, tmp_path):
    from engine.bundles import Bundle
    from engine.deployments import deploy
    from engine.scheduler import TimerSweep
    from tests.integration.test_scheduler_sweep import PROBE

    (tmp_path / "timer_probe.bpmn").write_text(PROBE)
    with app.db.transaction() as session:
        version, _ = deploy(session, Bundle.from_directory(tmp_path), codec=app.runtime.codec, now=clock.now(),
                            author="tests")
        app.runtime.start(session, version, business_key="PROBE-1", data={}, actor="tests")
    clock.advance(hours=2)
    TimerSweep(app.db, app.runtime).tick()
    shown = run("timers", user="paul").output
    assert "stopped in error:" in shown
    assert "PROBE-1" in shown and "at second_wait" in shown and "follow_up_delay" in shown
