"""A worker killed with SIGKILL between loading a case and committing leaves it unchanged."""

import json
import os
import signal
import subprocess
import sys

from sqlalchemy import func, select

from engine.models import AuditEvent, HumanTask, ProcessInstance
from tests.conftest import ROOT
from workflows import cases, demo, tasks
from workflows.models import Consent, FormSubmission
from workflows.users import find_active


def snapshot(app, reference):
    with app.db.transaction(write=False) as session:
        case = cases.get_case(session, reference)
        instance = session.get(ProcessInstance, case.instance_id)
        return {
            "revision": instance.revision, "state": instance.state, "status": instance.status,
            "tasks": sorted(session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance.id))),
            "audit": session.scalar(select(func.count()).select_from(AuditEvent)),
            "forms": session.scalar(select(func.count()).select_from(FormSubmission)),
            "consents": session.scalar(select(func.count()).select_from(Consent)),
        }


def test_crash_sigkill_before_commit_leaves_the_case_unchanged_and_loadable(app):
    with app.db.transaction() as session:
        manager = find_active(session, "anne")
        case = cases.start_case(session, app.runtime, actor=manager, requester_kind="family",
                                youth_pseudonym="Jeune K.", age_band="12-15", region="Brabant wallon")
        reference = case.reference
        task_id = demo.open_task(session, case, "verify_request").id
        answers = demo.sample(session, app.runtime, case, "verify_request")
    before = snapshot(app, reference)

    worker = subprocess.Popen([sys.executable, str(ROOT / "tests" / "integration" / "crash_worker.py"),
                               app.settings.database_url, task_id, "anne", json.dumps(answers)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = worker.stdout.readline()
        assert line.strip() == "FLUSHED", worker.stderr.read()
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL

    assert snapshot(app, reference) == before
    # Still loadable, and the same task can be completed now.
    with app.db.transaction() as session:
        case = cases.get_case(session, reference)
        app.runtime.load(session, session.get(ProcessInstance, case.instance_id))
        tasks.complete(session, app.runtime, find_active(session, "anne"), task_id, answers)
    after = snapshot(app, reference)
    assert after["revision"] == before["revision"] + 1
    assert after["forms"] == before["forms"] + 1
