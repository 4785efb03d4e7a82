"""Two completions of the same task at once: one wins, the other gets a clear conflict."""

import threading

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from engine.errors import ConflictError, TaskStateError
from engine.models import ProcessInstance
from workflows import cases, demo, tasks
from workflows.models import FormSubmission
from workflows.users import find_active

from .helpers import case_at_verification


def test_concurrency_same_task_twice_one_wins(app):
    case = case_at_verification(app, "Jeune C.")
    reference, instance_id, task_id, answers = case.reference, case.instance_id, case.task_id, case.answers
    with app.db.transaction(write=False) as session:
        revision = session.get(ProcessInstance, instance_id).revision

    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def complete():
        barrier.wait()
        try:
            with app.db.transaction() as session:
                tasks.complete(session, app.runtime, find_active(session, "anne"), task_id, answers)
            outcomes.append("ok")
        except ConflictError as err:  # TaskStateError is a ConflictError
            outcomes.append(err)

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(map(str, outcomes)).count("ok") == 1, outcomes
    [error] = [o for o in outcomes if o != "ok"]
    assert "already completed" in str(error) or "changed" in str(error) or "no longer open" in str(error)
    with app.db.transaction(write=False) as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance.revision == revision + 1
        app.runtime.load(session, instance)
        assert session.scalar(select(func.count()).select_from(FormSubmission)) == 1
        assert demo.open_task(session, cases.get_case(session, reference), "clarification_interview")


def test_concurrency_stale_revision_is_a_conflict_and_saves_nothing(app):
    case = case_at_verification(app, "Jeune D.")
    task_id, answers = case.task_id, case.answers
    with app.db.transaction(write=False) as session:
        revision = session.get(ProcessInstance, case.instance_id).revision
    with pytest.raises(ConflictError):
        with app.db.transaction() as session:
            tasks.complete(session, app.runtime, find_active(session, "anne"), task_id, answers,
                           expected_revision=revision - 1)
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(FormSubmission)) == 0


def test_reassigned_case_sends_its_next_tasks_to_the_new_case_manager(app):
    with app.db.transaction() as session:
        anne, marc = find_active(session, "anne"), find_active(session, "marc")
        case = cases.start_case(session, app.runtime, actor=anne, requester_kind="family",
                                youth_pseudonym="Jeune R.", age_band="12-15", region="Brabant wallon")
        cases.reassign(session, case, actor=anne, to=marc, now=app.clock.now())
        assert demo.open_task(session, case, "verify_request").assignee == "marc"
        demo.advance(session, app.runtime, case, "verify_request")
        assert demo.open_task(session, case, "clarification_interview").assignee == "marc"


def _one_waits_for_the_other(holder, waiter) -> dict[str, object]:
    """Run `holder(held, release)`, which sets `held` once its transaction holds the case and
    keeps it until `release` is set, then `waiter()` in another thread; check that the waiter is
    still waiting for the case half a second later. What each returned or raised, by name."""
    held, release = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def run(name, work):
        try:
            outcomes[name] = work()
        except Exception as err:  # noqa: BLE001 - the test looks at it
            outcomes[name] = err

    def wait_then_run():
        held.wait(30)
        run("waiter", waiter)

    threads = [threading.Thread(target=run, args=("holder", lambda: holder(held, release))),
               threading.Thread(target=wait_then_run)]
    for thread in threads:
        thread.start()
    held.wait(30)
    threads[1].join(timeout=0.5)
    assert "waiter" not in outcomes  # waiting for the case, not writing beside the holder
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _complete(app, task_id: str, answers) -> str:
    with app.db.transaction() as session:
        tasks.complete(session, app.runtime, find_active(session, "anne"), task_id, answers)
    return "ok"


def test_a_second_completion_waits_for_the_first_then_finds_the_task_gone(app):
    case = case_at_verification(app, "Jeune W.")

    def first(held, release):
        with app.db.transaction() as session:
            tasks.complete(session, app.runtime, find_active(session, "anne"), case.task_id, case.answers)
            held.set()
            release.wait(30)  # the case stays held until this transaction commits
        return "ok"

    outcomes = _one_waits_for_the_other(first, lambda: _complete(app, case.task_id, case.answers))
    assert outcomes["holder"] == "ok"
    assert isinstance(outcomes["waiter"], TaskStateError)
    assert "already completed by anne" in str(outcomes["waiter"])
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(FormSubmission)) == 1


def test_a_save_that_finds_its_instance_rewritten_is_a_conflict_and_writes_nothing(app):
    # The save's UPDATE is checked against the revision the instance was read at. On
    # PostgreSQL the task rows, the audit event and the submission ride in that statement and
    # are written whatever it matches: the conflict must take them all back.
    from sqlalchemy import update

    from engine.models import AuditEvent, HumanTask

    case = case_at_verification(app, "Jeune V.")
    with app.db.transaction(write=False) as session:
        before = session.get(ProcessInstance, case.instance_id)
        state, revision = before.state, before.revision
    with pytest.raises(ConflictError, match="same time"):
        with app.db.transaction() as session:
            held = tasks.hold(session, app.runtime, case.task_id)
            # Someone else's save, as the database sees it (the session's object keeps the old revision).
            session.connection().execute(update(ProcessInstance.__table__)
                                         .where(ProcessInstance.__table__.c.id == case.instance_id)
                                         .values(revision=revision + 1))
            tasks.complete(session, app.runtime, find_active(session, "anne"), case.task_id, case.answers, held=held)
    with app.db.transaction(write=False) as session:
        after = session.get(ProcessInstance, case.instance_id)
        assert (after.state, after.revision) == (state, revision)
        assert [t.id for t in session.scalars(select(HumanTask).where(HumanTask.instance_id == case.instance_id))] \
            == [case.task_id]
        assert session.scalar(select(func.count()).select_from(FormSubmission)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.kind == "task_completed")) == 0


def test_a_completion_that_waited_for_another_step_sees_the_tasks_that_step_opened(app):
    # A youth's complaint arrives (the process opens a task to acknowledge it) while the case
    # manager completes the verification. The completion reads the case's open tasks in the
    # statement that locks the case; on PostgreSQL that statement waits for the message's
    # transaction, and must then read the open tasks again: otherwise it would not know the
    # acknowledgement task and would write it a second time.
    from engine.models import HumanTask
    from workflows import messages

    case = case_at_verification(app, "Jeune M.")

    def complaint(held, release):
        with app.db.transaction() as session:
            messages.record(session, app.runtime, user=find_active(session, "anne"),
                            case=cases.get_case(session, case.reference), kind="complaint", text="Personne ne m'écoute.")
            held.set()
            release.wait(30)
        return "ok"

    outcomes = _one_waits_for_the_other(complaint, lambda: _complete(app, case.task_id, case.answers))
    assert outcomes == {"holder": "ok", "waiter": "ok"}
    with app.db.transaction(write=False) as session:
        rows = sorted(session.scalars(select(HumanTask.spec_name).where(HumanTask.instance_id == case.instance_id)))
        instance = session.get(ProcessInstance, case.instance_id)
        workflow = app.runtime.load(session, instance)
        ready = sorted(t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True))
    assert rows == ready == ["acknowledge_youth_message", "clarification_interview"]
