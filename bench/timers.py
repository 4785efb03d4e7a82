"""Due timers on PostgreSQL, fired by real `casework scheduler` processes: throughput and latency.

Two scenarios, each with 1 and 2 scheduler processes, and with 0 or N other open cases whose
timers are not due (they sit in the same table and index):

- backlog: D cases whose consent reminder falls due at the same instant (D = 10,000): the time
  from that instant until the last reminder is visible, and each reminder's latency.
- steady: T reminders falling due one after the other over 60 s: latency from each one's due
  time until its notification is visible, which is what a person waiting for it sees.

Cases are one real case, cloned in SQL (new task ids and references, due time rewritten in the
state and in its column), so what the schedulers fire are real workflows. Latency is measured
by this process polling the notification table every 50 ms (so it includes up to 50 ms of
polling and the commit of the scheduler's batch). The schedulers run with their defaults
(5 s interval, waking at the next due time), without e-mail (the notification row is the
reminder; e-mails go out from it, see tests/integration/test_notifications_outbox.py).

    .venv/bin/python bench/timers.py [--due 10000] [--idle 10000] [--steady 300] [--quick]
                                     [--spread 60] [--margin 15] [--schedulers 1,2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.bundles import Bundle  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.deployments import deploy  # noqa: E402
from tests.timer_cases import case_at, clone_instances  # noqa: E402
from workflows import demo, schema, services  # noqa: E402
from workflows.bootstrap import build  # noqa: E402
from workflows.settings import Settings  # noqa: E402

ADMIN_URL = os.environ.get("CASEWORK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
UTC = dt.UTC


def url_of(name: str) -> str:
    return sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


class Databases:
    """A migrated template with the process deployed and two real cases; a fresh copy per run."""

    def __init__(self) -> None:
        self.admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.prefix = f"cw_bench_timers_{os.getpid()}"
        self.template = self.prefix + "_base"
        self.made: list[str] = []
        self._create(self.template)
        url = url_of(self.template)
        schema.upgrade(url)
        clock = ManualClock(dt.datetime.now(UTC))
        app = build(Settings(database_url=url), clock=clock)
        with app.db.transaction() as session:
            deploy(session, Bundle.from_directory(ROOT / "bpmn"), codec=app.runtime.codec, now=clock.now(),
                   author="bench", services=set(services.HANDLERS))
            demo.ensure_demo_users(session, clock.now())
        self.due_ref = case_at(app, "consent_reminder")  # reminder in 7 days: rewritten per copy
        self.idle_ref = case_at(app, "concertation_reminder")  # reminder in 21 days: never due here
        app.close()

    def _create(self, name: str, template: str | None = None) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.made.append(name)

    def fresh(self) -> str:
        name = f"{self.prefix}_{uuid.uuid4().hex[:6]}"
        self._create(name, self.template)
        return url_of(name)

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for name in reversed(self.made):
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


def seed(url: str, dbs: Databases, due_times: list[dt.datetime], idle: int) -> dict[str, dt.datetime]:
    app = build(Settings(database_url=url))
    with app.db.transaction() as session:
        if idle:
            clone_instances(session, dbs.idle_ref, idle)
        refs = clone_instances(session, dbs.due_ref, len(due_times), due_times=due_times)
        # the two template cases take no part in the measure
        session.execute(sa.text("UPDATE process_instance SET next_timer_due = NULL WHERE business_key IN (:a, :b)"),
                        {"a": dbs.due_ref, "b": dbs.idle_ref})
    with app.db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    app.close()
    return dict(zip(refs, due_times, strict=True))


def start_schedulers(url: str, n: int) -> list[subprocess.Popen]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env["CASEWORK_DATABASE_URL"] = url
    return [subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()", "scheduler", "--no-email"],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(n)]


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()


def watch(url: str, expected: int, timeout: float) -> dict[str, float]:
    """Poll until `expected` notifications are visible: {case reference: wall time first seen}."""
    engine = sa.create_engine(url)
    seen: dict[int, tuple[str, float]] = {}
    floor = 0  # every id up to here was seen (batches of two schedulers commit out of id order)
    deadline = time.monotonic() + timeout
    with engine.connect() as connection:
        while len(seen) < expected and time.monotonic() < deadline:
            rows = connection.execute(sa.text("SELECT id, key FROM notification WHERE id > :f ORDER BY id"),
                                      {"f": floor}).all()
            connection.rollback()
            now = time.time()
            for note_id, key in rows:
                seen.setdefault(note_id, (key.split(":")[0], now))
            while floor + 1 in seen:
                floor += 1
            time.sleep(0.05)
    engine.dispose()
    return {ref: at for ref, at in seen.values()}


def exactly_once(url: str, refs: dict[str, dt.datetime]) -> bool:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        notes = Counter(k.split(":")[0] for (k,) in connection.execute(sa.text("SELECT key FROM notification")))
        fired = Counter(i for (i,) in connection.execute(
            sa.text("SELECT instance_id FROM audit_event WHERE kind = 'timers_fired'")))
        moved = connection.execute(sa.text(
            "SELECT business_key, next_timer_due FROM process_instance WHERE business_key = ANY(:keys)"),
            {"keys": list(refs)}).all()
    engine.dispose()
    return (set(notes) == set(refs) and set(notes.values()) == {1} and set(fired.values()) == {1}
            and len(fired) == len(refs)
            and all(due == refs[key] + dt.timedelta(days=7) for key, due in moved))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(dbs: Databases, *, kind: str, schedulers: int, idle: int, count: int, spread_s: float = 60.0,
        margin_s: float = 15.0) -> dict:
    url = dbs.fresh()
    # The first timer falls due once the copies are seeded and the schedulers are up and idle.
    margin = margin_s + (count + idle) * 0.002
    t0 = dt.datetime.now(UTC) + dt.timedelta(seconds=margin)
    spread = 0.0 if kind == "backlog" else spread_s
    dues = [t0 + dt.timedelta(seconds=spread * i / max(count - 1, 1)) for i in range(count)]
    seeded_at = time.time()
    refs = seed(url, dbs, dues, idle)
    seeding = time.time() - seeded_at
    if (t0 - dt.datetime.now(UTC)).total_seconds() < min(8.0, margin_s / 2):
        print(f"warning: seeding took {seeding:.0f} s; the schedulers may start late", file=sys.stderr)
    procs = start_schedulers(url, schedulers)
    try:
        seen = watch(url, count, timeout=(t0 - dt.datetime.now(UTC)).total_seconds() + spread + 240)
    finally:
        stop(procs)
    latencies = [seen[ref] - refs[ref].timestamp() for ref in seen]
    last = max(seen.values()) - t0.timestamp() if seen else float("nan")
    return {"kind": kind, "schedulers": schedulers, "idle": idle, "count": count, "seen": len(seen),
            "all_s": last, "p50": statistics.median(latencies) if latencies else float("nan"),
            "p95": percentile(latencies, 95) if latencies else float("nan"),
            "max": max(latencies) if latencies else float("nan"), "once": exactly_once(url, refs),
            "seeding_s": seeding}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--due", type=int, default=10_000, help="cases falling due at once (backlog)")
    parser.add_argument("--idle", type=int, default=10_000, help="other open cases, not due")
    parser.add_argument("--steady", type=int, default=300, help="reminders falling due over 60 s (steady)")
    parser.add_argument("--quick", action="store_true", help="1,000 due, 1,000 idle, 60 steady")
    parser.add_argument("--spread", type=float, default=60.0, help="seconds the steady reminders fall due over")
    parser.add_argument("--margin", type=float, default=15.0,
                        help="seconds from seeding to the first due time (the schedulers start meanwhile)")
    parser.add_argument("--schedulers", default="1,2", help="scheduler process counts to run, comma-separated")
    args = parser.parse_args()
    if args.quick:
        args.due, args.idle, args.steady = 1000, 1000, 60
    dbs = Databases()
    results = []
    try:
        for kind, count in (("backlog", args.due), ("steady", args.steady)):
            for idle in (0, args.idle):
                for schedulers in (int(n) for n in args.schedulers.split(",")):
                    result = run(dbs, kind=kind, schedulers=schedulers, idle=idle, count=count,
                                 spread_s=args.spread, margin_s=args.margin)
                    results.append(result)
                    print_row(result, header=len(results) == 1)
    finally:
        dbs.drop_all()
    ok = all(r["once"] and r["seen"] == r["count"] for r in results)
    backlog = [r for r in results if r["kind"] == "backlog"]
    steady = [r for r in results if r["kind"] == "steady"]
    print()
    print(f"each reminder exactly once: {'yes' if ok else 'NO'}")
    print(f"backlog of {args.due}: all fired within {max(r['all_s'] for r in backlog):.1f} s at worst (target 60 s)")
    print(f"steady arrivals over {args.spread:.0f} s: latency max {max(r['max'] for r in steady):.2f} s at worst (target 5 s), "
          f"p95 {max(r['p95'] for r in steady):.2f} s")


def print_row(r: dict, header: bool) -> None:
    if header:
        print(f"{'scenario':<8} {'schedulers':>10} {'other open':>10} {'due':>6} {'all fired':>10} "
              f"{'p50':>7} {'p95':>7} {'max':>7} {'once':>5}")
    all_fired = f"{r['all_s']:>9.1f}s" if r["kind"] == "backlog" else f"{'-':>10}"
    print(f"{r['kind']:<8} {r['schedulers']:>10} {r['idle']:>10} {r['count']:>6} {all_fired} "
          f"{r['p50']:>6.2f}s {r['p95']:>6.2f}s {r['max']:>6.2f}s {'yes' if r['once'] else 'NO':>5}", flush=True)


if __name__ == "__main__":
    main()
