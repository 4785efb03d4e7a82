"""The timer sweep: claims what is due in the database, fires it once, survives bad instances."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.bundles import Bundle
from engine.deployments import deploy
from engine.models import AuditEvent, ProcessInstance
from engine.scheduler import Job, Scheduler, TimerSweep
from tests.timer_cases import case_at, clone_instances
from workflows.models import Case, Notification

PROBE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
  targetNamespace="https://casework.example/bpmn">
  <bpmn:process id="timer_probe" name="Timer probe" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="first_wait"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="second_wait"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>follow_up_delay</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first_wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="first_wait" targetRef="second_wait" />
    <bpmn:sequenceFlow id="f3" sourceRef="second_wait" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def notifications(app, reason=None):
    with app.db.transaction(write=False) as session:
        query = select(Notification).order_by(Notification.id)
        if reason:
            query = query.where(Notification.reason == reason)
        return list(session.scalars(query))


def instance_of(app, reference):
    with app.db.transaction(write=False) as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        return session.get(ProcessInstance, case.instance_id)


def broken_instance(app, clock, tmp_path: Path, key: str) -> tuple[int, dt.datetime]:
    """(id, next due time) of an instance whose second timer's expression fails to evaluate."""
    (tmp_path / "timer_probe.bpmn").write_text(PROBE)
    with app.db.transaction() as session:
        version, _ = deploy(session, Bundle.from_directory(tmp_path), codec=app.runtime.codec, now=clock.now(),
                            author="tests")
        instance = app.runtime.start(session, version, business_key=key, data={}, actor="tests")
        return instance.id, instance.next_timer_due


def test_sweep_fires_only_what_is_due(app, clock):
    ref = case_at(app, "consent_reminder")
    sweep = TimerSweep(app.db, app.runtime)
    clock.advance(days=6)
    assert sweep.tick().fired == 0
    assert notifications(app) == []
    clock.advance(days=1, minutes=1)
    report = sweep.tick()
    assert report.fired == 1
    [note] = notifications(app)
    assert (note.reason, note.recipient.username, note.case.reference) == ("consent_reminder", "anne", ref)
    assert sweep.tick().fired == 0  # nothing due any more: the next reminder is a week away
    assert instance_of(app, ref).next_timer_due == clock.now() - dt.timedelta(minutes=1) + dt.timedelta(days=7)


def test_sweep_does_not_spin_on_a_timer_due_this_very_instant(app, clock):
    # SpiffWorkflow fires a timer only strictly after its due time: at the exact instant it
    # stays armed, and a naive `next_timer_due <= now` sweep would claim it forever.
    ref = case_at(app, "consent_reminder")
    clock.set(instance_of(app, ref).next_timer_due)
    sweep = TimerSweep(app.db, app.runtime, budget=5)
    report = sweep.tick()
    assert (report.fired, report.stalled, report.batches) == (1, 1, 1)
    assert instance_of(app, ref).next_timer_due == clock.now() + dt.timedelta(seconds=1)
    assert sweep.tick().fired == 0
    clock.advance(seconds=1, microseconds=1)
    assert sweep.tick().fired == 1
    assert len(notifications(app, "consent_reminder")) == 1


def test_sweep_after_an_outage_sends_one_reminder_not_a_burst(app, clock):
    ref = case_at(app, "consent_reminder")
    clock.advance(days=60)  # the scheduler was down: all three weekly reminders are late
    sweep = TimerSweep(app.db, app.runtime)
    counts = [sweep.tick().fired for _ in range(3)]
    # SpiffWorkflow runs every late cycle of the timer in one step; the person hears once.
    assert counts == [1, 0, 0]
    assert len(notifications(app, "consent_reminder")) == 1
    assert instance_of(app, ref).next_timer_due is None


def test_sweep_marks_a_failing_timer_expression_in_error_and_goes_on(app, clock, tmp_path: Path):
    broken, _due = broken_instance(app, clock, tmp_path, "PROBE-1")
    healthy = case_at(app, "consent_reminder")
    clock.advance(days=8)
    report = TimerSweep(app.db, app.runtime).tick()
    assert (report.fired, report.errors) == (1, 1)
    with app.db.transaction(write=False) as session:
        failed = session.get(ProcessInstance, broken)
        assert failed.status == "error"
        assert failed.error_element == "second_wait"
        assert "follow_up_delay" in failed.error
        kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.instance_id == broken)).all()
        assert "instance_error" in kinds
    assert [n.case.reference for n in notifications(app)] == [healthy]
    assert TimerSweep(app.db, app.runtime).tick().errors == 0  # an instance in error is not retried


