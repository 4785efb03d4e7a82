"""Human tasks from the domain's side: who may act, the form, defaults, completion."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session, joinedload, lazyload

from engine import audit
from engine.clock import BRUSSELS
from engine.db import statement
from engine.memo import VersionMemo
from engine.models import HumanTask, ProcessInstance, ProcessVersion
from engine.runtime import Runtime, holding_read

from . import assignments, cases, consent, drafts, evaluations, messages, notifications, plans, signins
from .context import TaskContext
from .errors import FormError, NotFoundError, TaskStateError, WorkflowRunError
from .forms import load_schema, small_values, validate_submission
from .models import Case, FormSubmission, User
from .permissions import require_act

Handler = Callable[[TaskContext, dict[str, Any]], dict[str, Any]]

# Domain work per user task: turn the form into records, return the small values the process
# needs. A task the process owner adds without a handler passes its small values as they are.
HANDLERS: dict[str, Handler] = {
    "verify_request": consent.verify_request,
    "obtain_consent": consent.obtain_consent,
    "inform_youth_without_consent": consent.inform_youth_without_consent,
    "inform_requester_not_eligible": cases.inform_requester_not_eligible,
    "close_without_consent": cases.close_without_consent,
    "concertation": plans.concertation,
    "report_action": plans.report_action,
    "evaluation": evaluations.evaluation,
    "exit_case": cases.exit_case,
    "acknowledge_youth_message": messages.acknowledge,
}


# A step's own rules across fields (run by its handler), also run on a form the schema refused,
# on what of it is well formed: one answer lists every error.
CROSS_CHECKS: dict[str, Callable[[TaskContext, dict[str, Any]], list]] = {"concertation": plans.plan_errors}


def get_task(session: Session, task_id: str) -> HumanTask:
    """The open task; TaskStateError if it was completed meanwhile, NotFoundError if unknown."""
    task = session.get(HumanTask, task_id) if task_id else None
    if task is None:
        raise _not_open(session, task_id)
    return task


def case_of(session: Session, task: HumanTask) -> Case:
    return cases.loaded_case(session, task.business_key) or cases.get_case(session, task.business_key)


def open_task(session: Session, task_id: str) -> tuple[HumanTask, Case, tuple[int, str]] | None:
    """An open task with its case and its version (id, content hash), in one query; None if gone."""
    row = session.execute(
        select(HumanTask, Case, ProcessVersion.id, ProcessVersion.content_hash)
        .join(Case, Case.reference == HumanTask.business_key)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .where(HumanTask.id == task_id)).one_or_none() if task_id else None
    return (row[0], row[1], (row[2], row[3])) if row is not None else None


@dataclass(frozen=True)
class Held:
    """A task about to be completed, read under its case's lock: what completing it needs."""

    task: HumanTask
    case: Case
    version: tuple[int, str]  # (id, content hash) of the instance's process version
    has_draft: bool
    consents: list[consent.Recorded] | None  # a consent step's decisions so far, oldest first
    user: User | None = None  # the active user asked for by id (see `hold`), None if not active
    action_id: int | None = None  # a report's plan action, if of this case (plans.action_column)


def hold(session: Session, runtime: Runtime, task_id: str, *, user_id: int | None = None,
         sign_in: str | None = None) -> Held | None:
    """Hold a task's case for this transaction and read the task, its case, its version, every
    open task of the case, for a consent step the decisions so far, and for a report its plan
    action: one query. None if the task is not open (completed meanwhile).

    With `user_id` and its session's `sign_in` (a `signins.digest`), the same query reads that
    user if active and still signed in there (`Held.user`): a request that completes a task
    needs no read of its own for who is signed in."""
    read = _held_rows(session.get_bind().dialect.name, user_id is not None)
    found = runtime.hold_task(session, task_id, read, {"uid": user_id, "sign_in": sign_in}
                              if user_id is not None else None) if task_id else None
    mine = next((row for row in found[1] if row[1].id == task_id), None) if found else None
    if mine is None:
        return None
    instance = mine[0]
    return Held(task=mine[1], case=mine[4], version=(instance.version_id, instance.version.content_hash),
                has_draft=bool(mine[5]), consents=consent.decisions_from_json(mine[6]), action_id=mine[7],
                user=mine[8] if user_id is not None else None)


@statement
def _held_rows(dialect: str, with_user: bool = False) -> Select:
    draft = exists().where(drafts.TaskDraft.task_id == HumanTask.id)
    held = HumanTask.id == bindparam("key")  # what only the held task's row carries
    deciding = and_(held, or_(*(HumanTask.spec_name == step for step in consent.DECIDING)))
    reporting = and_(held, HumanTask.spec_name == plans.REPORTING)
    # Each open task's row repeats the case and the version: only what a completion uses. The
    # case manager (a user row, 11 columns) is not joined, the version's lanes (where the next
    # tasks go) are but not its forms or its note; either is read if something asks for it.
    read = (holding_read().add_columns(Case, draft, consent.decisions_column(Case.id, dialect, deciding),
                                       plans.action_column(Case.id, HumanTask.item, reporting))
            .join(Case, Case.reference == ProcessInstance.business_key)
            .options(lazyload(Case.case_manager),
                     joinedload(ProcessInstance.version).load_only(
                         ProcessVersion.process_id, ProcessVersion.content_hash, ProcessVersion.lanes)))
    if with_user:  # on the held task's row only, and only if active and signed in
        read = read.add_columns(User).outerjoin(User, and_(User.id == bindparam("uid"), User.active.is_(True), held,
                                                           signins.live(User.id)))
    return read


