"""How many SQL statements a completion costs: each one is a round trip on PostgreSQL."""

from sqlalchemy import event

from engine.models import ProcessInstance
from workflows import drafts, tasks
from workflows.users import find_active

from .helpers import case_at_verification


def _statements(app):
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        seen.append(" ".join(statement.split())[:60])

    event.listen(app.db.write_engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(app.db.write_engine, "before_cursor_execute", record)


def test_completing_a_task_reads_its_rows_once_and_writes_each_record_once(app):
    case = case_at_verification(app, "Jeune S.")
    task_id, answers = case.task_id, case.answers
    with app.db.transaction() as session:
        anne = find_active(session, "anne")
        seen, stop = _statements(app)
        try:
            tasks.complete(session, app.runtime, anne, task_id, answers)
        finally:
            stop()
    # Caches filled once per process (the spec pool's copy, the parsed form) are not counted;
    # nor is SQLite's second consent INSERT (PostgreSQL sends both rows in one statement).
    seen = [s for i, s in enumerate(seen) if not ("spec_json" in s or "process_version.files" in s)
            and not (i and s.startswith("INSERT") and s == seen[i - 1])]
    # Hold the case and read its open tasks in the same statement (with the case, the version,
    # whether a draft exists, the consents recorded so far), then the save: the workflow, the
    # completed task out, the next one in, the audit event, the submission and the two consents
    # (one statement on PostgreSQL).
    assert len(seen) <= (2 if app.db.dialect == "postgresql" else 7), "\n".join(seen)
    assert not any(s.startswith("SELECT consent") for s in seen), seen
    assert sum(s.startswith("SELECT process_instance") for s in seen) == 1, seen
    assert not any(s.startswith("SELECT human_task") for s in seen), seen
    assert not any("task_draft" in s and s.startswith("DELETE") for s in seen), seen


def test_the_consents_read_with_a_held_task_are_those_a_step_would_read(app):
    # Read for the steps that decide on them only, and only on the held task's row.
    from workflows import cases, consent, demo

    case = case_at_verification(app, "Jeune V.")
    with app.db.transaction() as session:
        assert tasks.hold(session, app.runtime, case.task_id).consents == []  # none recorded yet
        demo.advance(session, app.runtime, cases.get_case(session, case.reference), "verify_request",
                     consent="pending")
    with app.db.transaction() as session:
        recorded = [tuple(row) for row in consent.decisions(session, cases.get_case(session, case.reference))]
        (asking,) = app.runtime.open_tasks(session, session.get(ProcessInstance, case.instance_id))
        assert asking.spec_name == "obtain_consent"
        held = tasks.hold(session, app.runtime, asking.id)
        rows = session.execute(tasks._held_rows(app.db.dialect), {"key": asking.id}).all()
    assert len(recorded) >= 2
    assert [tuple(row) for row in held.consents] == recorded  # same rows, same order, same values
    assert all(row.youth_mature is None or isinstance(row.youth_mature, bool) for row in held.consents)
    assert [row[6] is not None for row in rows] == [row[1].id == asking.id for row in rows]
    later = case_at_verification(app, "Jeune V2.")
    with app.db.transaction() as session:
        demo.advance(session, app.runtime, cases.get_case(session, later.reference), "verify_request")
        (interview,) = app.runtime.open_tasks(session, session.get(ProcessInstance, later.instance_id))
        assert interview.spec_name == "clarification_interview"
        assert tasks.hold(session, app.runtime, interview.id).consents is None  # not a consent step: not read


def test_completing_a_task_discards_its_draft(app):
    case = case_at_verification(app, "Jeune T.")
    task_id, answers = case.task_id, case.answers
    with app.db.transaction() as session:
        drafts.save(session, task_id=task_id, business_key=case.reference, user=find_active(session, "anne"),
                    data={"x": 1}, now=app.clock.now())
    with app.db.transaction() as session:
        tasks.complete(session, app.runtime, find_active(session, "anne"), task_id, answers)
    with app.db.transaction(write=False) as session:
        assert drafts.get(session, task_id) is None


def test_a_completion_rolled_back_leaves_no_record_behind(app):
    # Consents, the submission and the audit event are written as plain INSERTs during the
    # step, before the ORM's flush: they must still go with the transaction.
    from sqlalchemy import func, select

    from engine.models import AuditEvent, HumanTask
    from workflows.models import Case, Consent, FormSubmission

    case = case_at_verification(app, "Jeune U.")
    session = app.db.session(write=True)
    try:
        tasks.complete(session, app.runtime, find_active(session, "anne"), case.task_id, case.answers)
        assert session.scalar(select(func.count()).select_from(FormSubmission)
                              .where(FormSubmission.task_id == case.task_id)) == 1
    finally:
        session.rollback()
        session.close()
    with app.db.transaction(write=False) as session:
        assert session.get(HumanTask, case.task_id) is not None
        assert session.scalar(select(func.count()).select_from(FormSubmission)
                              .where(FormSubmission.task_id == case.task_id)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.business_key == case.reference,
                                     AuditEvent.kind == "task_completed")) == 0
        assert session.scalar(select(func.count()).select_from(Consent).join(Case, Case.id == Consent.case_id)
                              .where(Case.reference == case.reference)) == 0