def test_an_instance_failing_mid_batch_leaves_the_others_fired_exactly_once(app, clock, tmp_path: Path):
    # A batch has no savepoint per instance: the failure rolls back the three fired before it,
    # which must then fire again, once, with the three after it.
    broken_id, broken_due = broken_instance(app, clock, tmp_path, "PROBE-2")
    source = case_at(app, "consent_reminder")  # due in 7 days: not due in this test
    with app.db.transaction() as session:
        copies = clone_instances(session, source, 6, due_times=[broken_due + dt.timedelta(minutes=m)
                                                               for m in (-3, -2, -1, 1, 2, 3)])
    clock.advance(hours=1, minutes=5)
    report = TimerSweep(app.db, app.runtime, batch_size=10).tick()
    assert (report.fired, report.errors, report.skipped) == (6, 1, 0)
    assert sorted(n.case.reference for n in notifications(app)) == sorted(copies)
    with app.db.transaction(write=False) as session:
        assert session.get(ProcessInstance, broken_id).status == "error"
        fired = session.scalars(select(AuditEvent.business_key).where(AuditEvent.kind == "timers_fired")).all()
    assert sorted(fired) == sorted(copies)


def test_an_instance_another_scheduler_dealt_with_meanwhile_is_not_put_in_error(app, clock, tmp_path: Path):
    # Between the batch's rollback and putting the failed instance in error, its lock is free:
    # here "another scheduler" saves it in that window (as firing or marking it would).
    broken, _due = broken_instance(app, clock, tmp_path, "PROBE-3")

    class Racing(TimerSweep):
        def _failed(self, failed, report, revisit):
            with app.db.transaction() as other:
                other.get(ProcessInstance, failed.instance_id).updated_at = clock.now()  # a save
            super()._failed(failed, report, revisit)

    clock.advance(hours=2)
    report = Racing(app.db, app.runtime).tick()
    assert (report.errors, report.skipped) == (0, 1)
    with app.db.transaction(write=False) as session:
        assert session.get(ProcessInstance, broken).status == "running"
        assert not session.scalars(select(AuditEvent).where(AuditEvent.instance_id == broken,
                                                            AuditEvent.kind == "instance_error")).all()


def test_sweep_works_through_more_than_one_batch(app, clock):
    ref = case_at(app, "consent_reminder")
    with app.db.transaction() as session:
        clone_instances(session, ref, 24)
    clock.advance(days=7, minutes=1)
    report = TimerSweep(app.db, app.runtime, batch_size=10).tick()
    assert (report.fired, report.batches) == (25, 3)
    assert len(notifications(app, "consent_reminder")) == 25
    with app.db.transaction(write=False) as session:
        fired = session.scalars(select(AuditEvent.instance_id).where(AuditEvent.kind == "timers_fired")).all()
    assert len(fired) == len(set(fired)) == 25


@pytest.mark.sqlite_only
def test_background_scheduler_runs_the_sweep_and_wakes_when_a_timer_is_due(app, clock):
    ref = case_at(app, "consent_reminder")
    sweep = TimerSweep(app.db, app.runtime)
    scheduler = Scheduler(clock, [Job("timers", sweep.tick, interval=3600, wake=sweep.next_due)])
    scheduler.start()
    try:
        clock.advance(days=7, minutes=1)
        scheduler.nudge("timers")
        deadline = time.monotonic() + 10
        while not notifications(app) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown()
    assert [n.case.reference for n in notifications(app)] == [ref]
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "timers_fired")) == 1


def test_copies_with_their_own_due_times_fire_at_those_times(app, clock):
    # The bench's copies must be real workflows due when their column says (not just rows).
    ref = case_at(app, "consent_reminder")
    start = clock.now() + dt.timedelta(days=1)
    with app.db.transaction() as session:
        clone_instances(session, ref, 3, due_times=[start + dt.timedelta(hours=h) for h in (1, 2, 3)])
    sweep = TimerSweep(app.db, app.runtime)
    fired = []
    for hours in (1, 2, 3):
        clock.set(start + dt.timedelta(hours=hours, seconds=1))
        fired.append(sweep.tick().fired)
    assert fired == [1, 1, 1]
    assert len(notifications(app)) == 3
