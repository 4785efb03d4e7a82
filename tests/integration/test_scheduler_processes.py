"""Real scheduler processes against PostgreSQL: two racing, one killed mid-tick. Each reminder once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from engine.models import AuditEvent, ProcessInstance
from tests import smtp_sink
from tests.conftest import ROOT
from tests.timer_cases import case_at, clone_instances
from workflows.models import Notification

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]
smtp = smtp_sink.smtp  # the SMTP server fixture

CASES = 1000


@pytest.fixture
def due(app, clock):
    """CASES cases whose consent reminder came due yesterday (real time): one real, the rest copies."""
    clock.set(dt.datetime.now(dt.UTC) - dt.timedelta(days=8))
    reference = case_at(app, "consent_reminder")
    with app.db.transaction() as session:
        clone_instances(session, reference, CASES - 1)
        return session.scalar(select(ProcessInstance.next_timer_due).where(ProcessInstance.business_key == reference))


def scheduler(app, smtp, *args: str, offset: str = "", log=None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env.update(CASEWORK_DATABASE_URL=app.settings.database_url, CASEWORK_SMTP_HOST="127.0.0.1",
               CASEWORK_SMTP_PORT=str(smtp.port), CASEWORK_CLOCK_OFFSET=offset)
    return subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()", "scheduler", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log or subprocess.DEVNULL, text=True)


def count(app, query) -> int:
    with app.db.transaction(write=False) as session:
        return session.scalar(query)


def wait_until(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def check_each_reminder_once(app, smtp, first_due: dt.datetime, max_uncertain: int = 0) -> None:
    with app.db.transaction(write=False) as session:
        fired = Counter(session.scalars(select(AuditEvent.instance_id).where(AuditEvent.kind == "timers_fired")))
        notes = list(session.scalars(select(Notification)))
        dues = Counter(session.scalars(select(ProcessInstance.next_timer_due)))
        errors = session.scalar(select(func.count()).select_from(ProcessInstance)
                                .where(ProcessInstance.status != "running"))
    assert len(fired) == CASES and set(fired.values()) == {1}  # every instance fired, once
    assert len(notes) == CASES and len({n.case_id for n in notes}) == CASES  # one reminder per case
    assert dues == {first_due + dt.timedelta(days=7): CASES}  # each cycle moved on exactly one period
    assert errors == 0
    mails = Counter(m.message["Message-ID"] for m in smtp.received)
    assert max(mails.values()) == 1  # no e-mail twice
    statuses = Counter(n.email_status for n in notes)
    assert statuses["sent"] + statuses["unknown"] == CASES
    assert statuses["unknown"] <= max_uncertain
    assert len(mails) >= CASES - statuses["unknown"]


def test_two_scheduler_processes_send_each_of_1000_due_reminders_exactly_once(app, due, smtp, tmp_path):
    logs = [open(tmp_path / f"scheduler{i}.log", "w") for i in range(2)]  # noqa: SIM115 - closed below
    procs = [scheduler(app, smtp, "--drain", log=log) for log in logs]
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    for log in logs:
        log.close()
    assert [p.returncode for p in procs] == [0, 0], outputs
    fired = [int(out.split()[1]) for out in outputs]  # "fired N instance(s); e-mails sent M"
    sent = [int(out.split()[-1]) for out in outputs]
    assert sum(fired) == CASES and sum(sent) == CASES
    assert min(fired) > 0, f"the two schedulers did not overlap: {fired}"
    check_each_reminder_once(app, smtp, due)


def test_a_scheduler_killed_mid_tick_loses_and_doubles_nothing(app, due, smtp, tmp_path):
    notes = select(func.count()).select_from(Notification)
    with open(tmp_path / "scheduler.log", "w") as log:
        # 1. killed while firing timers
        first = scheduler(app, smtp, "--interval", "0.2", log=log)
        wait_until(lambda: count(app, notes) >= 100)
        first.send_signal(signal.SIGKILL)
        first.wait()
        queued = count(app, notes)
        assert 100 <= queued < CASES, "the kill did not land during the tick"
        # what was committed is whole: as many fired instances as reminders queued
        assert count(app, select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "timers_fired")) \
            == queued
        # 2. restarted, killed again while sending e-mails
        second = scheduler(app, smtp, "--interval", "0.2", log=log)
        wait_until(lambda: len(smtp.received) >= 100)
        second.send_signal(signal.SIGKILL)
        second.wait()
        assert len(smtp.received) < CASES, "the kill did not land while e-mails were going out"
        # 3. restarted after the killed senders' claims expired: everything else goes out
        third = scheduler(app, smtp, "--drain", offset="+15m", log=log)
        assert third.wait(timeout=240) == 0
    check_each_reminder_once(app, smtp, due, max_uncertain=2)
