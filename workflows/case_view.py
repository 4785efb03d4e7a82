"""What one person may see of a case: the whole of it, or only what concerns them.

The case manager of a case sees everything. A professional taking part in a case sees:
- the case's reference, status, pass, age band, region and the current step(s) of the process;
- the request's text only if they introduced it;
- consent status and scope per person (the basis on which information is shared with them);
- a plan version in full if they attended its concertation (participant with their account);
  otherwise only the actions they carry and the objectives those actions serve;
- the youth's wishes and complaints passed on to them, and nothing of the others;
- in the timeline: their own actions, their own notes, their own form submissions, the wishes
  and complaints addressed to them, and the notifications sent to them;
- never the evaluations, nor other people's notes or reports.
Process owners and coordinators see no named case content (the views raise NotFoundError).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, aliased

from engine.db import statement
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.serializer import completed_specs, waiting_specs

from . import consent, evaluations, messages, plans
from .models import (
    ActionReport,
    Case,
    CaseNote,
    Consent,
    Evaluation,
    FormSubmission,
    Notification,
    Objective,
    PlanAction,
    PlanVersion,
    User,
    YouthMessage,
)
from .permissions import require_view

# Reads are audited but are not events of the case; a completed task shows as its form submission.
HIDDEN_KINDS = ("case_viewed", "task_viewed", "answers_viewed", "task_completed")


@dataclass
class PlanView:
    version: PlanVersion
    full: bool
    objectives: list[Objective]
    actions: list[PlanAction]
    changes: list[plans.Change] = field(default_factory=list)
    reports: dict[int, list[ActionReport]] = field(default_factory=dict)


@dataclass
class CaseView:
    case: Case
    viewer: User
    full: bool
    instance: ProcessInstance | None
    open_tasks: list[HumanTask]
    current_steps: list[str]
    done_steps: list[str]
    consents: list[Consent]
    plans: list[PlanView]
    messages: list[YouthMessage]
    evaluations: list[Evaluation]
    timeline: list[dict[str, Any]]
    show_request: bool
    names: dict[str, str] = field(default_factory=dict)  # username -> display name, of the people shown
    plan_hidden: bool = False  # the case has a plan, none of it for this viewer
    consent_obtained: bool | None = None  # for a viewer shown no one's decision: whether all gave it

    @property
    def plan(self) -> PlanView | None:
        return self.plans[-1] if self.plans else None

    def about(self, task: HumanTask) -> str:
        """What an open task is about, where its step does not say: the plan action a report is on."""
        item = task.item if isinstance(task.item, dict) else {}
        if task.spec_name == "report_action" and self.plan is not None:
            return next((a.what for a in self.plan.actions if a.id == item.get("id")), "")
        return ""


def for_viewer(session: Session, viewer: User, case: Case) -> CaseView:
    """The case as `viewer` may see it. Raises NotFoundError when they may not see it at all."""
    require_view(session, viewer, case)
    full = viewer.role == "case_manager" and case.case_manager_id == viewer.id
    instance = session.get(ProcessInstance, case.instance_id) if case.instance_id else None
    tasks = list(session.scalars(_open_tasks_of_case(), {"reference": case.reference}))
    # A youth's wish or complaint is the case manager's until passed on: a partner does not see
    # that one is waiting for its acknowledgement, in the drawing either.
    current_steps = sorted({t.spec_name for t in tasks if full or t.spec_name != messages.ACKNOWLEDGE_STEP})
    if not full:
        tasks = [t for t in tasks if t.assignee == viewer.username]
    all_messages = messages.for_case(session, case)
    visible_messages = all_messages if full else [
        m for m in all_messages if any(r.user_id == viewer.id for r in m.recipients)]
    events = timeline(session, case, viewer, full, visible_messages)
    # The steps done are drawn for the case manager only, who reads every submission anyway.
    done_steps = sorted({item["detail"]["step"] for item in events if item["kind"] == "form_submitted"}) if full else []
    # Who carries the open tasks, by name: most appear in the history already.
    names = {username: name for item in events for username, name in item["names"].items()}
    missing = {t.assignee for t in tasks if t.assignee and t.assignee not in names}
    if missing:
        names.update(session.execute(_display_names(), {"names": list(missing)}).all())
    plan_views, has_plan = _plans(session, case, viewer, full)
    # Each person's consent for the case manager and those the plan is shared with (its scope
    # says what they may share); for anyone else (the requester), whether it was obtained.
    consents = consent.current(session, case)
    summary_only = not full and not plan_views and bool(consents)
    return CaseView(
        case=case, viewer=viewer, full=full, instance=instance, open_tasks=tasks, current_steps=current_steps,
        done_steps=done_steps, consents=[] if summary_only else consents, plans=plan_views,
        # As the process decides: a mature or adult youth's consent alone is enough (art. 12).
        consent_obtained=consent.status(consents, youth_adult=consent.is_adult_band(case.age_band)) == "given"
        if summary_only else None,
        plan_hidden=has_plan and not plan_views,
        messages=visible_messages, evaluations=evaluations.for_case(session, case) if full else [],
        timeline=events, show_request=full or case.requester_user_id == viewer.id, names=names,
    )


@statement
def _open_tasks_of_case() -> Select:
    return select(HumanTask).where(HumanTask.business_key == bindparam("reference")).order_by(HumanTask.created_at)


def _plans(session: Session, case: Case, viewer: User, full: bool) -> tuple[list[PlanView], bool]:
    """The plan's versions as `viewer` may see them, and whether the case has a plan at all."""
    views, previous, previous_seen = [], None, True
    every = plans.versions(session, case)
    reports = plans.reports_by_action(session, [a for version in every for a in version.actions])
    for version in every:
        attended = full or any(p.user_id == viewer.id for p in version.participants)
        if attended:
            # What changed names what the earlier version held: only for who could read it.
            view = PlanView(version, True, list(version.objectives), list(version.actions),
                            changes=plans.diff(previous, version) if previous_seen else [])
        else:
            mine = [a for a in version.actions if a.carrier_id == viewer.id]
            keys = {a.objective_id for a in mine}
            view = PlanView(version, False, [o for o in version.objectives if o.id in keys], mine)
        for action in view.actions:
            found = reports[action.id]
            view.reports[action.id] = found if full else [r for r in found if r.reported_by_id == viewer.id
                                                          or action.carrier_id == viewer.id]
        if view.actions or view.full:
            views.append(view)
        previous, previous_seen = version, attended
    return views, bool(every)


