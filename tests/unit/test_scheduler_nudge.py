"""A nudge is never lost, however it falls against a run that is starting or ending."""

from __future__ import annotations

import threading
import time

from engine.clock import ManualClock
from engine.scheduler import Job, Scheduler


def _runs_after(scheduler: Scheduler, runs: list[float], count: int, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while len(runs) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return len(runs) >= count


def test_a_nudge_while_a_run_is_ending_runs_the_job_again(monkeypatch):
    # Between a run's last look for nudges and its return, APScheduler still counts it as
    # running and skips a run asked for then: the nudge must bring one about all the same.
    runs: list[float] = []
    first_done = threading.Event()

    def work():
        runs.append(time.monotonic())
        first_done.set()

    scheduler = Scheduler(ManualClock(), [Job("work", work, interval=3600, wake=lambda: None)])
    ending = threading.Event()
    original = Scheduler._schedule_wake

    def slow_end(self, job):  # the run has left its loop, and lingers before returning
        ending.set()
        time.sleep(0.3)
        original(self, job)

    monkeypatch.setattr(Scheduler, "_schedule_wake", slow_end)
    scheduler.start()
    try:
        assert first_done.wait(5) and ending.wait(5)
        scheduler.nudge("work")
        assert _runs_after(scheduler, runs, 2), "the nudge was lost"
    finally:
        scheduler.shutdown()


def test_a_nudge_before_a_run_registers_is_done_by_that_run(monkeypatch):
    # APScheduler hands the run to a thread before `_run` says it is running: a nudge then is
    # skipped by APScheduler, and the run that starts must see everything the nudge announced.
    seen: list[int] = []
    state = {"value": 0}
    original = Scheduler._run
    started = threading.Event()

    def slow_start(self, name):
        started.set()
        time.sleep(0.3)
        original(self, name)

    monkeypatch.setattr(Scheduler, "_run", slow_start)
    scheduler = Scheduler(ManualClock(), [Job("work", lambda: seen.append(state["value"]), interval=3600)])
    scheduler.start()
    try:
        assert started.wait(5)
        state["value"] = 1  # what the nudge is about
        scheduler.nudge("work")
        assert _runs_after(scheduler, seen, 1) and seen[-1] == 1
    finally:
        scheduler.shutdown()
