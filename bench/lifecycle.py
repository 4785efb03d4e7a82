"""Full case lifecycles through the runtime on SQLite, against SpiffWorkflow in memory.

Both sides run the same diagram (bpmn/), the same restricted script engine and the same task
data; the baseline wraps every task in a JSON round trip (deserialize, act, serialize), which is
the engine's own floor for a service that keeps no workflow in memory between requests. It runs
SpiffWorkflow as released: its serializer, and its passes to the next wait (engine.runtime
installs its own, which run the same steps with fewer walks of the task tree). The runtime side
also writes the instance, its derived rows and an audit event in one SQLite transaction per step.

    .venv/bin/python bench/lifecycle.py [--cases 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import clock as clock_mod  # noqa: E402
from engine import runtime as runtime_mod  # noqa: E402
from engine.bundles import Bundle  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.db import Database  # noqa: E402
from engine.deployments import deploy  # noqa: E402
from engine.models import HumanTask, ProcessInstance  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from engine.scripting import RestrictedEnvironment, ScriptEngine  # noqa: E402
from engine.serializer import WorkflowCodec  # noqa: E402
from workflows import schema  # noqa: E402

START = {"case_ref": "CM-BENCH", "case_manager": "anne", "pass_number": 0, "consent_attempts": 0}
DUE = "2026-04-01"
STEPS = [  # (task spec name, data) in the order the happy path asks for them
    ("verify_request", {"youth_age": 15, "lives_in_region": True, "severe_complex_multiple": True,
                        "failed_attempts": 3, "consent": "given", "youth_endangered": False,
                        "clarification_interview": True, "consent_attempts": 0}),
    ("clarification_interview", {"held_on": "2026-03-03"}),
    ("concertation", {"pass_number": 1, "plan_version": 1, "youth_present": True, "plan_actions": [
        {"id": 1, "carrier": "sophie", "due": DUE, "remind_from": "2026-04-02T07:00:00+00:00"},
        {"id": 2, "carrier": "karim", "due": DUE, "remind_from": "2026-04-02T07:00:00+00:00"}],
        "action_results": []}),
    ("report_action", {"action_result": {"id": 1, "status": "done"}}),
    ("report_action", {"action_result": {"id": 2, "status": "done"}}),
    ("evaluation", {"objectives_met": True, "pass_number": 1}),
    ("exit_case", {"exit_reason": "objectives_met"}),
    ("post_exit_check_in", {"situation": "stable"}),
]


def noop_service(call):
    return {"queued": False}


SERVICES = {"notify": noop_service, "inform_professionals": noop_service}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@contextlib.contextmanager
def spiffworkflow_as_released():
    """SpiffWorkflow's own passes to the next wait, instead of those engine.runtime installs."""
    ours = BpmnWorkflow._do_engine_steps, Workflow.update_waiting_tasks
    BpmnWorkflow._do_engine_steps = runtime_mod._SPIFF_DO_ENGINE_STEPS
    Workflow.update_waiting_tasks = runtime_mod._SPIFF_UPDATE_WAITING_TASKS
    try:
        yield
    finally:
        BpmnWorkflow._do_engine_steps, Workflow.update_waiting_tasks = ours


# -- baseline: SpiffWorkflow in memory, a JSON round trip around every task -------------------------------
def run_baseline(spec_json: str, cases: int, clock: ManualClock) -> tuple[float, list[float]]:
    codec = WorkflowCodec()
    # SpiffWorkflow's own serializer, as its docs show it: the spec travels inside every JSON.
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    engine = ScriptEngine(RestrictedEnvironment(), lambda task, op, params: noop_service(None))

    def load(state):
        wf = serializer.deserialize_json(state)
        wf.script_engine = engine
        return wf

    steps: list[float] = []
    started = time.perf_counter()
    with clock_mod.using(clock), spiffworkflow_as_released():
        for _ in range(cases):
            t0 = time.perf_counter()
            wf = codec.new_workflow(codec.restore_specs(spec_json), engine)
            wf.data.update(START)
            wf.get_next_task(state=TaskState.READY).set_data(**START)
            wf.do_engine_steps()
            state = serializer.serialize_json(wf)
            for name, data in STEPS:
                if name == "post_exit_check_in":
                    wf = load(state)
                    clock.advance(days=100)
                    wf.refresh_timers()
                    wf.do_engine_steps()
                    state = serializer.serialize_json(wf)
                    clock.advance(days=-100)
                t0 = time.perf_counter()
                wf = load(state)
                task = next(t for t in wf.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.name == name)
                task.set_data(**data)
                task.run()
                wf.do_engine_steps()
                state = serializer.serialize_json(wf)
                steps.append(time.perf_counter() - t0)
            assert wf.is_completed(), "baseline case did not complete"
    return time.perf_counter() - started, steps