def timeline(session: Session, case: Case, viewer: User, full: bool,
             visible_messages: list[YouthMessage]) -> list[dict[str, Any]]:
    """State changes, submissions, notes, reminders, wishes and complaints, newest first.

    Each item names the people it mentions by username (`item["names"]`, username -> display
    name). Read as plain rows with those names joined in: the page shows them, never edits them.
    """
    items: list[dict[str, Any]] = []
    events, submissions, notes, sent = _timeline_reads(full)
    params = {"reference": case.reference, "case_id": case.id, "username": viewer.username, "user_id": viewer.id}
    known: dict[str, str] = {}
    for at, kind, actor, detail, actor_name in session.execute(events, params):
        items.append({"at": at, "kind": kind, "actor": actor, "detail": detail or {}})
        if actor_name is not None:
            known[actor] = actor_name
    for at, step, title, username, name, task_id in session.execute(submissions, params):
        items.append({"at": at, "kind": "form_submitted", "actor": username,
                      "detail": {"step": step, "title": title, "task_id": task_id}})
        known[username] = name
    for at, text, username, name in session.execute(notes, params):
        items.append({"at": at, "kind": "note", "actor": username, "detail": {"text": text, "author": name}})
        known[username] = name
    for message in visible_messages:
        items.append({"at": message.recorded_at, "kind": f"youth_{message.kind}", "actor": "",
                      "detail": {"text": message.text}})
    for at, reason, recipient in session.execute(sent, params):
        items.append({"at": at, "kind": "notification", "actor": "", "detail": {"reason": reason, "recipient": recipient}})
    _name_people(session, items, known)
    order = {"form_submitted": 0}
    # Newest first; at the same instant, the later record first (each source is read in id order).
    ranked = sorted(enumerate(items), key=lambda p: (p[1]["at"], order.get(p[1]["kind"], 1), p[0]), reverse=True)
    return [item for _index, item in ranked]


