"""The individual plan: versions from each concertation, actions, their reports, what changed."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, bindparam, cast, select
from sqlalchemy import case as when_then
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from engine.clock import BRUSSELS
from engine.db import statement

from .context import TaskContext
from .errors import FormError, NotFoundError
from .forms import FieldError
from .members import add_member
from .models import ActionReport, Case, Objective, Participant, PlanAction, PlanVersion, User
from .users import find_active

# The step that reports on a plan action (its handler below finds the action with the task).
REPORTING = "report_action"
# An action is overdue the morning after its due date; its first reminder goes out then.
REMINDER_HOUR = dt.time(9, 0)


def versions(session: Session, case: Case) -> list[PlanVersion]:
    return list(session.scalars(_versions_of_case(), {"case_id": case.id}))


@statement
def _versions_of_case() -> Select:
    return select(PlanVersion).where(PlanVersion.case_id == bindparam("case_id")).order_by(PlanVersion.number)


def current(session: Session, case: Case) -> PlanVersion | None:
    return session.scalar(select(PlanVersion).where(PlanVersion.case_id == case.id)
                          .order_by(PlanVersion.number.desc()).limit(1))


def remind_from(due: dt.date) -> str:
    morning = dt.datetime.combine(due + dt.timedelta(days=1), REMINDER_HOUR, tzinfo=BRUSSELS)
    return morning.astimezone(dt.UTC).isoformat()


def _check_plan(ctx: TaskContext, data: dict[str, Any]) -> dict[str, Any]:
    """Cross-field rules JSON Schema cannot say; returns {username: user} of the carriers."""
    errors, carriers = _plan_errors(ctx, data)
    if errors:
        raise FormError(errors)
    return carriers


def plan_errors(ctx: TaskContext, data: dict[str, Any]) -> list[FieldError]:
    """The plan's cross-field rules on what of `data` is well formed, for a form the schema found
    errors in already: one answer then lists every error (a date in the future and an action's
    unknown objective), not one round after the other."""
    return _plan_errors(ctx, data)[0]


def _plan_errors(ctx: TaskContext, data: dict[str, Any]) -> tuple[list[FieldError], dict[str, User]]:
    errors = _check_dates(ctx, data)
    if data.get("youth_present") is False:
        # The plan would print both: the youth among those present, and the youth absent.
        errors += [FieldError(f"participants/{i}/kind", "youth_absent_listed") for i, participant
                   in _rows(data, "participants") if participant.get("kind") == "youth"]
    keys: set[str] = set()
    for i, objective in _rows(data, "objectives"):
        key = objective.get("key")
        if not isinstance(key, str) or not key:
            continue
        if key in keys:
            errors.append(FieldError(f"objectives/{i}/key", "duplicate_key", {"name": key}))
        keys.add(key)
    carriers: dict[str, User] = {}
    for i, action in _rows(data, "actions"):
        if isinstance(action.get("objective"), str) and action["objective"] and action["objective"] not in keys:
            errors.append(FieldError(f"actions/{i}/objective", "unknown_objective", {"name": action["objective"]}))
        if not isinstance(action.get("carrier"), str) or not action["carrier"]:
            continue
        user = carriers.get(action["carrier"]) or find_active(ctx.session, action["carrier"])
        if user is None or user.role not in ("professional", "case_manager"):
            errors.append(FieldError(f"actions/{i}/carrier", "unknown_user", {"name": action["carrier"]}))
        elif user.role == "case_manager" and user.id != ctx.case.case_manager_id:
            # A case manager sees only their own cases: they could not open the report's task.
            errors.append(FieldError(f"actions/{i}/carrier", "not_a_carrier", {"name": user.display_name}))
        else:
            carriers[user.username] = user
    for i, participant in _rows(data, "participants"):
        if not isinstance(participant.get("user"), str) or not participant["user"]:
            continue
        user = find_active(ctx.session, participant["user"])
        if user is None:
            errors.append(FieldError(f"participants/{i}/user", "unknown_user", {"name": participant["user"]}))
        elif user.role != "professional" and user.id != ctx.case.case_manager_id:
            # The account would take part in the case and read its plan: a coordinator or a
            # process owner reads no case, another case manager not this one.
            errors.append(FieldError(f"participants/{i}/user", "not_a_participant", {"name": user.display_name}))
    return errors, carriers


def _rows(data: dict[str, Any], name: str) -> list[tuple[int, dict[str, Any]]]:
    rows = data.get(name)
    return [(i, row) for i, row in enumerate(rows) if isinstance(row, dict)] if isinstance(rows, list) else []


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _check_dates(ctx: TaskContext, data: dict[str, Any]) -> list[FieldError]:
    """A concertation is held today at the latest (Brussels' day); no action is due before it.

    Forms that mark held_on "x-past" have the first rule checked before this handler runs
    (workflows.forms); it stays here for the cases still on a process version whose form does not."""
    held_on = _date(data.get("held_on"))
    if held_on is None:
        return []  # the form's own check says why
    if held_on > ctx.now.astimezone(BRUSSELS).date():
        return [FieldError("held_on", "future")]  # the actions' dates are weighed against a right one
    errors = []
    for i, action in _rows(data, "actions"):
        due = _date(action.get("due"))
        if due is not None and due < held_on:
            errors.append(FieldError(f"actions/{i}/due", "before_concertation",
                                     {"date": held_on.strftime("%d/%m/%Y")}))
    return errors


def concertation(ctx: TaskContext, data: dict[str, Any]) -> dict[str, Any]:
    """Store the co-built plan as a new version; start one follow-up per action."""
    carriers = _check_plan(ctx, data)
    session, case = ctx.session, ctx.case
    number = len(versions(session, case)) + 1
    plan = PlanVersion(case_id=case.id, number=number, held_on=dt.date.fromisoformat(data["held_on"]),
                       youth_present=data["youth_present"], youth_absence_reason=data.get("youth_absence_reason", ""),
                       shared_information=data.get("shared_information", ""), created_by_id=ctx.user.id,
                       created_at=ctx.now)
    session.add(plan)
    session.flush()
    for participant in data["participants"]:
        user = find_active(session, participant["user"]) if participant.get("user") else None
        session.add(Participant(plan_version_id=plan.id, name=participant["name"],
                                organisation=participant.get("organisation", ""), kind=participant["kind"],
                                user_id=user.id if user else None,
                                charter_acknowledged=participant.get("charter_acknowledged", False)))
        if user is not None:
            add_member(session, case, user, "participant", ctx.now)
    objectives = {}
    for position, item in enumerate(data["objectives"]):
        objective = Objective(plan_version_id=plan.id, position=position, key=item["key"], title=item["title"],
                              indicator=item.get("indicator", ""))
        session.add(objective)
        objectives[item["key"]] = objective
    session.flush()
    planned = []
    for position, item in enumerate(data["actions"]):
        due = dt.date.fromisoformat(item["due"])
        carrier = carriers[item["carrier"]]
        action = PlanAction(plan_version_id=plan.id, objective_id=objectives[item["objective"]].id, position=position,
                            what=item["what"], carrier_id=carrier.id, due_on=due, how=item.get("how", ""),
                            duration=item.get("duration", ""))
        session.add(action)
        add_member(session, case, carrier, "carrier", ctx.now)
        planned.append((action, carrier, due))
    session.flush()
    case.pass_number += 1
    return {
        "pass_number": case.pass_number, "plan_version": number, "youth_present": data["youth_present"],
        # Small on purpose: ids, who and when. The plan itself stays in its tables.
        "plan_actions": [{"id": a.id, "carrier": c.username, "due": d.isoformat(), "remind_from": remind_from(d)}
                         for a, c, d in planned],
        # The follow-up collects one result per action here; a new pass starts it empty.
        "action_results": [],
    }


def report_action(ctx: TaskContext, data: dict[str, Any]) -> dict[str, Any]:
    # The action takes the reported status with the step's save (a plan action is never
    # deleted, so the one found now is there then); an object of it the session holds already
    # is brought up to date.
    action_id = ctx.action_id if ctx.action_id is not None else _action_id(ctx.session, ctx.case, ctx.task.item)
    held = ctx.session.identity_map.get(identity_key(PlanAction, action_id))
    if held is not None:
        set_committed_value(held, "status", data["status"])
    ctx.updates.append((PlanAction, action_id, {"status": data["status"]}))
    # Reports are never changed once made: written with the step's save.
    ctx.records.append((ActionReport, [{"action_id": action_id, "reported_by_id": ctx.user.id, "reported_at": ctx.now,
                                        "status": data["status"], "result": data["result"],
                                        "effectiveness": data.get("effectiveness")}]))
    return {"action_result": {"id": action_id, "status": data["status"]}}


def action_column(case_id: ColumnElement[int], item: ColumnElement[Any], when: ColumnElement[bool]) -> ColumnElement[Any]:
    """The id of the plan action of case `case_id` that a task's `item` ({"id": ...}) names, on
    the rows where `when` holds (else NULL, and nothing read): for a read of a report's task to
    carry (see `TaskContext.action_id`)."""
    return when_then((when, _action_named(case_id, item["id"].as_string()).scalar_subquery()))


def _action_named(case_id: ColumnElement[int], wanted: ColumnElement[str]) -> Select:
    # Ids compared as text: an item is whatever a diagram put there, and a cast of it to a
    # number could fail the whole read.
    return (select(PlanAction.id).join(PlanVersion, PlanVersion.id == PlanAction.plan_version_id)
            .where(PlanVersion.case_id == case_id, cast(PlanAction.id, String) == wanted))


@statement
def _case_action() -> Select:
    return _action_named(bindparam("case_id"), bindparam("wanted"))


def _action_id(session: Session, case: Case, item: Any) -> int:
    """The id of the plan action of `case` that a task's `item` names; NotFoundError if none."""
    wanted = item.get("id") if isinstance(item, dict) else None
    found = session.scalar(_case_action(), {"case_id": case.id, "wanted": str(wanted)}) \
        if wanted is not None and not isinstance(wanted, (dict, list)) else None
    if found is None:
        raise NotFoundError("this task is not tied to a plan action of its case")
    return found


def action_of_task(session: Session, item: Any, case: Case) -> PlanAction:
    """The plan action a report's task is about, if it is one of the task's own case."""
    return session.get(PlanAction, _action_id(session, case, item))


def reports(session: Session, action: PlanAction) -> list[ActionReport]:
    return list(session.scalars(select(ActionReport).where(ActionReport.action_id == action.id)
                                .order_by(ActionReport.reported_at)))


def reports_by_action(session: Session, actions: list[PlanAction]) -> dict[int, list[ActionReport]]:
    """The reports on each of `actions`, oldest first: one query for them all."""
    found: dict[int, list[ActionReport]] = {action.id: [] for action in actions}
    if found:
        for report in session.scalars(_reports_of_actions(), {"ids": list(found)}):
            found[report.action_id].append(report)
    return found


@statement
def _reports_of_actions() -> Select:
    return (select(ActionReport).where(ActionReport.action_id.in_(bindparam("ids", expanding=True)))
            .order_by(ActionReport.reported_at, ActionReport.id))


@dataclass(frozen=True)
class Difference:
    """One field of an objective or an action, before and after: a text, a date or (carrier) a user."""

    field: str  # title | indicator | what | carrier | due | how | duration
    old: str | dt.date | User
    new: str | dt.date | User


@dataclass(frozen=True)
class Change:
    kind: str  # added | removed | changed
    what: str  # objective | action
    label: str
    differences: tuple[Difference, ...] = ()

    @property
    def detail(self) -> str:
        """The differences as plain text, in the API's terms: usernames and ISO dates."""
        return "; ".join(f"{d.field}: {_plain(d.old)} → {_plain(d.new)}" for d in self.differences)


def _plain(value: str | dt.date | User | Objective) -> str:
    if isinstance(value, User):
        return value.username
    if isinstance(value, Objective):  # each version has its own rows: the same objective by its key
        return value.key
    return value.isoformat() if isinstance(value, dt.date) else value


def _differences(old: Any, new: Any, fields: dict[str, str]) -> tuple[Difference, ...]:
    """{field: attribute}: the fields whose value is not the same in `old` and `new`."""
    return tuple(Difference(name, getattr(old, attribute), getattr(new, attribute)) for name, attribute in fields.items()
                 if _plain(getattr(old, attribute)) != _plain(getattr(new, attribute)))


_OBJECTIVE_FIELDS = {"title": "title", "indicator": "indicator"}
_ACTION_FIELDS = {"what": "what", "objective": "objective", "carrier": "carrier", "due": "due_on", "how": "how",
                  "duration": "duration"}


def diff(old: PlanVersion | None, new: PlanVersion) -> list[Change]:
    """What changed between two plan versions: objectives by key, actions as `_pair_actions` matches them."""
    if old is None:
        return [Change("added", "objective", f"{o.key} {o.title}") for o in new.objectives] + \
               [Change("added", "action", a.what) for a in new.actions]
    changes: list[Change] = []
    before = {o.key: o for o in old.objectives}
    after = {o.key: o for o in new.objectives}
    for key in after.keys() - before.keys():
        changes.append(Change("added", "objective", f"{key} {after[key].title}"))
    for key in before.keys() - after.keys():
        changes.append(Change("removed", "objective", f"{key} {before[key].title}"))
    for key in before.keys() & after.keys():
        differences = _differences(before[key], after[key], _OBJECTIVE_FIELDS)
        if differences:
            changes.append(Change("changed", "objective", f"{key} {after[key].title}", differences))
    pairs, removed, added = _pair_actions(old.actions, new.actions)
    changes += [Change("added", "action", a.what) for a in added]
    changes += [Change("removed", "action", a.what) for a in removed]
    for a, b in pairs:
        differences = _differences(a, b, _ACTION_FIELDS)
        if differences:
            changes.append(Change("changed", "action", b.what, differences))
    return sorted(changes, key=lambda c: (c.what, c.kind, c.label))


def _pair_actions(old: list[PlanAction], new: list[PlanAction]) \
        -> tuple[list[tuple[PlanAction, PlanAction]], list[PlanAction], list[PlanAction]]:
    """The same action in both versions, (old, new); then the removed ones and the added ones.

    Actions have no identity across versions (each concertation stores its own rows): one is the
    same if it serves the same objective with the same text (case and spaces aside), or the same
    text under another objective (moved there), or, reworded, if it holds the same rank among its
    objective's actions (a second pass starts from the previous plan, so an action is reworded in
    place)."""
    free = list(range(len(old)))  # the old actions not paired yet
    paired: dict[int, int] = {}  # new index -> old index
    for same in (_texts, _moved, _places):
        before, after = same(old), same(new)
        for j in range(len(new)):
            i = next((i for i in free if before[i] == after[j]), None) if j not in paired else None
            if i is not None:
                paired[j] = i
                free.remove(i)
    return ([(old[paired[j]], new[j]) for j in sorted(paired)], [old[i] for i in free],
            [a for j, a in enumerate(new) if j not in paired])


def _texts(actions: list[PlanAction]) -> list[tuple[str, Any]]:
    return [(a.objective.key, a.what.strip().lower()) for a in actions]


def _moved(actions: list[PlanAction]) -> list[str]:
    return [a.what.strip().lower() for a in actions]


def _places(actions: list[PlanAction]) -> list[tuple[str, Any]]:
    """(objective key, rank among that objective's actions) of each action."""
    seen: Counter[str] = Counter()
    places = []
    for action in actions:
        places.append((action.objective.key, seen[action.objective.key]))
        seen[action.objective.key] += 1
    return places


def defaults_for_new_pass(plan: PlanVersion | None) -> dict[str, Any]:
    """A second pass starts from the previous plan, to adjust rather than retype."""
    if plan is None:
        return {}
    return {
        "objectives": [{"key": o.key, "title": o.title, "indicator": o.indicator} for o in plan.objectives],
        "actions": [{"objective": a.objective.key, "what": a.what, "carrier": a.carrier.username,
                     "due": a.due_on.isoformat(), "how": a.how, "duration": a.duration} for a in plan.actions],
        "participants": [{"name": p.name, "organisation": p.organisation, "kind": p.kind,
                          **({"user": p.user.username} if p.user else {})} for p in plan.participants],
    }