# -- the runtime: SQLite, one transaction per step ------------------------------------------------------------
def run_runtime(db: Database, runtime: Runtime, version_id: int, cases: int, clock: ManualClock) -> tuple[float, list[float]]:
    from engine.models import ProcessVersion

    steps: list[float] = []
    started = time.perf_counter()
    for _ in range(cases):
        with db.transaction() as session:
            version = session.get(ProcessVersion, version_id)
            instance = runtime.start(session, version, business_key="B-" + uuid.uuid4().hex[:12], data=START,
                                     actor="bench")
            instance_id = instance.id
        for name, data in STEPS:
            if name == "post_exit_check_in":
                clock.advance(days=100)
                with db.transaction() as session:
                    runtime.fire_timers(session, instance_id)
                clock.advance(days=-100)
            t0 = time.perf_counter()
            with db.transaction() as session:
                task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                                    HumanTask.spec_name == name).limit(1))
                runtime.complete_task(session, task_id, data, actor="bench")
            steps.append(time.perf_counter() - t0)
        with db.transaction(write=False) as session:
            assert session.get(ProcessInstance, instance_id).status == "completed", "runtime case did not complete"
    return time.perf_counter() - started, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="alternate baseline and runtime this many times")
    args = parser.parse_args()
    per_round = max(1, args.cases // args.rounds)

    tmp = Path(tempfile.mkdtemp(prefix="casework-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    schema.upgrade(url)
    clock = ManualClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    runtime = Runtime(clock=clock, services=SERVICES)
    db = Database(url)
    with db.transaction() as session:
        version, _ = deploy(session, Bundle.from_directory(ROOT / "bpmn"), codec=runtime.codec, now=clock.now(),
                            author="bench", services=set(SERVICES))
        version_id, spec_json = version.id, version.spec_json

    run_baseline(spec_json, 20, clock)  # warm up both paths (imports, caches)
    run_runtime(db, runtime, version_id, 20, clock)

    base_totals, run_totals, base_steps, run_steps = [], [], [], []
    for _ in range(args.rounds):
        total, steps = run_baseline(spec_json, per_round, clock)
        base_totals.append(total)
        base_steps += steps
        total, steps = run_runtime(db, runtime, version_id, per_round, clock)
        run_totals.append(total)
        run_steps += steps
    with db.transaction(write=False) as session:
        size = statistics.median(len(s) for s in session.scalars(select(ProcessInstance.state).limit(200)))
    db.dispose()

    n = per_round * args.rounds
    ratios = [r / b for r, b in zip(run_totals, base_totals, strict=True)]
    print(f"casework lifecycle benchmark: {n} complete cases ({len(STEPS)} user tasks, a start and a timer each), "
          f"{args.rounds} rounds, SQLite")
    print(f"  baseline (SpiffWorkflow in memory, JSON round trip per task): "
          f"{per_round / statistics.median(base_totals):7.1f} cases/s   "
          f"task completion p50 {1000 * statistics.median(base_steps):.2f} ms  p95 {1000 * percentile(base_steps, 0.95):.2f} ms")
    print(f"  runtime  (SQLite, one transaction per step):                  "
          f"{per_round / statistics.median(run_totals):7.1f} cases/s   "
          f"task completion p50 {1000 * statistics.median(run_steps):.2f} ms  p95 {1000 * percentile(run_steps, 0.95):.2f} ms")
    print(f"  ratio runtime / baseline (median of rounds): {statistics.median(ratios):.2f}  "
          f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)}; target <= 1.5)")
    print(f"  stored state per completed case: {size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
