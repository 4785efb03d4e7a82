"""What changed between two versions, and moving running instances onto a newer one.

The diff of versions compares their elements and their parsed specs (scripts, conditions,
timers, forms, decision tables). Moving an instance uses SpiffWorkflow's own
`diff_workflow` / `migrate_workflow`: an instance can move when no step it has passed through
or is at has been removed. Moving resets the open steps: their timers start again from now and
answers typed into an open step but not submitted are lost; the preview says so.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from . import clock as clock_mod
from .errors import EngineError
from .expressions import runtime_message
from .models import ProcessInstance, ProcessVersion
from .problem_texts import Message, say
from .runtime import Runtime
from .scripting import ScriptEngine
from .serializer import Specs, WorkflowCodec, triggered
from .timers import due_times

# Internal task specs SpiffWorkflow adds around the drawn elements.
_INTERNAL_SUFFIXES = (".BoundaryEventSplit", ".BoundaryEventJoin", ".EndJoin", " [child]")
_INTERNAL_NAMES = {"Start", "End", "StartEventSplit", "StartEventJoin"}
# Spec attributes said in the process owner's words: each has a "diff.<attribute>" text.
_LABELLED = {"lane", "event_definition", "cond_task_specs", "default_task_spec", "script", "prescript", "postscript",
             "decision_table", "operation_name", "operation_params", "outputs", "inputs", "cancel_activity",
             "data_input", "data_output", "cardinality", "condition", "documentation", "typename"}
_SKIP = {"name", "description", "lookahead", "manual", "bpmn_id", "extensions", "result_variable",
         "input_item", "output_item", "task_spec"}


@dataclass
class ElementChange:
    """One element added, removed or changed between two versions."""

    kind: str  # added | removed | changed
    element_id: str
    type: str
    name: str
    details: list[str] = field(default_factory=list)  # Messages: .text(locale)


def _visible(name: str) -> bool:
    return name not in _INTERNAL_NAMES and not name.endswith(_INTERNAL_SUFFIXES)


def _task_specs(spec_json: str) -> dict[str, dict[str, Any]]:
    data = json.loads(spec_json)
    specs = dict(data["spec"]["task_specs"])
    for sub in data["subprocess_specs"].values():
        specs.update(sub["task_specs"])
    return {name: spec for name, spec in specs.items() if _visible(name)}


def _flows(spec: dict[str, Any]) -> list[str]:
    return sorted(n.split(".")[0] for n in spec.get("outputs", []) if _visible(n) or "." in n)


def _timer(spec: dict[str, Any]) -> str | None:
    definition = spec.get("event_definition") or {}
    return definition.get("expression") if isinstance(definition, dict) else None


def _label(key: str) -> Message:
    return say(f"diff.{key}") if key in _LABELLED else say("diff.other", name=key.replace("_", " "))


def _spec_details(old: dict[str, Any], new: dict[str, Any], names: dict[str, str]) -> list[str]:
    details = []
    if old.get("bpmn_name") != new.get("bpmn_name"):
        details.append(say("diff.name", old=old.get("bpmn_name"), new=new.get("bpmn_name")))
    if _timer(old) != _timer(new) and (_timer(old) or _timer(new)):
        details.append(say("diff.timer", old=_timer(old), new=_timer(new)))
    old_props = (old.get("extensions") or {}).get("properties") or {}
    new_props = (new.get("extensions") or {}).get("properties") or {}
    for key in sorted(set(old_props) | set(new_props)):
        if old_props.get(key) != new_props.get(key):
            details.append(say("diff.property", key=key, old=old_props.get(key), new=new_props.get(key)))
    other_ext = {k for k in set(old.get("extensions") or {}) | set(new.get("extensions") or {}) if k != "properties"}
    if any((old.get("extensions") or {}).get(k) != (new.get("extensions") or {}).get(k) for k in other_ext):
        details.append(say("diff.extensions"))
    for key in sorted(set(old) | set(new)):
        if key in _SKIP or key == "bpmn_name" or (key == "event_definition" and _timer(old) != _timer(new)):
            continue
        if key in ("outputs", "inputs"):
            if _flows(old) != _flows(new) and key == "outputs":
                details.append(say("diff.outputs"))
            continue
        if key == "cond_task_specs" and old.get(key) != new.get(key):
            details += _condition_changes(old.get(key) or [], new.get(key) or [], names)
            continue
        if old.get(key) != new.get(key):
            details.append(_label(key))
    return details


def _condition_changes(old: list[dict[str, Any]], new: list[dict[str, Any]], names: dict[str, str]) -> list[str]:
    """Each flow of a gateway whose condition changed, said with its text before and after
    ('—' for none); flows added or removed are said by 'outgoing flows'."""
    def by_target(items):
        return {item.get("task_spec", "").removesuffix(".BoundaryEventSplit"): item.get("condition")
                for item in items if isinstance(item, dict)}

    before, after = by_target(old), by_target(new)
    changed = [target for target in sorted(set(before) & set(after)) if before[target] != after[target]]
    if not changed:
        return [_label("cond_task_specs")] if before != after else []
    return [say("diff.flow_condition", target=names.get(target) or target, old=before[target] or "—",
                new=after[target] or "—") for target in changed]


def diff_versions(old: ProcessVersion, new: ProcessVersion) -> list[ElementChange]:
    """Elements added, removed and changed from `old` to `new` (with what changed in each)."""
    old_elements, new_elements = old.elements or {}, new.elements or {}
    old_specs, new_specs = _task_specs(old.spec_json), _task_specs(new.spec_json)
    changes: list[ElementChange] = []
    for element_id in sorted(set(new_elements) - set(old_elements)):
        item = new_elements[element_id]
        changes.append(ElementChange("added", element_id, item.get("type", ""), item.get("name", "")))
    for element_id in sorted(set(old_elements) - set(new_elements)):
        item = old_elements[element_id]
        changes.append(ElementChange("removed", element_id, item.get("type", ""), item.get("name", "")))
    old_forms, new_forms = old.forms or {}, new.forms or {}
    names = {key: item.get("name") for key, item in new_elements.items()}
    for element_id in sorted(set(old_elements) & set(new_elements)):
        before, after = old_elements[element_id], new_elements[element_id]
        details = []
        if before.get("type") != after.get("type"):
            details.append(say("diff.type", old=before.get("type"), new=after.get("type")))
        if (before.get("name_en") or "") != (after.get("name_en") or ""):
            details.append(say("diff.name_en", old=before.get("name_en") or "—", new=after.get("name_en") or "—"))
        if element_id in old_specs and element_id in new_specs:
            details += _spec_details(old_specs[element_id], new_specs[element_id], names)
        form = new_forms.get(element_id)
        if form and old_forms.get(element_id) == form and \
                (old.files or {}).get("forms/" + form) != (new.files or {}).get("forms/" + form):
            details.append(say("diff.form_edited", form=form))
        if details:
            changes.append(ElementChange("changed", element_id, after.get("type", ""), after.get("name", ""),
                                         list(dict.fromkeys(details))))
    return changes


# -- moving instances ---------------------------------------------------------------------------------
@dataclass
class MigrationPlan:
    """Whether one instance can move to a version, and what moving does to it."""

    instance_id: int
    business_key: str
    from_version: int
    to_version: int
    can_move: bool = True
    reasons: list[str] = field(default_factory=list)  # Messages: .text(locale)
    effects: list[str] = field(default_factory=list)  # Messages: .text(locale)
    open_before: list[str] = field(default_factory=list)
    open_after: list[str] = field(default_factory=list)
    migrated: bool = False


_FINISHED = TaskState.COMPLETED | TaskState.ERROR
_CURRENT = TaskState.READY | TaskState.STARTED | TaskState.WAITING


def _step(task) -> str:
    spec = task.task_spec
    return f"{spec.bpmn_name or spec.bpmn_id or spec.name}"


def _removed_reasons(top_diff, sp_diffs, workflow) -> list[str]:
    reasons = []
    removed = list(top_diff.removed)
    for sp_id, diff in sp_diffs.items():
        if diff is None:
            reasons.append(say("migrate.subprocess_removed", name=workflow.subprocesses[sp_id].spec.name))
        else:
            removed += diff.removed
    for task in removed:
        if not _visible(task.task_spec.name):
            continue
        if task.state & _FINISHED:
            reasons.append(say("migrate.went_through", step=_step(task)))
        elif task.state & _CURRENT:
            reasons.append(say("migrate.is_at", step=_step(task)))
    return list(dict.fromkeys(reasons))


def _leftovers(workflow) -> list[str]:
    """Steps still tied to the old version after migrating (they would not load)."""
    left = []
    for wf in [workflow, *workflow.subprocesses.values()]:
        known = set(map(id, wf.spec.task_specs.values()))
        for task in wf.tasks.values():
            if id(task.task_spec) not in known and _visible(task.task_spec.name):
                left.append(say("migrate.leftover", step=_step(task)))
    return list(dict.fromkeys(left))


def _spec_diff(registry, original, new) -> SpecDiff:
    diff = SpecDiff(registry, original, new)
    # SpecDiff walks from the start task; an event subprocess is connected to it only once
    # triggered, and the restored spec is the pristine one: align the rest by name.
    for spec in original.task_specs.values():
        if spec not in diff.alignment:
            candidate = new.task_specs.get(spec.name)
            diff.alignment[spec] = candidate
            if candidate is not None:
                diff.comparisons[spec] = diff._compare_task_specs(spec, candidate)
    return diff


def _diff_workflow(registry, workflow, target: Specs):
    """SpiffWorkflow's diff_workflow, with every spec aligned (see _spec_diff)."""
    top_diff = WorkflowDiff(workflow, _spec_diff(registry, workflow.spec, target.spec))
    sp_diffs = {}
    for sp_id, sub in workflow.subprocesses.items():
        new = target.subprocess_specs.get(sub.spec.name)
        sp_diffs[sp_id] = WorkflowDiff(sub, _spec_diff(registry, sub.spec, new)) if new is not None else None
    return top_diff, sp_diffs