def _name_people(session: Session, items: list[dict[str, Any]], known: dict[str, str]) -> None:
    """Give each item the names of the people it mentions by username (who acted, from whom to
    whom a task or the case was handed over): `item["names"]`. Names not in `known` are read."""
    def mentioned(item: dict[str, Any]) -> list[str]:
        handed = [item["detail"].get("from"), item["detail"].get("to")] if item["kind"].endswith("_reassigned") else []
        return [name for name in (item["actor"], *handed) if isinstance(name, str) and name]

    missing = {name for item in items for name in mentioned(item)} - set(known)
    if missing:
        known = {**known, **dict(session.execute(_display_names(), {"names": list(missing)}).all())}
    for item in items:
        item["names"] = {name: known[name] for name in mentioned(item) if name in known}


@statement
def _display_names() -> Select:
    return select(User.username, User.display_name).where(User.username.in_(bindparam("names", expanding=True)))


@statement
def _timeline_reads(full: bool) -> tuple[Select, Select, Select, Select]:
    """Audit events, submissions, notes and notifications of a case, in id order, with the
    names of the people in them: all of them (`full`), or those of the viewer."""
    actor = aliased(User)
    events = (select(AuditEvent.at, AuditEvent.kind, AuditEvent.actor, AuditEvent.detail, actor.display_name)
              .outerjoin(actor, actor.username == AuditEvent.actor)
              .where(AuditEvent.business_key == bindparam("reference"), AuditEvent.kind.not_in(HIDDEN_KINDS))
              .order_by(AuditEvent.id))
    submissions = (select(FormSubmission.submitted_at, FormSubmission.step, FormSubmission.title, User.username,
                          User.display_name, FormSubmission.task_id)
                   .join(User, User.id == FormSubmission.submitted_by_id)
                   .where(FormSubmission.case_id == bindparam("case_id")).order_by(FormSubmission.id))
    notes = (select(CaseNote.written_at, CaseNote.text, User.username, User.display_name)
             .join(User, User.id == CaseNote.author_id)
             .where(CaseNote.case_id == bindparam("case_id")).order_by(CaseNote.id))
    sent = (select(Notification.created_at, Notification.reason, User.display_name)
            .join(User, User.id == Notification.recipient_id)
            .where(Notification.case_id == bindparam("case_id")).order_by(Notification.id))
    if not full:
        events = events.where(AuditEvent.actor == bindparam("username"))
        submissions = submissions.where(FormSubmission.submitted_by_id == bindparam("user_id"))
        notes = notes.where(CaseNote.author_id == bindparam("user_id"))
        sent = sent.where(Notification.recipient_id == bindparam("user_id"))
    return events, submissions, notes, sent


def add_note(session: Session, viewer: User, case: Case, text: str, now) -> CaseNote:
    """A note on the case by someone who may see it. Raises FormError, NotFoundError."""
    from .errors import FormError
    from .forms import FieldError

    require_view(session, viewer, case)
    text = (text or "").strip()
    if not text:
        raise FormError([FieldError("text", "required")])
    if len(text) > 4000:
        raise FormError([FieldError("text", "maxLength", {"limit": 4000})])
    note = CaseNote(case_id=case.id, author_id=viewer.id, written_at=now, text=text)
    session.add(note)
    session.flush()
    return note


# Steps the engine does by itself: no form is submitted for them, so the history cannot say
# they were done; the saved state can.
AUTOMATIC_STEPS = ("businessRuleTask", "serviceTask", "scriptTask", "sendTask")


def drawn_states(instance: ProcessInstance, elements: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What the drawing marks beyond the open tasks and the forms submitted: the intermediate
    events the process waits on (a timer before the post-exit check-in, ...), and the automatic
    steps done (the eligibility decision, a reminder sent, ...).

    Read from the saved state, without restoring the workflow (the case page may afford a parse;
    the inbox never reads the state). A state that cannot be read leaves the drawing without
    these highlights rather than failing the page.
    """
    try:
        state = json.loads(instance.state)
        waiting, completed = waiting_specs(state), completed_specs(state)
    except Exception:  # noqa: BLE001 - a drawing aid, never a reason to refuse the page
        return [], []

    def of_type(names: set[str], types: tuple[str, ...]) -> list[str]:
        return sorted(name for name in names if name and (elements.get(name) or {}).get("type") in types)

    return of_type(waiting, ("intermediateCatchEvent",)), of_type(completed, AUTOMATIC_STEPS)
