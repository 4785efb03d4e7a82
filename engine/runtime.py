"""Start instances, complete human tasks, deliver messages, fire timers; one save per step.

A save is part of the caller's transaction and holds: the serialized workflow, the derived rows
(open human tasks, the next timer due time) and an audit event. The `revision` column makes a
stale write fail with ConflictError instead of overwriting someone else's work.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow as SpiffWorkflow
from sqlalchemy import Row, Select, Update, bindparam, case, select
from sqlalchemy.orm import Session, aliased, defer, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from . import audit
from . import clock as clock_mod
from .clock import Clock
from .db import Writes, statement
from .errors import ConflictError, NotFoundError, ScriptError, TaskStateError, WorkflowRunError
from .models import AuditEvent, HumanTask, ProcessInstance, ProcessVersion
from .scripting import RestrictedEnvironment, ScriptEngine
from .serializer import SpecPool, Specs, WorkflowCodec, triggered
from .timers import boundary_timers, due_times, next_due, rearm
from .validation import FORM_PROPERTY

log = logging.getLogger(__name__)

# SpiffWorkflow builds log records carrying task data on every state change when its loggers
# are left at NOTSET: task data may be personal, and it costs 4-8% of every step.
for _name in ("spiff", "spiff.task", "spiff.workflow", "spiff.metrics"):
    logging.getLogger(_name).setLevel(logging.WARNING)

# And it builds each record's extras (names, ids, times) before the logger drops the record: a
# twentieth of a step. They are built only when someone has turned those loggers up.
_TASK_LOGGERS = (logging.getLogger("spiff.task"), logging.getLogger("spiff.data"))
_spiff_log_extras = SpiffTask.collect_log_extras


def _log_extras_if_logged(task: SpiffTask, dct: dict | None = None) -> dict | None:
    if any(logger.isEnabledFor(logging.INFO) for logger in _TASK_LOGGERS):
        return _spiff_log_extras(task, dct)
    return None


SpiffTask.collect_log_extras = _log_extras_if_logged


# Running a process to its next wait, SpiffWorkflow walks the task tree of each process (the
# case's own and each active subprocess, with the subprocesses below it) for READY engine tasks
# (gateways, scripts, events), pass after pass until a pass finds none: about ten walks a step,
# over every task the case ever had. This is its BpmnWorkflow._do_engine_steps (3.2.0) with one
# change: a pass first looks whether any task of that process, or of a subprocess below it, is a
# READY engine task at all (a scan of their tasks, a tenth of a walk), and walks the tree, for
# the tasks and the order in which to run them, only when one is.
def _engine_task_ready(top: BpmnWorkflow, process) -> bool:
    below = [process] if process is not top else [top, *top.subprocesses.values()]
    if process is not top:  # the subprocesses whose parent task lies in `process`, and theirs
        for subprocess in top.subprocesses.values():
            owner = subprocess
            while owner is not top and owner is not process:
                parent_task = top.get_task_from_id(owner.parent_task_id)
                if parent_task is None:  # not expected; walk the tree as SpiffWorkflow would
                    return True
                owner = parent_task.workflow
            if owner is process and subprocess is not process:
                below.append(subprocess)
    for each in below:
        for task in each.tasks.values():
            if task._state == TaskState.READY and not task.task_spec.manual:
                return True
    return False


def _do_engine_steps(self: BpmnWorkflow, will_complete_task=None, did_complete_task=None) -> bool:
    def update_workflow(process) -> int:
        if not _engine_task_ready(self, process):
            return 0
        count = 0
        for task in process.get_tasks(state=TaskState.READY):
            if not task.task_spec.manual:
                if will_complete_task is not None:
                    will_complete_task(task)
                task.run()
                count += 1
                if did_complete_task is not None:
                    did_complete_task(task)
        return count

    active_subprocesses = self.get_active_subprocesses()
    for subprocess in sorted(active_subprocesses, key=lambda v: v.depth, reverse=True):
        count = None
        while count is None or count > 0:
            count = update_workflow(subprocess)
        if subprocess.parent_task_id is not None:
            task = self.get_task_from_id(subprocess.parent_task_id)
            task.task_spec._update(task)

    count = update_workflow(self)
    return count > 0 or len(self.get_active_subprocesses()) > len(active_subprocesses)


# Likewise each task that completes has its process walk its tree for WAITING tasks (timers,
# messages, joins) to update: five walks in a partner's report, all of a tree holding none.
def _update_waiting_tasks(self: SpiffWorkflow) -> None:
    for task in self.tasks.values():
        if task._state == TaskState.WAITING:
            _SPIFF_UPDATE_WAITING_TASKS(self)
            return


# SpiffWorkflow's own, kept for tests/unit/test_engine_steps.py.
_SPIFF_DO_ENGINE_STEPS = BpmnWorkflow._do_engine_steps
_SPIFF_UPDATE_WAITING_TASKS = SpiffWorkflow.update_waiting_tasks
BpmnWorkflow._do_engine_steps = _do_engine_steps
SpiffWorkflow.update_waiting_tasks = _update_waiting_tasks


@dataclass
class ServiceCall:
    """What a service-task handler receives: where it runs and its evaluated parameters."""

    session: Session
    instance: ProcessInstance
    element_id: str
    task_id: str
    operation: str
    params: dict[str, Any]
    data: Mapping[str, Any]
    actor: str
    now: dt.datetime


ServiceHandler = Callable[[ServiceCall], Any]
# Called at each save, before anything is written, with the new open-task rows (editable).
SaveHook = Callable[[Session, ProcessInstance, BpmnWorkflow, dt.datetime, list[HumanTask]], None]


@dataclass
class _Operation:
    session: Session
    instance: ProcessInstance
    actor: str
    now: dt.datetime


@dataclass
class Runtime:
    """The BPMN runtime. Domain pieces (services, helpers, hooks, clock) come in by injection."""

    clock: Clock
    services: Mapping[str, ServiceHandler] = field(default_factory=dict)
    helpers: Mapping[str, Any] = field(default_factory=dict)
    hooks: Iterable[SaveHook] = ()
    # Reads in one go what firing a batch of claimed instances needs (the domain's records);
    # what it returns is kept until the transaction ends, so that each step finds it loaded.
    prefetch: Callable[[Session, list[ProcessInstance]], Iterable[Any]] | None = None
    timezone: dt.tzinfo = clock_mod.BRUSSELS
    codec: WorkflowCodec = field(default_factory=WorkflowCodec)

    def __post_init__(self) -> None:
        self.environment = RestrictedEnvironment(self.helpers)
        self.specs = SpecPool(self.codec)

    # -- entry points ---------------------------------------------------------------------------
    def start(self, session: Session, version: ProcessVersion, *, business_key: str,
              data: Mapping[str, Any], actor: str) -> ProcessInstance:
        """Create an instance of `version`, seed its start data, run it to its first wait."""
        now = self.clock.now()
        instance = ProcessInstance(version=version, business_key=business_key, state="",
                                   serializer_version=self.codec.version, created_at=now, updated_at=now)
        session.add(instance)
        session.flush()
        self._hold(session, instance)
        self._remember_open_tasks(session, instance.id, [])
        op = _Operation(session, instance, actor, now)
        with clock_mod.using(self.clock), self.specs.checkout(version.id, version.spec_json) as specs:
            workflow = self.codec.new_workflow(specs, self._script_engine(op))
            # Case-wide context (who manages it, its reference) is also kept at workflow level so
            # that tasks in event subprocesses, which start with empty data, can be assigned.
            workflow.data.update(data)
            workflow.get_next_task(state=TaskState.READY).set_data(**data)
            self._run(workflow, lambda: None)
            self._save(op, workflow, "instance_started", {"process_id": version.process_id,
                                                          "version": version.number})
        return instance

    def complete_task(self, session: Session, task_id: str, data: Mapping[str, Any], *, actor: str,
                      expected_revision: int | None = None,
                      records: Iterable[tuple[type, list[dict[str, Any]]]] = (),
                      updates: Iterable[tuple[type, Any, dict[str, Any]]] = ()) -> ProcessInstance:
        """Complete a READY human task with `data` and run the process to its next wait.

        `records`: (model, rows) of append-only tables the caller writes with the step (its
        form's submission), in the save's statement. `updates`: (model, primary key, values) of
        rows the caller knows exist and changes with the step, likewise.

        Raises NotFoundError (unknown task), TaskStateError (completed or cancelled meanwhile),
        ConflictError (stale revision), WorkflowRunError (the process failed; nothing saved).
        """
        with self._ready_task(session, task_id, actor, expected_revision) as (op, workflow, task, _row):

            def act():
                task.set_data(**dict(data))
                task.run()

            self._run(workflow, act)
            self._save(op, workflow, "task_completed", {"task": task.task_spec.name, "task_id": task_id},
                       records, updates)
        return op.instance

    def move_due(self, session: Session, task_id: str, due_at: dt.datetime, data: Mapping[str, Any], *,
                 actor: str, detail: Mapping[str, Any]) -> HumanTask:
        """Give a READY human task a new due time: its row's `due_at`, the task's data updated
        with `data` (what its due date and reminders are computed from), and the timers on its
        boundary armed again from that data, all cycles to come (a reminder three times a week
        after the new date, not after the old one). Audited as `task_rescheduled` with `detail`.

        Raises NotFoundError, TaskStateError (completed meanwhile), WorkflowRunError.
        """
        with self._ready_task(session, task_id, actor) as (op, workflow, task, row):

            def act():
                # Each task its own copy: SpiffWorkflow changes task data in place, and the caller
                # keeps what it passed.
                task.set_data(**copy.deepcopy(dict(data)))
                for timer in boundary_timers(task):
                    rearm(timer, copy.deepcopy(dict(data)))

            self._run(workflow, act)
            row.due_at = due_at
            self._save(op, workflow, "task_rescheduled", {"task_id": task_id, **detail})
        return row

    def send_message(self, session: Session, instance_id: int, name: str, payload: Mapping[str, Any], *,
                     actor: str) -> ProcessInstance:
        """Deliver BPMN message `name` to an instance. Raises TaskStateError if nothing catches it."""
        instance = self._lock(session, instance_id)
        op = _Operation(session, instance, actor, self.clock.now())
        with self._workflow(op) as workflow:

            def act():
                try:
                    workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload=dict(payload)))
                except WorkflowException:
                    raise TaskStateError(f"the process is not waiting for message '{name}' now") from None

            self._run(workflow, act)
            self._save(op, workflow, "message_received", {"message": name})
        return instance

    def fire_timers(self, session: Session, instance_id: int, *, actor: str = "scheduler") -> ProcessInstance:
        """Fire the instance's due timers and run what follows (refresh first, then run)."""
        instance = self._lock(session, instance_id)
        op = _Operation(session, instance, actor, self.clock.now())
        with self._workflow(op) as workflow:
            # Which timers are due (their elements), for the case's history to say what came.
            due = sorted({task.task_spec.bpmn_id for task, when in due_times(workflow)
                          if when <= op.now and task.task_spec.bpmn_id})
            self._run(workflow, workflow.refresh_timers)
            self._save(op, workflow, "timers_fired", {"elements": due} if due else {})
        return instance

    def rewrite(self, session: Session, instance_id: int, change: Callable[[BpmnWorkflow, Specs], None], *,
                version: ProcessVersion, actor: str, kind: str, detail: dict[str, Any],
                expected_revision: int | None = None) -> ProcessInstance:
        """Move an instance onto `version`: `change(workflow, specs)` rewrites it, then it runs and is saved.

        For migrations (engine/migration.py). `change` receives the instance's workflow and fresh
        specs of `version`, and must leave the workflow running on those specs. The open human-task
        rows are rebuilt (a title or form may have changed) keeping when each task was opened, who
        claimed it and its due date. Raises ConflictError (stale revision), WorkflowRunError.
        """
        instance = self._lock(session, instance_id)
        if expected_revision is not None and instance.revision != expected_revision:
            raise ConflictError("the case changed since the preview; look at it again")
        op = _Operation(session, instance, actor, self.clock.now())
        with clock_mod.using(self.clock):
            engine = self._script_engine(op)
            # Private spec copies: a migrated workflow must never touch pooled specs. Both carry the
            # event subprocesses this instance has triggered (see serializer.Specs.connect).
            state = json.loads(instance.state)
            old_version = instance.version
            connections = triggered(state, old_version.process_id,
                                    self.specs.triggers(old_version.id, old_version.spec_json))
            workflow = self.codec.loads(state, self.codec.restore_specs(old_version.spec_json, connections), engine)
            target = self.codec.restore_specs(version.spec_json)
            target.connect(frozenset((version.process_id if name == old_version.process_id else name, sub)
                                     for name, sub in connections
                                     if sub in target.triggers().get(
                                         version.process_id if name == old_version.process_id else name, set())))
            self._run(workflow, lambda: change(workflow, target))
            instance.version = version
            old = {}
            for row in self.open_tasks(session, instance):
                old[row.id] = (row.spec_name, row.created_at, row.claimed_by, row.due_at)
                session.delete(row)
            session.flush()
            self._remember_open_tasks(session, instance.id, [])
            if instance.status == "error":
                instance.status, instance.error, instance.error_element = "running", None, None
            self._save(op, workflow, kind, detail)
        for row in self.open_tasks(session, instance):
            if row.id in old and old[row.id][0] == row.spec_name:
                row.created_at, row.claimed_by, row.due_at = old[row.id][1:]
        self._flush(session)
        return instance

    def load(self, session: Session, instance: ProcessInstance) -> BpmnWorkflow:
        """A read-only view of the workflow (services disabled, its own specs); never saved."""
        op = _Operation(session, instance, "viewer", self.clock.now())
        version = instance.version
        state = json.loads(instance.state)
        connections = triggered(state, version.process_id, self.specs.triggers(version.id, version.spec_json))
        specs = self.codec.restore_specs(version.spec_json, connections)
        return self.codec.loads(state, specs, self._script_engine(op, services=False))

    @contextlib.contextmanager
    def _ready_task(self, session: Session, task_id: str, actor: str, expected_revision: int | None = None) \
            -> Iterator[tuple[_Operation, BpmnWorkflow, SpiffTask, HumanTask]]:
        """The open human task `task_id` in its workflow, its instance held, for one operation:
        (operation, workflow, task, row). Raises NotFoundError, ConflictError (stale revision),
        TaskStateError (completed or cancelled meanwhile)."""
        row = session.get(HumanTask, task_id)
        if row is None:
            raise missing_task_error(session, task_id)
        instance = self._lock(session, row.instance_id)
        if expected_revision is not None and instance.revision != expected_revision:
            raise ConflictError("the case changed since this page was loaded; reload it and try again")
        op = _Operation(session, instance, actor, self.clock.now())
        with self._workflow(op) as workflow:
            task = workflow.get_task_from_id(uuid.UUID(task_id))
            if task is None or task.state != TaskState.READY or not task.task_spec.manual:
                raise TaskStateError("this task is no longer open: someone completed it meanwhile")
            yield op, workflow, task, row

    @contextlib.contextmanager
    def _workflow(self, op: _Operation) -> Iterator[BpmnWorkflow]:
        """The instance's workflow, on pooled specs, with the clock in force, for one operation."""
        version = op.instance.version
        state = json.loads(op.instance.state)

        def spec_json() -> str:  # a deferred column: read only when the pool needs a new copy
            return version.spec_json

        connections = triggered(state, version.process_id, self.specs.triggers(version.id, spec_json))
        with clock_mod.using(self.clock), self.specs.checkout(version.id, spec_json, connections) as specs:
            yield self.codec.loads(state, specs, self._script_engine(op))

    def mark_error(self, session: Session, instance_id: int, message: str, element_id: str | None,
                   *, actor: str = "scheduler", expected_revision: int | None = None) -> bool:
        """Put an instance in error with the reason (its state is left as last saved). With
        `expected_revision`, only if nobody saved it since (else False: it was dealt with)."""
        instance = self._lock(session, instance_id)
        if expected_revision is not None and instance.revision != expected_revision:
            return False
        now = self.clock.now()
        instance.status, instance.error, instance.error_element = "error", message[:2000], element_id
        instance.updated_at = now
        audit.record(session, at=now, actor=actor, kind="instance_error", business_key=instance.business_key,
                     instance_id=instance.id, detail={"element": element_id})
        self._flush(session)
        return True

    def hold_task(self, session: Session, task_id: str, read: Select | None = None,
                  params: dict[str, Any] | None = None) -> tuple[ProcessInstance, list[Row]] | None:
        """Hold the instance a human task belongs to until the transaction ends, and read it with
        every open task of it: one statement (the instance locked FOR UPDATE on PostgreSQL).
        None if no open task has this id.

        `read` is `holding_read()` widened by the caller (more columns and joins after its own
        four: the instance, an open task, the instance's revision as the statement saw it, the
        instance's state on the task's own row), with `params` for its own parameters; its rows
        are returned, one per open task.

        Callers hold the case before writing any record: a second completion of the same task
        waits here, then finds the task gone, instead of writing its records twice. SQLite's
        write transactions hold the whole database already.
        """
        read = holding_read() if read is None else read
        params = {**(params or {}), "key": task_id}
        rows = session.execute(read, params).all()
        if rows and rows[0][0].revision != rows[0][2]:
            # PostgreSQL waited for another transaction that held the instance: it locked and
            # returned the instance as that one committed it, but joined the other rows as they
            # were before. Now that this transaction holds it, a second read sees them all anew.
            rows = session.execute(read, params).all()
        if not rows:
            return None
        instance = rows[0][0]
        set_committed_value(instance, "state", next(row[3] for row in rows if row[1].id == task_id))
        self._hold(session, instance)
        self.open_tasks(session, instance, read=lambda: [row[1] for row in rows])
        return instance, rows

    def lock_due(self, session: Session, now: dt.datetime, limit: int,
                 exclude: Iterable[int] = ()) -> list[ProcessInstance]:
        """Running instances whose next timer is due at `now`, earliest first, at most `limit`:
        read afresh and held for this transaction, skipping those another transaction holds
        (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's write transaction holds the database)."""
        instances = list(session.scalars(_due_read(bool(exclude)), {"now": now, "limit": limit,
                                                                     "exclude": list(exclude)}))
        # Their open tasks too, in one read for them all (saving each of them reads them then).
        rows: dict[int, list[HumanTask]] = {instance.id: [] for instance in instances}
        if rows:
            for row in session.scalars(_open_tasks_read(many=True), {"ids": list(rows)}):
                rows[row.instance_id].append(row)
        for instance in instances:
            self._hold(session, instance)
            self.open_tasks(session, instance, read=lambda found=rows[instance.id]: found)
        if self.prefetch is not None and instances:
            self._hold(session, None, *self.prefetch(session, instances))
        return instances

    def open_tasks(self, session: Session, instance: ProcessInstance, *,
                   read: Callable[[], Iterable[HumanTask]] | None = None) -> list[HumanTask]:
        """The open human-task rows of a held instance, as this transaction sees them.

        Read once per transaction (by `read`, a query of the caller's that may join more, or by
        the runtime's own) and then kept up to date by each save, so that completing a task does
        not read its rows twice. An instance not held is read every time.
        """
        cache = self._open_task_cache(session)
        if instance.id in cache:
            return list(cache[instance.id])
        rows = list(read() if read is not None else session.scalars(_open_tasks_read(), {"id": instance.id}))
        if self._held(session, instance.id) is not None:
            cache[instance.id] = rows
        return list(rows)

    # -- internals ------------------------------------------------------------------------------
    def _lock(self, session: Session, instance_id: int) -> ProcessInstance:
        # FOR UPDATE on PostgreSQL (a second writer waits, then sees the new state); SQLite's
        # write transactions already hold the database lock (BEGIN IMMEDIATE). Locked once per
        # transaction: a caller that locked first (to write its records) is not re-read.
        instance = self._held(session, instance_id)
        if instance is None:
            instance = session.scalar(_locking_read(), {"key": instance_id})
            if instance is None:
                raise NotFoundError(f"no process instance {instance_id}")
            self._hold(session, instance)
        return instance

    @staticmethod
    def _held(session: Session, instance_id: int) -> ProcessInstance | None:
        held = session.info.get("casework_locked")
        if held is not None and held[0] is session.get_transaction():
            return held[1].get(instance_id)
        return None

    @staticmethod
    def _hold(session: Session, instance: ProcessInstance | None, *kept: Any) -> None:
        """Hold `instance` for this transaction, and keep `kept` objects alive until it ends (the
        session's identity map holds its objects weakly)."""
        transaction = session.get_transaction()
        held = session.info.get("casework_locked")
        if held is None or held[0] is not transaction:
            held = session.info["casework_locked"] = (transaction, {}, [])
        if instance is not None:
            held[1][instance.id] = instance
        held[2].extend(kept)

    @staticmethod
    def _open_task_cache(session: Session) -> dict[int, list[HumanTask]]:
        # Valid for the innermost transaction only: a savepoint rolled back may have undone rows.
        transaction = session.get_nested_transaction() or session.get_transaction()
        cache = session.info.get("casework_open_tasks")
        if cache is None or cache[0] is not transaction:
            cache = session.info["casework_open_tasks"] = (transaction, {})
        return cache[1]

    def _remember_open_tasks(self, session: Session, instance_id: int, rows: list[HumanTask]) -> None:
        if self._held(session, instance_id) is not None:
            self._open_task_cache(session)[instance_id] = list(rows)

    def _script_engine(self, op: _Operation, services: bool = True) -> ScriptEngine:
        def dispatch(task, operation: str, params: dict[str, Any]) -> Any:
            handler = self.services.get(operation)
            if handler is None:
                raise ScriptError(f"no service handler for '{operation}'")
            return handler(ServiceCall(op.session, op.instance, task.task_spec.bpmn_id or task.task_spec.name,
                                       str(task.id), operation, params, task.data, op.actor, op.now))

        return ScriptEngine(self.environment, dispatch if services else None)

    def _run(self, workflow: BpmnWorkflow, act: Callable[[], Any]) -> None:
        try:
            act()
            workflow.do_engine_steps()
        except (SpiffWorkflowException, ScriptError) as err:
            element = getattr(getattr(err, "task", None), "task_spec", None)
            element_id = getattr(element, "bpmn_id", None) if element is not None else None
            message = str(err)
            notes = getattr(err, "notes", None) or getattr(err, "__notes__", None)
            if notes:
                message += " (" + "; ".join(notes) + ")"
            raise WorkflowRunError(message, element_id) from err

    def _save(self, op: _Operation, workflow: BpmnWorkflow, kind: str, detail: dict[str, Any],
              records: Iterable[tuple[type, list[dict[str, Any]]]] = (),
              updates: Iterable[tuple[type, Any, dict[str, Any]]] = ()) -> None:
        """Write the step: the workflow, its open-task rows, the audit event, the caller's
        `records` (rows of append-only tables) and `updates` (rows changed by key), in one
        statement on PostgreSQL (see db.Writes).

        The instance is written with a plain UPDATE checked against the revision it was read
        at, and its object is brought up to date without the ORM tracking a change; the task
        rows likewise. Other pending changes of the session are flushed by the ORM, after."""
        instance, now, session = op.instance, op.now, op.session
        if instance in session.dirty:  # changed by the caller (a migration): written first
            self._flush(session)
        revision = instance.revision
        values = {"state": self.codec.dumps(workflow), "serializer_version": self.codec.version,
                  "next_timer_due": next_due(workflow), "updated_at": now, "revision": revision + 1,
                  "status": instance.status, "completed_at": instance.completed_at}
        if workflow.is_completed():
            values.update(status="completed", completed_at=now)
        elif instance.status == "completed":
            values.update(status="running", completed_at=None)
        for key, value in values.items():
            set_committed_value(instance, key, value)
        gone, new = self._sync_tasks(op, workflow)
        for hook in self.hooks:
            hook(session, instance, workflow, now, new)
        writes = Writes()
        writes.delete(HumanTask.__table__, [row.id for row in gone])
        writes.insert(HumanTask.__table__, [{key: getattr(row, key) for key in _TASK_COLUMNS} for row in new])
        writes.insert(AuditEvent.__table__, [audit.row(at=now, actor=op.actor, kind=kind,
                                                       business_key=instance.business_key,
                                                       instance_id=instance.id, detail=detail)])
        for model, rows in records:
            writes.insert(model.__table__, rows)
        for model, key, changed in updates:
            writes.update(model.__table__, key, changed)
        if not writes.send(session, _instance_write(), {"w_id": instance.id, "read_revision": revision,
                                                        **{f"w_{key}": value for key, value in values.items()}}):
            raise ConflictError("someone else changed this case at the same time; nothing was saved")
        for row in gone:
            session.expunge(row)
        for row in new:  # now in the database as they are: the session knows them as loaded
            make_transient_to_detached(row)
            session.add(row)
        self._flush(session)

    @staticmethod
    def _flush(session: Session) -> None:
        try:
            session.flush()
        except StaleDataError:
            raise ConflictError("someone else changed this case at the same time; nothing was saved") from None

    def _sync_tasks(self, op: _Operation, workflow: BpmnWorkflow) -> tuple[list[HumanTask], list[HumanTask]]:
        """The open-task rows that go (no longer READY) and the new ones, not yet written; the
        transaction's list of the instance's open tasks is updated to match."""
        instance = op.instance
        ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        existing = {row.id: row for row in self.open_tasks(op.session, instance)}
        remaining = [row for task_id, row in existing.items() if task_id in ready]
        gone = [row for task_id, row in existing.items() if task_id not in ready]
        new = []
        lanes = instance.version.lanes or {}
        for task_id, task in ready.items():
            if task_id in existing:
                continue
            spec = task.task_spec
            props = (getattr(spec, "extensions", None) or {}).get("properties", {})
            new.append(HumanTask(
                id=task_id, instance_id=instance.id, business_key=instance.business_key,
                spec_name=spec.bpmn_id or spec.name, title=(spec.bpmn_name or spec.bpmn_id or spec.name)[:300],
                lane=lanes.get(spec.lane, spec.lane), form=props.get(FORM_PROPERTY),
                item=self._evaluate_property(workflow, task, props.get("subject")) if props.get("subject")
                else _mi_item(task),
                assignee=self._evaluate_property(workflow, task, props.get("assignee")),
                claimed_by=None, supervisor=None,
                due_at=self._due(workflow, task, props, op.now), created_at=op.now,
            ))
        self._remember_open_tasks(op.session, instance.id, remaining + new)
        return gone, new

    def _evaluate_property(self, workflow: BpmnWorkflow, task, expression: str | None) -> Any:
        if not expression:
            return None
        try:
            return self.environment.evaluate(expression, {**workflow.data, **task.data})
        except Exception as err:  # noqa: BLE001 - a bad expression must not block the case
            log.warning("property expression failed on element %s: %s", task.task_spec.bpmn_id,
                        type(err).__name__)
            return None

    def _due(self, workflow: BpmnWorkflow, task, props: Mapping[str, str], now: dt.datetime) -> dt.datetime | None:
        from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition as Timer

        value = self._evaluate_property(workflow, task, props.get("dueDate"))
        if isinstance(value, str) and value:
            try:
                if len(value) == 10:  # a date: due at the end of that day where the network works
                    day = dt.date.fromisoformat(value)
                    local_end = dt.datetime.combine(day, dt.time(23, 59), tzinfo=self.timezone)
                    return local_end.astimezone(dt.UTC)
                return Timer.get_datetime(value)
            except ValueError:
                return None
        duration = self._evaluate_property(workflow, task, props.get("dueIn"))
        if isinstance(duration, str) and duration:
            try:
                return now + Timer.get_timedelta_from_start(Timer.parse_iso_duration(duration), now)
            except Exception:  # noqa: BLE001
                return None
        return None


_TASK_COLUMNS = tuple(column.key for column in HumanTask.__table__.columns)
_INSTANCE_WRITTEN = ("state", "serializer_version", "next_timer_due", "updated_at", "revision", "status",
                     "completed_at")


@statement
def _instance_write() -> Update:
    """The save's UPDATE of an instance, if still at the revision it was read at."""
    table = ProcessInstance.__table__
    return (table.update().where(table.c.id == bindparam("w_id"), table.c.revision == bindparam("read_revision"))
            .values({name: bindparam(f"w_{name}", type_=table.c[name].type)
                     for name in _INSTANCE_WRITTEN})
            .returning(table.c.id))


@statement
def _locking_read() -> Select:
    return (select(ProcessInstance).where(ProcessInstance.id == bindparam("key"))
            .with_for_update(of=ProcessInstance).execution_options(populate_existing=True))


@statement
def holding_read() -> Select:
    """The instance of the open task `key`, locked, joined to each of its open tasks, and its
    revision as this statement's snapshot saw it: read from an alias the lock does not re-read,
    so that it differs from the instance's own when the lock had to wait for a writer.

    The instance's state comes once, on the row of task `key` (fourth column), not on each open
    task's row: a case following a plan has an open task per action, and its state (tens of
    kilobytes) was decompressed, sent and decoded once per row."""
    owner = aliased(HumanTask)
    seen = ProcessInstance.__table__.alias("seen")
    state = case((HumanTask.id == bindparam("key"), ProcessInstance.state))
    return (select(ProcessInstance, HumanTask, seen.c.revision, state).options(defer(ProcessInstance.state))
            .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
            .join(seen, seen.c.id == ProcessInstance.id)
            .where(ProcessInstance.id == select(owner.instance_id).where(owner.id == bindparam("key"))
                   .scalar_subquery())
            .with_for_update(of=ProcessInstance).execution_options(populate_existing=True))


@statement
def _due_read(excluding: bool) -> Select:
    stmt = (select(ProcessInstance)
            .where(ProcessInstance.status == "running", ProcessInstance.next_timer_due <= bindparam("now"))
            .order_by(ProcessInstance.next_timer_due).limit(bindparam("limit"))
            .with_for_update(of=ProcessInstance, skip_locked=True).execution_options(populate_existing=True))
    return stmt.where(ProcessInstance.id.not_in(bindparam("exclude", expanding=True))) if excluding else stmt


@statement
def _open_tasks_read(many: bool = False) -> Select:
    if many:
        return select(HumanTask).where(HumanTask.instance_id.in_(bindparam("ids", expanding=True)))
    return select(HumanTask).where(HumanTask.instance_id == bindparam("id"))


def _mi_item(task) -> Any:
    """The multi-instance item a task works on (its own, or its enclosing subprocess's)."""
    current = task
    while current is not None:
        owner = current.parent
        spec = getattr(owner, "task_spec", None)
        item_spec = getattr(spec, "input_item", None)
        # Only the MI's own instances carry the item: tasks after the MI keep a stale copy.
        if item_spec is not None and getattr(spec, "task_spec", None) == current.task_spec.name:
            return task.data.get(item_spec.bpmn_id)
        parent_id = getattr(current.workflow, "parent_task_id", None)
        current = current.workflow.top_workflow.get_task_from_id(parent_id) if parent_id is not None else None
    return None


def missing_task_error(session: Session, task_id: str) -> Exception:
    """Why a task id has no open task: completed already (by whom), or it never existed."""
    done = session.scalar(select(AuditEvent).where(AuditEvent.kind == "task_completed")
                          .where(AuditEvent.detail["task_id"].as_string() == task_id).limit(1))
    if done is not None:
        return TaskStateError(f"this task was already completed by {done.actor}")
    return NotFoundError("no such open task")