def move(codec: WorkflowCodec, workflow, target: Specs) -> list[str]:
    """Put `workflow` on `target` specs in place; return why it cannot move (then it is unusable)."""
    top_diff, sp_diffs = _diff_workflow(codec.registry, workflow, target)
    reasons = _removed_reasons(top_diff, sp_diffs, workflow)
    if reasons:
        return reasons
    migrate_workflow(top_diff, workflow, target.spec)
    for sp_id, diff in sp_diffs.items():
        sub = workflow.subprocesses.get(sp_id)
        if sub is not None and diff is not None:
            migrate_workflow(diff, sub, target.subprocess_specs[sub.spec.name])
    workflow.subprocess_specs = target.subprocess_specs
    return _leftovers(workflow)


def _open(workflow) -> list[str]:
    return sorted({_step(t) for t in workflow.get_tasks(state=TaskState.READY, manual=True)})


def _local(moment: dt.datetime) -> str:
    """A timer's due time as the pages write times: Brussels' day and hour."""
    return f"{moment.astimezone(clock_mod.BRUSSELS):%d/%m/%Y %H:%M}"


def _timers(workflow) -> dict[str, dt.datetime]:
    return {_step(task): due for task, due in due_times(workflow)}


def plan(runtime: Runtime, session: Session, instance: ProcessInstance, target: ProcessVersion) -> MigrationPlan:
    """Preview moving `instance` to `target`: done on a copy in memory, nothing saved or sent."""
    result = MigrationPlan(instance.id, instance.business_key, instance.version.number, target.number)
    if instance.status == "completed":
        return _refuse(result, say("migrate.finished"))
    if instance.version.process_id != target.process_id:
        return _refuse(result, say("migrate.other_process"))
    if target.number <= instance.version.number:
        return _refuse(result, say("migrate.already_on", number=instance.version.number))
    calls: list[str] = []

    def record(task, operation: str, params: dict[str, Any]) -> Any:
        calls.append(say("migrate.would_run", step=_step(task), operation=operation))
        return {}

    engine = ScriptEngine(runtime.environment, record)
    with clock_mod.using(runtime.clock):
        try:
            workflow, specs = private_copies(runtime, instance, target, engine)
            result.open_before = _open(workflow)
            before = _timers(workflow)
            reasons = move(runtime.codec, workflow, specs)
            if reasons:
                return _refuse(result, *reasons)
            workflow.do_engine_steps()
            runtime.codec.dumps(workflow)
        except Exception as err:  # noqa: BLE001 - a case that cannot move is reported, never half moved
            return _refuse(result, say("migrate.would_fail", reason=runtime_message(err)))
    result.open_after = _open(workflow)
    after = _timers(workflow)
    for name, due in sorted(after.items()):
        if name in before and abs((before[name] - due).total_seconds()) >= 60:
            result.effects.append(say("migrate.timer_restarts", name=name, due=_local(due), before=_local(before[name])))
        elif name not in before:
            result.effects.append(say("migrate.timer_set", name=name, due=_local(due)))
    # Open steps keep their tasks (SpiffWorkflow resets a READY task in place, its id kept): their
    # drafts, kept by task id, stay with them; nothing typed is lost, and nothing is said of it.
    result.effects += calls
    return result


