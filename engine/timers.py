"""Pure: the due times of a workflow's waiting timers. No database, no scheduler."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition


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
