"""The open tasks the runtime keeps for a held case stay true across savepoints."""

from engine.models import ProcessInstance
from workflows import tasks
from workflows.users import find_active

from .helpers import case_at_verification


def test_open_tasks_after_a_savepoint_released_show_what_it_did(app):
    case = case_at_verification(app, "Jeune O.")
    with app.db.transaction() as session:
        anne = find_active(session, "anne")
        held = tasks.hold(session, app.runtime, case.task_id)
        instance = session.get(ProcessInstance, case.instance_id)
        assert [t.spec_name for t in app.runtime.open_tasks(session, instance)] == ["verify_request"]
        with session.begin_nested():
            tasks.complete(session, app.runtime, anne, case.task_id, case.answers, held=held)
        assert [t.spec_name for t in app.runtime.open_tasks(session, instance)] == ["clarification_interview"]


def test_open_tasks_after_a_savepoint_rolled_back_show_the_rows_as_before(app):
    case = case_at_verification(app, "Jeune P.")
    with app.db.transaction() as session:
        anne = find_active(session, "anne")
        held = tasks.hold(session, app.runtime, case.task_id)
        instance = session.get(ProcessInstance, case.instance_id)
        savepoint = session.begin_nested()
        tasks.complete(session, app.runtime, anne, case.task_id, case.answers, held=held)
        savepoint.rollback()
        assert [t.id for t in app.runtime.open_tasks(session, instance)] == [case.task_id]
