"""Dry run: start an instance of a bundle in memory and walk its default path. No database.

Each user task is completed with the smallest answers its form accepts (plus what the domain
says a realistic answer is, through `adapt`), timers are fired by moving a ManualClock, the
workflow is serialized and restored after every step as a real save would. What only shows
on real data (a timer built from a plan action's date, a DMN cell, a service parameter, a
task's due date) fails here instead of in a running case.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from . import clock as clock_mod
from .bundles import Bundle
from .clock import ManualClock
from .errors import Problem
from .expressions import runtime_message
from .problem_texts import say
from .sample_data import answers
from .scripting import RestrictedEnvironment, ScriptEngine
from .serializer import WorkflowCodec
from .timers import due_times
from .validation import FORM_PROPERTY, ParsedBundle

# (element id, sample form answers, data the task sees) -> the data to complete the task with.
Adapt = Callable[[str, dict[str, Any], Mapping[str, Any]], dict[str, Any]]
DATE_PROPERTIES = ("dueDate",)
DURATION_PROPERTIES = ("dueIn",)


@dataclass
class Step:
    """One thing that happened in the dry run, for the process owner to read."""

    kind: str  # start | task | timer | message | service | end | stop
    element_id: str
    name: str
    at: dt.datetime
    detail: str = ""  # a Message (say it with .text(locale)) or a service call, shown verbatim
    call: tuple[str, dict[str, Any]] | None = None  # a service step's operation and parameters


@dataclass
class DryRunReport:
    steps: list[Step] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # Messages: .text(locale)
    completed: bool = False
    data_names: set[str] = field(default_factory=set)  # every name the walk's data held (see engine.names)

    @property
    def ok(self) -> bool:
        return not self.problems


def _where(task) -> tuple[str | None, str | None]:
    spec = getattr(task, "task_spec", None)
    if spec is None:
        return None, None
    return getattr(spec, "bpmn_id", None) or spec.name, getattr(spec, "bpmn_name", None)


class _Walk:
    def __init__(self, parsed: ParsedBundle, bundle: Bundle, *, helpers, services, adapt, preferred, clock):
        self.bundle, self.adapt, self.preferred, self.clock = bundle, adapt, preferred or {}, clock
        self.services = services
        self.codec = WorkflowCodec()
        self.env = RestrictedEnvironment(helpers)
        self.engine = ScriptEngine(self.env, self._service)
        # A copy of its own: SpiffWorkflow mutates specs at run time (an event subprocess fires).
        self.specs = self.codec.restore_specs(self.codec.dumps_specs(parsed.spec, parsed.subprocess_specs))
        self.report = DryRunReport()
        self.fired: set[str] = set()

    def note_step(self, kind: str, task, detail: str = "", call: tuple[str, dict[str, Any]] | None = None) -> None:
        element_id, name = _where(task)
        self.report.steps.append(Step(kind, element_id or "", name or element_id or "", self.clock.now(), detail,
                                      call))

    def _service(self, task, operation: str, params: dict[str, Any]) -> Any:
        if self.services is not None and operation not in self.services:
            raise WorkflowException(f"unknown service operation '{operation}'")
        json.dumps(params, default=str)
        shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
        self.note_step("service", task, f"{operation}({shown})", (operation, dict(params)))
        return {"dry_run": True}

    def roundtrip(self, workflow):
        # What a real save does: anything that cannot be stored fails here, by name.
        return self.codec.loads(self.codec.dumps(workflow), self.specs, self.engine)

    def check_properties(self, workflow, task) -> None:
        props = (getattr(task.task_spec, "extensions", None) or {}).get("properties", {})
        from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition as Timer

        for name in ("assignee", "subject", *DATE_PROPERTIES, *DURATION_PROPERTIES):
            expression = props.get(name)
            if not expression:
                continue
            try:
                value = self.env.evaluate(expression, {**workflow.data, **task.data})
                if name in DATE_PROPERTIES and value:
                    Timer.get_datetime(value) if len(str(value)) > 10 else dt.date.fromisoformat(str(value))
                if name in DURATION_PROPERTIES and value:
                    Timer.parse_iso_duration(value)
            except Exception as err:  # noqa: BLE001 - reported, the case would silently lose it
                element_id, element_name = _where(task)
                problem = Problem(say("dryrun.property_fails", name=name, expression=expression,
                                      reason=runtime_message(err)), element_id=element_id, element_name=element_name)
                if problem not in self.report.problems:
                    self.report.problems.append(problem)

    def complete(self, workflow, task) -> None:
        element_id, _ = _where(task)
        props = (getattr(task.task_spec, "extensions", None) or {}).get("properties", {})
        schema_text = self.bundle.form(props.get(FORM_PROPERTY, "")) if props.get(FORM_PROPERTY) else None
        schema = json.loads(schema_text) if schema_text else {"type": "object"}
        form, errors = answers(schema, self.preferred.get(element_id or ""), self.clock.now().date())
        if errors:
            self.report.notes.append(say("dryrun.answers_incomplete", element=element_id, errors="; ".join(errors)))
        data = self.adapt(element_id or "", form, {**workflow.data, **task.data}) if self.adapt else form
        task.set_data(**data)
        task.run()
        self.note_step("task", task)

    def fire_next_timer(self, workflow, *, only_new: bool) -> bool:
        pending = [(due, task) for task, due in due_times(workflow) if not only_new or str(task.id) not in self.fired]
        if not pending:
            return False
        due, task = min(pending, key=lambda item: item[0])
        if due >= self.clock.now():
            # SpiffWorkflow fires a timer once "now" is strictly past its due time.
            self.clock.set(due + dt.timedelta(seconds=1))
        self.fired.add(str(task.id))
        self.note_step("timer", task, say("dryrun.timer_fired"))  # when: the step's own time
        workflow.refresh_timers()
        return True


def dry_run(parsed: ParsedBundle, bundle: Bundle, *, start_data: Mapping[str, Any] | None = None,
            helpers: Mapping[str, Any] | None = None, services: set[str] | None = None,
            adapt: Adapt | None = None, preferred: Mapping[str, dict[str, Any]] | None = None,
            messages: Mapping[str, Mapping[str, Any]] | None = None, start: dt.datetime | None = None,
            max_steps: int = 200) -> DryRunReport:
    """Walk the default path of a validated bundle in memory; never raises for a diagram's fault."""
    if parsed is None:
        return DryRunReport(problems=[Problem(say("dryrun.needs_valid_bundle"))])
    clock = ManualClock(start)
    walk = _Walk(parsed, bundle, helpers=helpers, services=services, adapt=adapt, preferred=preferred,
                 clock=clock)
    report = walk.report
    current = workflow = None
    with clock_mod.using(clock):
        try:
            workflow = walk.codec.new_workflow(walk.specs, walk.engine)
            workflow.data.update(start_data or {})
            first = workflow.get_next_task(state=TaskState.READY)
            current = first
            first.set_data(**dict(start_data or {}))
            report.steps.append(Step("start", "", "", clock.now()))
            workflow.do_engine_steps()
            for name, payload in (messages or {}).items():
                try:
                    workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload=dict(payload)))
                    report.steps.append(Step("message", name, name, clock.now()))
                except WorkflowException:
                    report.notes.append(say("dryrun.message_not_caught", name=name))
                workflow.do_engine_steps()
            for _ in range(max_steps):
                workflow = walk.roundtrip(workflow)
                if workflow.is_completed():
                    report.completed = True
                    report.steps.append(Step("end", "", "", clock.now()))
                    break
                ready = workflow.get_tasks(state=TaskState.READY, manual=True)
                for task in ready:
                    walk.check_properties(workflow, task)
                if walk.fire_next_timer(workflow, only_new=True):
                    workflow.do_engine_steps()
                    continue
                if ready:
                    current = ready[0]
                    walk.complete(workflow, current)
                    workflow.do_engine_steps()
                    continue
                if walk.fire_next_timer(workflow, only_new=False):
                    workflow.do_engine_steps()
                    continue
                waiting = [_where(t)[1] or _where(t)[0] for t in workflow.get_tasks(state=TaskState.WAITING)]
                report.notes.append(say("dryrun.stops", waiting=", ".join(w for w in waiting if w)
                                        or say("word.nothing_visible")))
                report.steps.append(Step("stop", "", "", clock.now()))
                break
            else:
                report.problems.append(Problem(say("dryrun.endless", steps=max_steps)))
        except Exception as err:  # noqa: BLE001 - every failure is the diagram's, reported with where
            task = getattr(err, "task", None) or current
            element_id, element_name = _where(task)
            report.problems.append(Problem(say("dryrun.failed", reason=runtime_message(err)), element_id=element_id,
                                           element_name=element_name))
        if workflow is not None:
            report.data_names.update(workflow.data)
            for task in workflow.get_tasks():
                report.data_names.update(task.data)
    return report
