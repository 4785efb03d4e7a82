"""The open tasks the runtime keeps for a held case stay true across savepoints."""

from engine.models import ProcessInstance
from workflows import cases, demo, tasks
from workflows.users import find_active


def _case(app, session, pseudonym):
    anne = find_active(session, "anne")
    case = cases.start_case(session, app.runtime, actor=anne, requester_kind="family",
                            youth_pseudonym=pseudonym, age_band="12-15", region="Brabant wallon")
    session.flush()
    return anne, case


def test_open_tasks_after_a_savepoint_released_show_what_it_did(app):
    with app.db.transaction() as session:
        anne, case = _case(app, session, "Jeune O.")
        verify = demo.open_task(session, case, "verify_request")
        answers = demo.sample(session, app.runtime, case, "verify_request")
    with app.db.transaction() as session:
        anne = find_active(session, "anne")
        held = tasks.hold(session, app.runtime, verify.id)
        instance = session.get(ProcessInstance, case.instance_id)
        assert [t.spec_name for t in app.runtime.open_tasks(session, instance)] == ["verify_request"]
        with session.begin_nested():
            tasks.complete(session, app.runtime, anne, verify.id, answers, held=held)
        assert [t.spec_name for t in app.runtime.open_tasks(session, instance)] == ["clarification_interview"]


def test_open_tasks_after_a_savepoint_rolled_back_show_the_rows_as_before(app):
    with app.db.transaction() as session:
        anne, case = _case(app, session, "Jeune P.")
        verify = demo.open_task(session, case, "verify_request")
        answers = demo.sample(session, app.runtime, case, "verify_request")
    with app.db.transaction() as session:
        anne = find_active(session, "anne")
        held = tasks.hold(session, app.runtime, verify.id)
        instance = session.get(ProcessInstance, case.instance_id)
        savepoint = session.begin_nested()
        tasks.complete(session, app.runtime, anne, verify.id, answers, held=held)
        savepoint.rollback()
        assert [t.id for t in app.runtime.open_tasks(session, instance)] == [verify.id]