def test_firing_a_batch_of_reminders_reads_each_instance_case_and_open_tasks_once_for_the_batch(app, clock):
    # Each fired reminder writes its notification, its state and its audit event (the last two
    # in one statement on PostgreSQL); the batch reads its instances, their open tasks and their
    # cases once for all of them.
    from engine.scheduler import TimerSweep
    from tests.timer_cases import case_at, clone_instances

    source = case_at(app, "consent_reminder")
    with app.db.transaction() as session:
        clone_instances(session, source, 7)
    clock.advance(days=7, minutes=1)
    seen, stop = _statements(app)
    try:
        report = TimerSweep(app.db, app.runtime, batch_size=10).tick()
    finally:
        stop()
    assert report.fired == 8 and report.batches == 1
    writes = [s for s in seen if s.startswith(("INSERT", "UPDATE", "DELETE", "WITH"))]
    reads = [s for s in seen if s.startswith("SELECT")]
    assert len(writes) == (2 if app.db.dialect == "postgresql" else 3) * 8, "\n".join(writes)
    assert len(reads) <= 3, "\n".join(reads)  # the instances, their open tasks, their cases


def test_a_partners_report_is_written_with_the_save(app):
    # Hold the case and read its open tasks and the action reported on (one statement), then
    # the save: the report and the action's new status ride in it on PostgreSQL.
    from sqlalchemy import select

    from workflows import cases, demo
    from workflows.models import ActionReport, PlanAction

    reference = _case_following_its_plan(app, "Jeune Q.")
    with app.db.transaction() as session:
        task = _sophies_report(session, reference)
        sophie, case = find_active(session, "sophie"), cases.get_case(session, reference)
        answers = demo.sample(session, app.runtime, case, "report_action")
        task_id, item = task.id, task.item
        session.expunge_all()  # nothing in hand but the partner: the case manager is not read
        sophie = find_active(session, "sophie")
        action = session.get(PlanAction, item["id"])  # held by the session before the report
        assert action.status == "open"
        seen, stop = _statements(app)
        try:
            tasks.complete(session, app.runtime, sophie, task_id, answers)
        finally:
            stop()
        assert action.status == "done"
    seen = [s for s in seen if not ("spec_json" in s or "process_version.files" in s)]
    assert len(seen) <= (2 if app.db.dialect == "postgresql" else 7), "\n".join(seen)
    if app.db.dialect == "postgresql":
        assert not any(s.startswith(("INSERT", "UPDATE")) for s in seen), seen
    assert not any(s.startswith("SELECT plan_action") for s in seen), seen
    with app.db.transaction(write=False) as session:
        [report] = session.scalars(select(ActionReport).where(ActionReport.reported_by_id == sophie.id))
        assert report.status == "done" and session.get(PlanAction, report.action_id).status == "done"