def private_copies(runtime: Runtime, instance: ProcessInstance, target: ProcessVersion,
                   engine: ScriptEngine) -> tuple[Any, Specs]:
    """The instance's workflow and `target`'s specs, both private (never pooled) and carrying the
    event subprocesses this instance has triggered (see serializer.Specs.connect)."""
    state = json.loads(instance.state)
    old = instance.version
    connections = triggered(state, old.process_id, runtime.specs.triggers(old.id, old.spec_json))
    workflow = runtime.codec.loads(state, runtime.codec.restore_specs(old.spec_json, connections), engine)
    specs = runtime.codec.restore_specs(target.spec_json)
    renamed = {(target.process_id if name == old.process_id else name, sub) for name, sub in connections}
    specs.connect(frozenset(item for item in renamed if item[1] in specs.triggers().get(item[0], set())))
    return workflow, specs


def _refuse(result: MigrationPlan, *reasons: str) -> MigrationPlan:
    result.can_move = False
    result.reasons = list(reasons)
    return result


def migrate(runtime: Runtime, session: Session, instance: ProcessInstance, target: ProcessVersion, *,
            actor: str) -> MigrationPlan:
    """Move one instance to `target` through the runtime's save path, in the caller's transaction.

    Returns the plan; when `can_move` is false nothing was changed. Use one transaction per
    instance so that one case that fails leaves the others moved. Raises ConflictError.
    """
    result = plan(runtime, session, instance, target)
    if not result.can_move:
        return result

    def change(workflow, specs: Specs) -> None:
        reasons = move(runtime.codec, workflow, specs)
        if reasons:  # the case changed since the preview
            raise EngineError("; ".join(reasons))

    runtime.rewrite(session, instance.id, change, version=target, actor=actor, kind="instance_migrated",
                    detail={"process_id": target.process_id, "from_version": result.from_version,
                            "to_version": result.to_version})
    result.migrated = True
    return result
