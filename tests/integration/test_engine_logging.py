"""SpiffWorkflow's task log: silent by default, with its details when someone turns it up."""

import logging

from SpiffWorkflow.util.task import TaskState

from engine.models import ProcessInstance

from .helpers import case_at_verification


def test_spiff_task_log_carries_its_details_only_when_turned_up(app, caplog):
    case = case_at_verification(app, "Jeune L.")
    with app.db.transaction(write=False) as session:
        workflow = app.runtime.load(session, session.get(ProcessInstance, case.instance_id))
    task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    assert task.collect_log_extras() is None  # nothing built for a logger that drops it

    caplog.set_level(logging.INFO, logger="spiff.task")
    assert task.collect_log_extras()["task_spec"] == "verify_request"
    case_at_verification(app, "Jeune K.")
    changes = [r for r in caplog.records if r.name == "spiff.task" and r.getMessage().startswith("State changed")]
    assert changes and all(hasattr(r, "task_spec") and hasattr(r, "elapsed") for r in changes)
