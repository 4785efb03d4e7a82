"""The scheduler of a casework deployment: BPMN timers and the e-mail outbox, run by APScheduler.

Used by `casework scheduler` (a process of its own, blocking) and by `casework run` (a
background thread beside the web app). Every scheduler works from the database only, so any
number may run; each uses the application's clock (an offset clock in a demo).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from engine.scheduler import Job, Scheduler, TickReport, TimerSweep

from .bootstrap import Casework
from .models import Notification
from .outbox import DeliveryReport, Outbox


@dataclass
class Ticks:
    """The two pieces of work, callable on their own (tests, `casework scheduler --once`)."""

    timers: TimerSweep
    outbox: Outbox

    def once(self) -> tuple[TickReport, DeliveryReport]:
        """One tick of each: fire due timers, then send what they queued."""
        return self.timers.tick(), self.outbox.tick()

    def drain(self, rounds: int = 1000) -> tuple[int, int]:
        """Tick until nothing is due any more (or `rounds` ticks). Returns (fired, e-mails sent)."""
        fired = sent = 0
        for _ in range(rounds):
            timers, mail = self.once()
            fired, sent = fired + timers.fired, sent + mail.sent
            if not (timers.fired or timers.more or mail.sent or mail.digests or mail.more):
                break  # nothing moved (a server that is down is not retried in a tight loop)
        return fired, sent


def ticks(app: Casework, *, batch_size: int = 10) -> Ticks:
    return Ticks(TimerSweep(app.db, app.runtime, batch_size=batch_size), Outbox(app.db, app.clock, app.settings))


def next_email_due(app: Casework):
    with app.db.transaction(write=False) as session:
        return session.scalar(select(func.min(Notification.next_attempt_at))
                              .where(Notification.email_status.in_(("pending", "sending"))))


def build_scheduler(app: Casework, *, blocking: bool = False, interval: float | None = None,
                    email: bool = True) -> Scheduler:
    """An APScheduler running the timer sweep and (unless `email=False`) the outbox."""
    work = ticks(app)
    every = interval or app.settings.scheduler_interval
    scheduler: Scheduler

    def fire_timers() -> None:
        report = work.timers.tick()
        if report.more:
            scheduler.nudge("timers")
        if report.fired and email:
            scheduler.nudge("outbox")  # what the timers queued goes out now, not at the next interval

    def send_email() -> None:
        if work.outbox.tick().more:
            scheduler.nudge("outbox")

    jobs = [Job("timers", fire_timers, every, wake=work.timers.next_due)]
    if email:
        jobs.append(Job("outbox", send_email, every, wake=lambda: next_email_due(app)))
    scheduler = Scheduler(app.clock, jobs, blocking=blocking)
    return scheduler