def test_a_report_naming_an_action_of_another_case_is_refused_and_nothing_is_saved(app):
    # A diagram decides what a report's task is about: an action of another case (or none) must
    # neither take the report nor change status.
    import pytest
    from sqlalchemy import func, select, update

    from engine.models import HumanTask
    from workflows import demo
    from workflows.errors import NotFoundError
    from workflows.models import ActionReport, PlanAction

    mine, theirs = _case_following_its_plan(app, "Jeune X."), _case_following_its_plan(app, "Jeune Y.")
    with app.db.transaction() as session:
        task, other = _sophies_report(session, mine), _sophies_report(session, theirs)
        answers = demo.sample(session, app.runtime, None, "report_action")
        held = tasks.hold(session, app.runtime, task.id)
        assert held.action_id == task.item["id"]  # read with the task
        task_id, their_action, own_action = task.id, other.item["id"], task.item["id"]
    verification = case_at_verification(app, "Jeune Z.")
    with app.db.transaction() as session:
        assert tasks.hold(session, app.runtime, verification.task_id).action_id is None  # not a report: not read
    # Another case's action, texts that are not this action's id (however close to a number,
    # or too long for one: none may fail the read), a list, nothing.
    for item in (other.item, {"id": "not a number"}, {"id": f"0{own_action}"}, {"id": f" {own_action}"},
                 {"id": f"{own_action}.0"}, {"id": "-1"}, {"id": ""}, {"id": "99999999999999999999"},
                 {"id": [1]}, None):
        with app.db.transaction() as session:
            session.execute(update(HumanTask).where(HumanTask.id == task_id).values(item=item))
        session = app.db.session(write=True)
        try:
            assert tasks.hold(session, app.runtime, task_id).action_id is None
            with pytest.raises(NotFoundError, match="plan action"):
                tasks.complete(session, app.runtime, find_active(session, "sophie"), task_id, answers)
        finally:
            session.rollback()
            session.close()
    with app.db.transaction(write=False) as session:
        assert session.get(PlanAction, their_action).status == "open"
        assert session.scalar(select(func.count()).select_from(ActionReport)) == 0
        assert session.get(HumanTask, task_id) is not None  # still open


def test_holding_a_task_of_a_case_with_several_open_tasks_reads_its_state_once(app):
    # One row per open task: the state (tens of kilobytes) rides on the held task's row only.
    from engine.models import ProcessInstance
    from engine.runtime import holding_read

    reference = _case_following_its_plan(app, "Jeune R.")
    with app.db.transaction() as session:
        task = _sophies_report(session, reference)
        saved = session.get(ProcessInstance, task.instance_id).state
        session.expunge_all()
        rows = session.execute(holding_read(), {"key": task.id}).all()
        assert len(rows) >= 3
        assert [row[3] is not None for row in rows] == [row[1].id == task.id for row in rows]
        instance, found = app.runtime.hold_task(session, task.id)
        assert "state" in instance.__dict__  # loaded with the rows, not read again when used
        assert instance.state == saved and len(found) == len(rows)


def _case_following_its_plan(app, pseudonym: str) -> str:
    """A new case whose plan is followed: three actions, carried by sophie, karim and lea."""
    from workflows import cases, demo

    with app.db.transaction() as session:
        case = cases.start_case(session, app.runtime, actor=find_active(session, "anne"), requester_kind="family",
                                youth_pseudonym=pseudonym, age_band="12-15", region="Brabant wallon")
        for step, options in demo._path_to("report_action"):
            demo.advance(session, app.runtime, case, step, **options)
        return case.reference


def _sophies_report(session, reference: str):
    from sqlalchemy import select

    from engine.models import HumanTask

    return session.scalar(select(HumanTask).where(HumanTask.business_key == reference,
                                                  HumanTask.assignee == "sophie"))


def test_a_task_no_longer_open_is_found_by_its_submission_not_by_reading_the_audit_log(app):
    # A stale or mistyped task link (the Back button, an old e-mail) must cost an index lookup:
    # the audit log holds every event of every case, and searching it by a JSON field read it all.
    import uuid

    case = case_at_verification(app, "Jeune L.")
    with app.db.transaction() as session:
        tasks.complete(session, app.runtime, find_active(session, "anne"), case.task_id, case.answers)
    with app.db.transaction() as session:
        seen, stop = _statements(app)
        try:
            done = tasks.completion(session, case.task_id)
            missing = tasks.completion(session, str(uuid.uuid4()))
        finally:
            stop()
        assert done.actor == "anne" and done.case.reference == case.reference and done.step == "verify_request"
        assert missing is None
        assert len(seen) == 2 and not any("audit_event" in s for s in seen), seen
        if app.db.dialect == "postgresql":
            compiled = tasks._completion_read().compile(dialect=session.bind.dialect)
            plan = " ".join(row[0] for row in session.connection().exec_driver_sql(
                "EXPLAIN " + str(compiled), compiled.construct_params({"task_id": case.task_id})))
            assert "uq_form_submission_task_id" in plan, plan