# The step that tells a requester their request is not eligible, and what the eligibility
# decision (bpmn/eligibility.dmn) left in its data: why, and the answers it weighed.
NOT_ELIGIBLE_STEP = "inform_requester_not_eligible"
ELIGIBILITY_FACTS = ("eligibility_reason", "youth_age", "lives_in_region", "severe_complex_multiple", "failed_attempts")


def facts_of(session: Session, runtime: Runtime, task: HumanTask, names: tuple[str, ...]) -> dict[str, Any]:
    """Values of the process data `task` sees, by name (those it has): what a decision before it
    computed, for its page. Restores the case's workflow read-only (a page that needs it only)."""
    instance = session.get(ProcessInstance, task.instance_id)
    if instance is None:
        return {}
    found = runtime.load(session, instance).get_task_from_id(uuid.UUID(task.id))
    return {name: found.data[name] for name in names if found is not None and name in found.data}


def open_tasks_of_case(session: Session, runtime: Runtime, case: Case) -> list[HumanTask]:
    """The open tasks of a case (none read again when its case is held in this transaction)."""
    instance = session.get(ProcessInstance, case.instance_id)
    return runtime.open_tasks(session, instance) if instance is not None else []


def schema_of(session: Session, task: HumanTask, instance: ProcessInstance | None = None, *,
              version: tuple[int, str] | None = None) -> dict[str, Any]:
    """The task's form schema. Versions are immutable, so each (version, form) is parsed once per
    process and shared: callers must not change it. Raises NotFoundError when the form is missing.
    Pass the task's instance, or its version (id, content hash), when at hand: no query then."""
    if version is not None:
        version_id, content_hash = version
    elif instance is not None:
        version_id, content_hash = instance.version.id, instance.version.content_hash
    else:
        version_id, content_hash = session.execute(
            select(ProcessVersion.id, ProcessVersion.content_hash)
            .join(ProcessInstance, ProcessInstance.version_id == ProcessVersion.id)
            .where(ProcessInstance.id == task.instance_id)).one()
    key = (content_hash, task.form)  # the content, not the id: ids repeat across databases
    return _SCHEMAS.get(key, lambda: load_schema(
        session.scalar(select(ProcessVersion.files).where(ProcessVersion.id == version_id)) or {}, task.form))


_SCHEMAS: VersionMemo[dict[str, Any]] = VersionMemo(512)


def defaults(session: Session, task: HumanTask, case: Case) -> dict[str, Any]:
    """Values to prefill the form with (the plan to evaluate, the previous plan to adjust)."""
    if task.spec_name == "evaluation":
        return evaluations.defaults(session, case)
    if task.spec_name == "exit_case":
        return evaluations.exit_defaults(session, case)
    if task.spec_name == "concertation":
        plan = plans.current(session, case)
        return plans.defaults_for_new_pass(plan) if plan is not None else _first_concertation(session, case)
    if task.spec_name == "clarification_interview":
        # What the request and its verification said already, to start from rather than retype.
        verified = _answers(session, case, "verify_request")
        return {key: value for key, value in (("tried", case.previous_attempts),
                                              ("resource_persons", verified.get("resource_persons"))) if value}
    if task.spec_name == "obtain_consent":
        # Each person's latest decision as recorded, with its date: sent again unchanged, it must
        # not lose the day it was given.
        return {"consents": [{"person": c.person, "label": c.label, "status": c.status, "scope": c.scope,
                              **({"date": c.decided_on.isoformat()} if c.decided_on else {})}
                             for c in consent.current(session, case)]}
    return {}


def _answers(session: Session, case: Case, step: str) -> dict[str, Any]:
    """What the case's latest form of `step` said ({} if none)."""
    data = session.scalar(select(FormSubmission.data).where(FormSubmission.case_id == case.id,
                                                            FormSubmission.step == step)
                          .order_by(FormSubmission.submitted_at.desc()).limit(1))
    return data if isinstance(data, dict) else {}


def _first_concertation(session: Session, case: Case) -> dict[str, Any]:
    """The first concertation's participants, from whom the verification and the clarification
    said to invite: rows to complete (organisation, account, charter), not a list to retype."""
    verified, clarified = _answers(session, case, "verify_request"), _answers(session, case, "clarification_interview")
    rows = [{"name": name, "kind": "professional"} for name in verified.get("partners_to_invite") or []]
    resource = dict.fromkeys([*(verified.get("resource_persons") or []), *(clarified.get("resource_persons") or [])])
    rows += [{"name": name, "kind": "resource_person"} for name in resource]
    return {"participants": [row for row in rows if isinstance(row["name"], str) and row["name"].strip()]} \
        if rows else {}


