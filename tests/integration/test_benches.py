"""The benchmarks still run: each, tiny, as the README tells to run it (they measure nothing here).

A change of a statement's parameters once broke `bench/inbox.py --explain` unnoticed: benches are
run by hand, seldom, and their figures are quoted in the README.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_the_inbox_bench_runs_and_explains_its_plans(db):
    out = _run("bench/inbox.py", "--cases", "60", "--requests", "3", "--db", db, "--explain")
    assert "plan of the read that holds a report" in out
    assert "task completion (report, partner)" in out and "inbox (anne, drafts)" in out
    assert f"{db}: inbox p95 at most" in out


def test_the_lifecycle_bench_runs():
    out = _run("bench/lifecycle.py", "--cases", "5", "--rounds", "1")
    assert "ratio runtime / baseline" in out


def test_the_timers_bench_runs():
    # Real scheduler processes on PostgreSQL, a handful of timers, both scenarios, one scheduler.
    out = _run("bench/timers.py", "--due", "4", "--idle", "4", "--steady", "3", "--spread", "2",
               "--margin", "4", "--schedulers", "1")
    assert "each reminder exactly once: yes" in out, out
    assert "backlog of 4: all fired within" in out and "steady arrivals over 2 s" in out, out
