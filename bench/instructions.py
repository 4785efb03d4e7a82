"""Instructions per task completion (a verification, or a partner's report, on SQLite, through the
web app), counted by valgrind: a figure that does not move with the machine's speed.

The timings of bench/inbox.py swing by a third between hours on a shared machine; the number of
instructions the interpreter executes for the same request hardly moves (two runs of the same
code differ by up to 1.5%: task ids are random, and the clock starts at today's date). Use it to
compare two versions of the code: run this file in each tree.

It runs the same program twice under `valgrind --tool=callgrind`, once completing `--warm`
completions and once `--warm` + `--count`, and divides the difference by `--count`, so that
start-up, seeding and the first requests (compiled templates, filled caches) cancel out.
Hash randomisation is off in both runs. About three minutes on a 2-core machine.

    .venv/bin/python bench/instructions.py [--step verify|report] [--count 20] [--warm 5]

--step report counts sophie's report on her action of a plan being followed (bench/inbox.py's
second completion): a larger state (28 KB, 51 tasks), where SpiffWorkflow's work dominates.

It counts CPU work only: on PostgreSQL the time spent waiting for the server, and on SQLite the
time the kernel spends writing the log, do not show (see bench/inbox.py for those).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def complete(step: str, completions: int, prepared: int) -> None:
    """The measured program: a fresh SQLite deployment with `prepared` cases at `step` (the same
    in both runs), then `completions` of them completed through the web app."""
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import inbox as bench  # the inbox bench's harness: its clients, probes and sample forms

    from engine.bundles import Bundle
    from engine.clock import ManualClock
    from engine.deployments import deploy
    from web import create_app
    from workflows import demo, schema, services
    from workflows.bootstrap import build
    from workflows.cases import get_case
    from workflows.settings import Settings

    url = f"sqlite:///{tempfile.mkdtemp(prefix='cw-instructions-')}/bench.db"
    schema.upgrade(url)
    casework = build(Settings(database_url=url), clock=ManualClock())
    with casework.db.transaction() as session:
        deploy(session, Bundle.from_directory(ROOT / "bpmn"), codec=casework.runtime.codec,
               now=casework.clock.now(), author="bench", services=set(services.HANDLERS))
        demo.ensure_demo_users(session, casework.clock.now())
    app = create_app({"CASEWORK": casework, "SECRET_KEY": "bench"})
    bench.SERVER = app.wsgi_app = bench.ServerClock(app.wsgi_app)
    client = app.test_client()
    if step == "report":
        tasks = bench.reports_due(casework, prepared)
        token = bench.login(client, "sophie")
        fields = bench.form_fields(demo.SAMPLES["report_action"]({}))
    else:
        tasks = bench.fresh_requests(casework, prepared)
        token = bench.login(client, "anne")
        with casework.db.transaction(write=False) as session:
            fields = bench.form_fields(demo.sample(session, casework.runtime, get_case(session, tasks[0][0]),
                                                   "verify_request"))
    probe = bench.completing(client, tasks, [("csrf_token", token), *fields])
    for _ in range(completions):
        probe()


def counted(step: str, completions: int, prepared: int) -> int:
    """Instructions of a whole run of `complete(step, completions, prepared)` under callgrind."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
               "--step", step, "--run", str(completions), "--prepared", str(prepared)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
                          cwd=ROOT, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit("valgrind printed no count:\n" + done.stderr[-2000:])
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", choices=["verify", "report"], default="verify",
                        help="a case manager's verification, or a partner's report")
    parser.add_argument("--count", type=int, default=20, help="completions measured")
    parser.add_argument("--warm", type=int, default=5, help="completions in both runs (not measured)")
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)  # the measured program itself
    parser.add_argument("--prepared", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run is not None:
        complete(args.step, args.run, args.prepared)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is missing: apt-get install valgrind")
    prepared = max(40, args.warm + args.count)  # the same cases in both runs, whatever is measured
    base, more = counted(args.step, args.warm, prepared), counted(args.step, args.warm + args.count, prepared)
    what = "verification" if args.step == "verify" else "partner's report"
    print(f"{(more - base) / args.count / 1e6:.2f} million instructions per {what} "
          f"({args.count} measured, {args.warm} before them in both runs)")


if __name__ == "__main__":
    main()
