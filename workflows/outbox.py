"""Send the e-mail outbox: claim, send, record; retries with backoff; the daily digest.

Delivery is at most once. Each e-mail is claimed in its own short transaction (`pending` ->
`sending`, `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so two senders never take the
same row), handed to the SMTP server outside any transaction, and its outcome recorded in a
second transaction that only applies to that claim. A sender that dies between handing the
message over and recording the outcome leaves the row `sending`; once the claim expires it
becomes `unknown` and is listed for a person to check, never resent automatically: a duplicate
reminder is avoided at the price of a rare e-mail that may be missing, while the notification
itself is always in the app. (The alternative, holding the row lock during the SMTP exchange and
resending anything not recorded, is at least once; it would also hold SQLite's single write
lock for the length of an SMTP conversation.)
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.clock import BRUSSELS, Clock
from engine.db import Database

from . import mailer, overdue, reasons
from .mailer import Mail, SmtpTransport, Transient, Uncertain, Unreachable
from .models import Notification, User
from .settings import Settings

log = logging.getLogger(__name__)

BACKOFF_FIRST = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=1)
MAX_ATTEMPTS = 12  # 30 s, 1, 2, 4 ... minutes, then hourly: about eight hours in all
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
DIGEST_ITEMS = 50


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the `attempts`-th failed attempt (1-based): 30 s doubling, at most an hour."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    uncertain: int = 0
    skipped: int = 0
    expired: int = 0
    digests: int = 0
    more: bool = False  # stopped by its limits with e-mails still due

    def __bool__(self) -> bool:
        return any(v for k, v in vars(self).items() if k != "more")


class Outbox:
    """One deliverer of the notification outbox. Several may run at once, anywhere."""

    def __init__(self, db: Database, clock: Clock, settings: Settings, transport: SmtpTransport | None = None, *,
                 batch_limit: int = 500, budget: float = 30.0):
        self.db = db
        self.clock = clock
        self.settings = settings
        self.transport = transport or SmtpTransport(settings)
        self.batch_limit = batch_limit
        self.budget = budget

    def tick(self) -> DeliveryReport:
        """Expire stale claims, build due digests, send what is due."""
        report = DeliveryReport()
        report.expired = self.expire_claims()
        report.digests = make_digests(self.db, self.clock, self.settings)
        if self.transport.configured:
            self.deliver(report)
        if report:
            log.info("outbox: %s", ", ".join(f"{k} {v}" for k, v in vars(report).items() if v and k != "more"))
        return report

    def expire_claims(self) -> int:
        """Claims older than CLAIM_TIMEOUT belong to a sender that stopped: mark them `unknown`."""
        with self.db.transaction() as session:
            result = session.execute(
                update(Notification).where(Notification.email_status == "sending",
                                           Notification.next_attempt_at <= self.clock.now())
                .values(email_status="unknown",
                        last_error="the sender stopped while sending: it may or may not have gone out")
                .execution_options(synchronize_session=False))
            return result.rowcount or 0

    def deliver(self, report: DeliveryReport | None = None) -> DeliveryReport:
        """Send due e-mails one claim at a time, until none is due, the server fails, or time is up."""
        report = report if report is not None else DeliveryReport()
        started = time.monotonic()
        try:
            for n in range(self.batch_limit + 1):
                if n == self.batch_limit or time.monotonic() - started > self.budget:
                    report.more = True
                    break
                claimed = self._claim(report)
                if claimed is None:
                    break
                row_id, attempt, mail = claimed
                if not self._send(row_id, attempt, mail, report):
                    break  # the server is unreachable: the rest waits for a later tick
        finally:
            self.transport.close()
        return report

    def _claim(self, report: DeliveryReport) -> tuple[int, int, Mail] | None:
        with self.db.transaction() as session:
            now = self.clock.now()
            while True:
                row = session.scalar(select(Notification)
                                     .where(Notification.email_status == "pending", Notification.next_attempt_at <= now)
                                     .order_by(Notification.next_attempt_at, Notification.id).limit(1)
                                     .with_for_update(skip_locked=True, of=Notification))
                if row is None:
                    return None
                recipient = row.recipient
                if not recipient.email or not recipient.active:
                    row.email_status, row.last_error = "skipped", "no e-mail address, or the user is disabled"
                    report.skipped += 1
                    continue
                row.email_status, row.attempts = "sending", row.attempts + 1
                row.next_attempt_at = now + CLAIM_TIMEOUT
                return row.id, row.attempts, self._render(session, row, recipient, now)

    def _render(self, session: Session, row: Notification, recipient: User, now: dt.datetime) -> Mail:
        common = dict(key=row.key, name=recipient.display_name, to=recipient.email, locale=recipient.locale, now=now)
        if row.reason == reasons.DIGEST:
            items = session.scalars(select(Notification).where(Notification.id.in_(row.detail.get("items", []))))
            return mailer.render_digest(self.settings, new=[(n.reason, n.case.reference if n.case else None)
                                                            for n in items],
                                        overdue_tasks=row.detail.get("overdue_tasks", 0),
                                        overdue_actions=row.detail.get("overdue_actions", 0), **common)
        return mailer.render(self.settings, reason=row.reason, reference=row.case.reference if row.case else None,
                             **common)

    def _send(self, row_id: int, attempt: int, mail: Mail, report: DeliveryReport) -> bool:
        error: mailer.DeliveryError | None = None
        try:
            self.transport.send(mail)
        except mailer.DeliveryError as err:
            error = err
        with self.db.transaction() as session:
            now = self.clock.now()
            values: dict = {"last_error": str(error)[:500] if error else None}
            if error is None:
                values.update(email_status="sent", sent_at=now)
                report.sent += 1
            elif isinstance(error, Uncertain):
                values.update(email_status="unknown")
                report.uncertain += 1
            elif isinstance(error, Transient) and attempt < MAX_ATTEMPTS:
                values.update(email_status="pending", next_attempt_at=now + backoff(attempt))
                report.retrying += 1
            else:
                values.update(email_status="failed")
                report.failed += 1
            # Only this claim's outcome: a claim that expired meanwhile is left as it was.
            session.execute(update(Notification).where(Notification.id == row_id, Notification.email_status == "sending",
                                                       Notification.attempts == attempt)
                            .values(**values).execution_options(synchronize_session=False))
        if error is not None:
            log.warning("outbox: notification %d not sent (attempt %d): %s", row_id, attempt, type(error).__name__)
        return not isinstance(error, Unreachable)


# -- the daily digest ----------------------------------------------------------------------------
def digest_key(user: User, day: dt.date) -> str:
    return f"digest:{user.id}:{day.isoformat()}"


def make_digests(db: Database, clock: Clock, settings: Settings) -> int:
    """After the digest hour, one digest per person who chose it, once a day. Returns how many."""
    now = clock.now()
    local = now.astimezone(BRUSSELS)
    if local.hour < settings.digest_hour:
        return 0
    day = local.date()
    with db.transaction(write=False) as session:
        candidates = [u.id for u in session.scalars(select(User).where(
            User.email_digest.is_(True), User.active.is_(True), User.email.is_not(None)))]
        if not candidates:
            return 0
        done = set(session.scalars(select(Notification.recipient_id).where(
            Notification.reason == reasons.DIGEST, Notification.key.in_(
                [f"digest:{uid}:{day.isoformat()}" for uid in candidates]))))
    made = 0
    for user_id in candidates:
        if user_id not in done:
            made += _digest_for(db, user_id, day, now)
    return made


def _digest_for(db: Database, user_id: int, day: dt.date, now: dt.datetime) -> int:
    with db.transaction() as session:
        user = session.get(User, user_id)
        # The day's digest row is inserted first: its unique key is the claim, so of several
        # schedulers exactly one builds it. It exists even when there is nothing to say.
        row = Notification(key=digest_key(user, day), recipient_id=user.id, reason=reasons.DIGEST, created_at=now,
                           read_at=now, detail={}, email_status="skipped", attempts=0, next_attempt_at=now)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            return 0
        held = list(session.scalars(select(Notification).where(
            Notification.recipient_id == user.id, Notification.email_status == "digest")
            .order_by(Notification.created_at, Notification.id).limit(DIGEST_ITEMS).with_for_update(of=Notification)))
        n_tasks, n_actions = overdue.counts_for(session, user, now)
        row.detail = {"items": [n.id for n in held], "overdue_tasks": n_tasks, "overdue_actions": n_actions}
        for note in held:
            note.email_status = "digested"
        if held or n_tasks or n_actions:
            row.email_status = "pending"
            return 1
        return 0
