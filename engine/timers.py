"""Pure: the due times of a workflow's waiting timers. No database, no scheduler."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.util.task import TaskState


def _is_timer(task) -> bool:
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return any(isinstance(d, TimerEventDefinition) for d in definition.event_definitions)
    return isinstance(definition, TimerEventDefinition)


def _as_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def due_times(workflow: BpmnWorkflow) -> Iterator[tuple[object, dt.datetime]]:
    """(task, due time) for every armed timer, read where SpiffWorkflow keeps it.

    `waiting_events()` is not enough: it hides timers inside event-based gateways.
    """
    for task in list(workflow.event_manager.tasks.values()):
        if not _is_timer(task):
            continue
        value = task.internal_data.get("event_value")
        if isinstance(value, dict):  # cycle timer: {'cycles', 'next', 'duration'}
            if value.get("cycles") != 0 and value.get("next"):
                yield task, _as_utc(dt.datetime.fromisoformat(value["next"]))
        elif isinstance(value, str):
            parsed = TimerEventDefinition.parse_time_or_duration(value)
            if isinstance(parsed, dt.datetime):
                yield task, _as_utc(parsed)


def next_due(workflow: BpmnWorkflow) -> dt.datetime | None:
    """The earliest due time of the workflow's waiting timers, or None."""
    dues = [due for _, due in due_times(workflow)]
    return min(dues) if dues else None


def boundary_timers(task) -> list:
    """The timers on the boundary of `task` (a user task's siblings under its boundary split):
    armed, or done with (a cycle whose repetitions have all come)."""
    parent = task.parent
    if parent is None:
        return []
    return [sibling for sibling in parent.children if sibling is not task and _is_timer(sibling)
            and sibling.state in (TaskState.WAITING, TaskState.COMPLETED)]


def rearm(task, data: dict) -> None:
    """Arm a boundary timer again from its expression read on `data` (merged into its own), as
    SpiffWorkflow arms it when the task starts waiting: a cycle gets all its repetitions back,
    from its (new) start. One done with waits again (its past branches, reminders sent, go)."""
    if task.state != TaskState.WAITING:
        # Waiting again, as when first reached: not through Task.reset_branch, whose update would
        # arm it from its old data and send a reminder of the old date at once.
        task._drop_children(force=True)
        task._set_state(TaskState.WAITING)
        task.workflow.top_workflow.event_manager.add_task(task)
    task.set_data(**data)
    definition = task.task_spec.event_definition
    task.internal_data.pop("event_value", None)
    task.internal_data.pop("event_fired", None)
    if isinstance(definition, CycleTimerEventDefinition):
        expression = task.workflow.script_engine.evaluate(task, definition.expression)
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
        task.internal_data["event_value"] = {"cycles": cycles, "next": start.isoformat(),
                                             "duration": duration.total_seconds()}
    elif isinstance(definition, TimerEventDefinition):
        definition.has_fired(task)  # evaluates and stores the due time (fired at once if past)
