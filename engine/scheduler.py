"""Scheduler ticks: claim instances whose timers are due, fire them; APScheduler runs the ticks.

No state lives here: the database says what is due (`process_instance.next_timer_due`, indexed)
and who is working on it (row locks). So any number of schedulers, in any number of processes on
any number of machines, may tick at once:

- PostgreSQL: a batch is claimed with `SELECT ... FOR UPDATE SKIP LOCKED`; two schedulers never
  claim the same instance, and an instance a web request is completing is skipped, not waited for.
- SQLite: a write transaction starts with BEGIN IMMEDIATE and so holds the database lock; ticks
  of several processes take turns.

A batch is one transaction: its timers fire, what follows runs, and everything it produced (the
new state, notifications queued by service tasks, the audit events) commits together. A
scheduler killed mid-batch leaves nothing: the rows are due again for the next tick. An instance
that fails is put in error on its own, and the rest of its batch fires again without it.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .clock import Clock
from .db import Database
from .errors import ConflictError, WorkflowRunError
from .models import ProcessInstance
from .runtime import Runtime

log = logging.getLogger(__name__)

UTC = dt.UTC


@dataclass
class TickReport:
    """What one tick did (counts only: logs never carry case content)."""

    fired: int = 0
    errors: int = 0
    stalled: int = 0
    skipped: int = 0
    batches: int = 0
    more: bool = False  # stopped by the time budget with work left
    fired_ids: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fired or self.errors or self.stalled)


class TimerSweep:
    """Fire every due timer, a small batch per transaction, until none is due (or time is up).

    A due timer SpiffWorkflow does not consider fired (its due time equals "now" to the
    microsecond: SpiffWorkflow fires only strictly after; a clock that disagrees; a bug) would
    be claimed again and again. So an instance that is still due, unchanged, after firing is
    postponed by a delay that grows with how late it is (1 s, then about doubling, at most
    `stall_max`): no spinning, no state outside the row. Its next save recomputes the column.
    """

    def __init__(self, db: Database, runtime: Runtime, *, batch_size: int = 10, budget: float = 30.0,
                 actor: str = "scheduler", stall_min: dt.timedelta = dt.timedelta(seconds=1),
                 stall_max: dt.timedelta = dt.timedelta(hours=1)):
        self.db = db
        self.runtime = runtime
        self.batch_size = batch_size
        self.budget = budget
        self.actor = actor
        self.stall_min = stall_min
        self.stall_max = stall_max

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    def tick(self) -> TickReport:
        """Claim and fire due instances until none is left or the time budget is spent."""
        report = TickReport()
        revisit: set[int] = set()  # fired this tick, still due (a cycle catching up): next tick
        started = time.monotonic()
        while True:
            if time.monotonic() - started >= self.budget:
                report.more = True
                break
            if not self._batch(report, revisit):
                break
        if report:
            log.info("timers: fired %d instance(s), %d error(s), %d stalled, in %d batch(es)",
                     report.fired, report.errors, report.stalled, report.batches)
        return report

    def next_due(self) -> dt.datetime | None:
        """The earliest due time among running instances (for waking up right on time)."""
        with self.db.transaction(write=False) as session:
            return session.scalar(select(func.min(ProcessInstance.next_timer_due))
                                  .where(ProcessInstance.status == "running"))

    def _batch(self, report: TickReport, revisit: set[int]) -> bool:
        """Fire a batch in one transaction; True if more may be due.

        No savepoint per instance (two round trips each): an instance that fails rolls the whole
        batch back, is put in error in a transaction of its own, and the others are claimed
        again at once. Failures are rare; a batch of healthy instances is cheaper this way.
        """
        fired: list[int] = []
        later: set[int] = set()  # fired, still due: for the next tick, if this batch commits
        stalled = 0
        try:
            with self.db.transaction() as session:
                now = self.clock.now()
                claimed = self.runtime.lock_due(session, now, self.batch_size, revisit)
                for instance in claimed:
                    due, revision = instance.next_timer_due, instance.revision
                    self._fire_one(session, instance.id, revision)
                    fired.append(instance.id)
                    stalled += self._after_firing(session, instance, due, now, later)
        except _InstanceFailed as failed:
            report.batches += 1
            self._failed(failed, report, revisit)
            return True
        report.batches += 1
        report.fired += len(fired)
        report.fired_ids.extend(fired)
        report.stalled += stalled
        revisit |= later
        return len(claimed) == self.batch_size

    def _fire_one(self, session: Session, instance_id: int, revision: int) -> None:
        try:
            self.runtime.fire_timers(session, instance_id, actor=self.actor)
        except DBAPIError:
            raise  # the database itself failed: give the whole batch back
        except Exception as err:  # noqa: BLE001 - one broken instance must not stop the others
            raise _InstanceFailed(instance_id, revision, err) from err

    def _failed(self, failed: _InstanceFailed, report: TickReport, revisit: set[int]) -> None:
        instance_id, err = failed.instance_id, failed.error
        revisit.add(instance_id)  # not again in this tick, whatever happens next
        if isinstance(err, ConflictError):  # someone else advanced it meanwhile: re-read next tick
            report.skipped += 1
            return
        if isinstance(err, WorkflowRunError):
            message, element = str(err), err.element_id
        else:
            message, element = f"internal error while firing timers: {type(err).__name__}: {err}", None
        # Its lock went with the rollback: another scheduler may have claimed it meanwhile, and
        # dealt with it. Only an instance nobody saved since it was claimed is put in error.
        with self.db.transaction() as session:
            marked = self.runtime.mark_error(session, instance_id, message, element, actor=self.actor,
                                             expected_revision=failed.revision)
        if not marked:
            report.skipped += 1
            return
        report.errors += 1
        if isinstance(err, WorkflowRunError):
            log.warning("timers: instance %d put in error at element %s", instance_id, element)
        else:
            log.error("timers: instance %d put in error (internal error)", instance_id, exc_info=err)

    def _after_firing(self, session: Session, instance: ProcessInstance, before: dt.datetime,
                      now: dt.datetime, later: set[int]) -> int:
        """1 if the instance is still due, unchanged, after firing (then postponed), else 0."""
        due = instance.next_timer_due
        if due is None or due > now or instance.status != "running":
            return 0
        if due != before:
            later.add(instance.id)  # progress (a late cycle fired once): the next tick goes on
            return 0
        late = now - due
        instance.next_timer_due = now + min(max(late, self.stall_min), self.stall_max)
        session.flush()
        log.warning("timers: instance %d was due but nothing fired; retried at %s", instance.id,
                    instance.next_timer_due.isoformat())
        return 1


class _InstanceFailed(Exception):
    def __init__(self, instance_id: int, revision: int, error: Exception):
        super().__init__(instance_id)
        self.instance_id, self.revision, self.error = instance_id, revision, error


# -- APScheduler ---------------------------------------------------------------------------------
@dataclass
class Job:
    """A periodic piece of work: run `func` every `interval` seconds.

    `wake`, if given, returns when the work is next due (by the application's clock); the job
    then also runs at that moment instead of waiting for its next interval.
    """

    name: str
    func: Callable[[], object]
    interval: float
    wake: Callable[[], dt.datetime | None] | None = None


class Scheduler:
    """APScheduler 3 running `jobs` in a background thread, or blocking (a process of its own).

    APScheduler keeps time in real time; due times are in the application's clock, which a demo
    may run ahead (OffsetClock): a wake-up is converted through the difference between the two.
    """

    def __init__(self, clock: Clock, jobs: Sequence[Job], *, blocking: bool = False):
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.schedulers.blocking import BlockingScheduler

        self.clock = clock
        self.jobs = {job.name: job for job in jobs}
        kind = BlockingScheduler if blocking else BackgroundScheduler
        self._aps = kind(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1,
                                                     "misfire_grace_time": None})
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._again: set[str] = set()
        for job in jobs:
            self._aps.add_job(self._run, "interval", args=[job.name], seconds=job.interval, id=job.name,
                              name=job.name, next_run_time=dt.datetime.now(UTC))

    @property
    def running(self) -> bool:
        from apscheduler.schedulers.base import STATE_RUNNING

        return self._aps.state == STATE_RUNNING

    def start(self) -> None:
        """Start; returns at once (background) or when shut down (blocking)."""
        self._aps.start()

    def shutdown(self, wait: bool = True) -> None:
        if self.running:
            self._aps.shutdown(wait=wait)

    def run_until_signalled(self) -> None:
        """Blocking mode: stop cleanly on SIGTERM or SIGINT (the running tick finishes first)."""

        def stop(signum, _frame):
            log.info("scheduler: signal %d received, stopping after the running work", signum)
            threading.Thread(target=self.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.start()

    def nudge(self, name: str) -> None:
        """Run job `name` now (or right after its current run, if it is running).

        The request is kept until a run starts after it: APScheduler skips a run while one is
        still counted as running, which it is from the moment it hands the run to a thread
        (before `_run` registers) until `_run` has returned."""
        with self._lock:
            self._again.add(name)
            if name in self._running:
                return
        self._at(name, dt.datetime.now(UTC))

    def _at(self, name: str, when: dt.datetime) -> None:
        if not self.running:
            return
        try:
            self._aps.modify_job(name, next_run_time=when)
        except Exception:  # noqa: BLE001 - the job's interval still runs it
            log.debug("scheduler: could not move job %s", name)

    def _run(self, name: str) -> None:
        job = self.jobs[name]
        with self._lock:
            self._running.add(name)
            self._again.discard(name)  # this run starts after every nudge so far
        try:
            while True:
                try:
                    job.func()
                except Exception:  # noqa: BLE001 - a failed run is retried at the next interval
                    log.exception("scheduler: job %s failed", name)
                with self._lock:
                    if name not in self._again:
                        self._running.discard(name)
                        break
                    self._again.discard(name)
        finally:
            with self._lock:
                self._running.discard(name)
        if job.wake is not None:
            self._schedule_wake(job)
        with self._lock:
            missed = name in self._again and name not in self._running
        if missed:  # nudged as this run ended: APScheduler may have skipped the nudge's run
            self._at(name, dt.datetime.now(UTC) + dt.timedelta(seconds=0.05))

    def _schedule_wake(self, job: Job) -> None:
        try:
            due = job.wake()
        except Exception:  # noqa: BLE001
            log.exception("scheduler: could not read when job %s is next due", job.name)
            return
        if due is None:
            return
        delay = (due - self.clock.now()).total_seconds()
        # Already due: this run just took what it could (the rest is locked by another
        # scheduler, or waits for a server): the interval comes back to it.
        if delay <= 0 or delay >= job.interval:
            return
        # Never "now": this run is still counted as running for a moment, and APScheduler would
        # skip a run that starts before it ends.
        self._at(job.name, dt.datetime.now(UTC) + dt.timedelta(seconds=max(delay, 0.05)))