def complete(session: Session, runtime: Runtime, user: User, task_id: str, data: Any, *,
             expected_revision: int | None = None, held: Held | None = None) -> Case:
    """Check, validate, record and complete a task, all in the caller's transaction; its draft
    goes. Pass `held` when the caller has held the task already (see `hold`).

    Raises NotFoundError, PermissionDeniedError, FormError (every field in error),
    TaskStateError or ConflictError (someone else was first), WorkflowRunError.
    """
    held = held or hold(session, runtime, task_id)
    if held is None:
        raise _not_open(session, task_id)
    task, case = held.task, held.case
    require_act(session, user, task, case)
    assignments.check_claim(user, task)
    schema = schema_of(session, task, version=held.version)
    now = runtime.clock.now()
    ctx = TaskContext(session=session, user=user, case=case, task=task, schema=schema, now=now,
                      consents=held.consents, action_id=held.action_id)
    errors = validate_submission(schema, data, today=now.astimezone(BRUSSELS).date())  # Brussels' day, as the pages'
    if errors:
        check = CROSS_CHECKS.get(task.spec_name)
        if check is not None and isinstance(data, dict):  # every error in one answer, its own too
            seen = {error.path for error in errors}
            errors += [error for error in check(ctx, data) if error.path not in seen]
        raise FormError(errors)
    handler = HANDLERS.get(task.spec_name)
    task_data = small_values(schema, data) if handler is None else handler(ctx, data)
    submission = {"case_id": case.id, "task_id": task.id, "step": task.spec_name, "title": task.title,
                  "submitted_by_id": user.id, "submitted_at": ctx.now, "data": data}
    runtime.complete_task(session, task.id, task_data, actor=user.username, expected_revision=expected_revision,
                          records=[*ctx.records, (FormSubmission, [submission])], updates=ctx.updates)
    if held.has_draft:
        drafts.discard(session, task.id)
    return case


def keep_failed(session: Session, user: User, task_id: str, data: dict[str, Any], error: WorkflowRunError,
                now: dt.datetime) -> None:
    """After a completion the process could not run (the diagram's fault; the caller rolled it
    back, nothing of it is saved): what was sent is kept as the task's draft, the failure is
    audited, and every process owner is told which element failed, for which case."""
    found = open_task(session, task_id)
    if found is None:
        return
    task, case, (version_id, _hash) = found
    drafts.save(session, task_id=task.id, business_key=case.reference, user=user, data=data, now=now)
    version = session.get(ProcessVersion, version_id)
    element = error.element_id or ""
    detail = {"process_id": version.process_id, "version": version.number, "element": element,
              "element_name": ((version.elements or {}).get(element) or {}).get("name") or "",
              "message": str(error)[:500]}  # what the engine said, as the stuck cases' list shows it
    audit.record(session, at=now, actor=user.username, kind="completion_failed", business_key=case.reference,
                 instance_id=task.instance_id, detail={"task_id": task.id, "step": task.spec_name, **detail})
    notifications.tell_process_owners(session, case, detail, now)


def _not_open(session: Session, task_id: str) -> Exception:
    """Why `task_id` names no open task: completed already (by whom), or it never existed."""
    done = completion(session, task_id)
    if done is None:
        return NotFoundError("no such open task")
    return TaskStateError(f"this task was already completed by {done.actor}")


@dataclass(frozen=True)
class Completion:
    """Who completed a task that is no longer open, and when: read from its form's submission."""

    actor: str  # username
    actor_name: str  # as people read it
    at: dt.datetime  # UTC
    case: Case
    step: str


def completion(session: Session, task_id: str) -> Completion | None:
    """How a task that is no longer open was completed, None if it never was (or never existed).

    Every completion writes its submission (`complete`), found by its task id's unique index: a
    task id that matches nothing (a mistyped or stale link) costs one index lookup, not a scan of
    the audit log, which holds every event of every case."""
    row = session.execute(_completion_read(), {"task_id": task_id}).first() if task_id else None
    return Completion(*row) if row is not None else None


@statement
def _completion_read() -> Select:
    return (select(User.username, User.display_name, FormSubmission.submitted_at, Case, FormSubmission.step)
            .join(User, User.id == FormSubmission.submitted_by_id)
            .join(Case, Case.id == FormSubmission.case_id)
            .where(FormSubmission.task_id == bindparam("task_id")))


def open_tasks(session: Session, user: User, *, case_ref: str | None = None, lane: str | None = None,
               limit: int = 200) -> list[HumanTask]:
    """Open tasks this user may act on, overdue first then by due date."""
    query = select(HumanTask)
    if user.role == "case_manager":
        query = query.join(Case, Case.reference == HumanTask.business_key).where(Case.case_manager_id == user.id)
    elif user.role == "professional":
        query = query.where(HumanTask.lane == "professional", HumanTask.assignee == user.username)
    else:
        return []
    if case_ref:
        query = query.where(HumanTask.business_key == case_ref.strip().upper())
    if lane:
        query = query.where(HumanTask.lane == lane)
    query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at).limit(limit)
    return list(session.scalars(query))
