"""The task page: the form drawn from the task's JSON Schema, drafts, completion, claims."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from types import SimpleNamespace
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.clock import BRUSSELS
from engine.models import HumanTask, ProcessInstance, ProcessVersion
from workflows import assignments, case_view, cases, drafts, members, notifications, plans
from workflows import messages as youth_messages
from workflows import tasks as task_mod
from workflows.assignments import ClaimedError
from workflows.errors import ConflictError, FormError, NotFoundError, TaskStateError, WorkflowRunError
from workflows.forms import LAST_YEAR, FieldError
from workflows.models import Case, User
from workflows.permissions import can_view_case, require_act, require_view

from . import forms
from .access import (
    adopt_user,
    audit_read,
    current_user,
    local_path,
    refusal,
    roles_required,
    session_user_id,
    sign_in_key,
)
from .cases import confirm_hand_over, needs_confirming
from .errors import domain_message
from .i18n import format_date, format_datetime, locale
from .inbox import last_list, step_title
from .transactions import db, now, writes

log = logging.getLogger(__name__)
bp = Blueprint("tasks", __name__, url_prefix="/tasks")
ACTORS = ("case_manager", "professional")


def people(session) -> list[User]:
    """Active case managers and professionals: person pickers' choices, and who is who."""
    return list(session.scalars(select(User).where(User.active.is_(True), User.role.in_(ACTORS))
                                .order_by(User.display_name)))


def load(task_id: str) -> tuple[HumanTask, Case]:
    """The open task and its case, if the current user may act on it (else 404 / 403)."""
    session = db()
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFoundError("no such open task")
    case = task_mod.case_of(session, task)
    require_act(session, current_user(), task, case)
    return task, case


def context_of(task: HumanTask, case: Case) -> dict[str, Any]:
    """What sits beside the form: the action reported on, the youth's message, the plan (for
    its case manager, each action with its status and what its carrier reported)."""
    session, user = db(), current_user()
    context: dict[str, Any] = {"action": None, "message": None, "plan": None, "reports": {}}
    if task.spec_name == "report_action":
        try:
            context["action"] = plans.action_of_task(session, task.item, case)
        except NotFoundError:
            pass
    if task.spec_name == "acknowledge_youth_message":
        try:
            context["message"] = youth_messages.message_of_task(session, task.item, case)
        except NotFoundError:
            pass
    full = user.role == "case_manager" and case.case_manager_id == user.id
    if task.spec_name == task_mod.NOT_ELIGIBLE_STEP and full:  # why, to tell the requester
        context["eligibility"] = _not_eligible_because(task_mod.facts_of(session, _runtime(), task,
                                                                         task_mod.ELIGIBILITY_FACTS))
    if full:  # the plan with where each action stands: what an evaluation or a new pass weighs
        context["plan"] = plans.current(session, case)
        if context["plan"] is not None:
            context["reports"] = plans.reports_by_action(session, context["plan"].actions)
    visible = [m for m in youth_messages.for_case(session, case)
               if full or any(r.user_id == user.id for r in m.recipients)]
    context["recent"] = case_view.timeline(session, case, user, full, visible)[:5]
    return context


def _not_eligible_because(facts: dict[str, Any]) -> str | None:
    """The eligibility rule a request failed (bpmn/eligibility.dmn), with the answer it weighed."""
    reason = facts.get("eligibility_reason")
    if reason == "age":
        return _("The service is for young people from 0 to 23: the verification gave %(age)s years.",
                 age=facts.get("youth_age", "?"))
    if reason == "region":
        return _("The youth must live in the network's region: the verification said they do not.")
    if reason == "needs":
        return _("The situation must be severe, complex and multiple, needing intersectoral support: the "
                 "verification said it is not.")
    if reason == "attempts":
        return _("Several attempts to get out of the dead end must have failed (at least 2): the verification "
                 "gave %(count)s.", count=facts.get("failed_attempts", "?"))
    return None


def _render(task: HumanTask, case: Case, values: dict[str, Any], *, errors=None, status: int = 200,
            notice: str | None = None, closed: bool = False, draft_seen: str | None = None):
    session, lang = db(), locale()
    audit_read("task_viewed", case, {"task_id": task.id})  # each page that shows the case: sent back too
    schema = task_mod.schema_of(session, task) if not closed else _schema_or_empty(task)
    error_by_field = forms.error_map(errors or [], lang)
    # Partners, and the case's own manager (another case manager could not open the case); a field
    # for those taking part in the case ("x-people": "case") offers only the partners among them.
    persons = people(session)
    offered = [(u, forms.Option(u.username, f"{u.display_name} — {u.organisation}" if u.organisation
                                else u.display_name, (u.display_name, u.organisation)))
               for u in persons if u.role == "professional" or u.id == case.case_manager_id]
    taking_part = members.of_case(session, case) if not closed else set()
    today = now().astimezone(BRUSSELS).date()
    fields = forms.build_fields(schema, values, error_by_field, locale=lang, people=[o for _u, o in offered],
                                today=today, case_people=[o for u, o in offered
                                                          if u.id in taking_part and u.role == "professional"])
    # (anchor or None, what the person reads, message): labels, not field names, in the form's order.
    summary = forms.error_summary(fields, error_by_field, lambda rows, number, label: _(
        "%(rows)s, row %(number)d: %(field)s", rows=rows, number=number, field=label))
    draft = drafts.get(session, task.id) if not closed else None
    user = current_user()
    can_reassign = user.role == "case_manager" and case.case_manager_id == user.id and not closed
    return render_template(
        "tasks/show.html", task=task, case=case, fields=fields, errors=summary, draft=draft,
        # The draft the person's form was opened with, kept through its round trips (a row added,
        # errors shown): a draft someone saves meanwhile is not replaced unseen.
        draft_seen=draft_seen if draft_seen is not None else request.form.get("_draft_seen", drafts.stamp(draft)),
        notice=notice, closed=closed, title=step_title(task.spec_name, task.title),
        instructions=forms.instructions(schema, lang), context=context_of(task, case) if not closed else {},
        version=_version_of(task),  # the recent history names the diagram's elements (a timer that came)
        candidates=assignments.candidates(session, task) if can_reassign else [], can_reassign=can_reassign,
        names={u.username: u.display_name for u in persons},  # who carries or took the task, by name
        # A partner's plan action: its due day, which its case manager may move.
        action_due=_action_due(task) if can_reassign and task.lane == "professional" else None,
        last_year=LAST_YEAR,
        today=today,
    ), status


def _schema_or_empty(task: HumanTask) -> dict[str, Any]:
    try:
        return task_mod.schema_of(db(), task)
    except Exception:  # noqa: BLE001 - a closed task's page still shows what was typed
        return {"type": "object", "properties": {}}


@bp.get("/<task_id>")
@roles_required(*ACTORS)
@writes
def show(task_id: str):
    if db().get(HumanTask, task_id) is None:  # completed: by whom and when (the Back button after it)
        return _closed_meanwhile(task_id)
    task, case = load(task_id)
    notifications.task_opened(db(), current_user(), case.reference, task.id, now())
    draft = drafts.get(db(), task.id)
    values = draft.data if draft else task_mod.defaults(db(), task, case)
    return _render(task, case, values)


@bp.post("/<task_id>")
def submit(task_id: str):
    # A completion holds the case first and reads all it needs under the lock, the signed-in
    # user included (one query; the role is checked right after it, before anything is
    # written); a draft or a row added or removed reads the user, then the task.
    session, signed_in = db(), session_user_id()
    held = task_mod.hold(session, _runtime(), task_id, user_id=signed_in, sign_in=sign_in_key()) \
        if signed_in is not None and _completing(request.form) else None
    user = adopt_user(held.user) if held else current_user()
    refused = refusal(user, ACTORS)
    if refused is not None:
        return refused
    found = (held.task, held.case, held.version) if held else task_mod.open_task(session, task_id)
    if found is None:
        return _closed_meanwhile(task_id)
    task, case, version = found
    require_act(session, user, task, case)
    schema = task_mod.schema_of(session, task, version=version)
    data = forms.parse(schema, request.form)
    if forms.row_edit(data, request.form):
        return _render(task, case, data)
    if request.form.get("action") == "draft":
        try:
            drafts.save(session, task_id=task.id, business_key=case.reference, user=user, data=data, now=now(),
                        opened_with=request.form.get("_draft_seen"))
        except drafts.DraftChangedError as err:
            # Two people on one task: the later draft would have erased the other's unseen.
            return _render(task, case, data, status=409, notice=_(
                "%(name)s saved a draft of this task on %(when)s, after you opened it: yours did not replace "
                "it. What you typed is below: save it again to replace theirs (to read theirs first, open this task in "
                "another tab).",
                name=err.draft.saved_by.display_name, when=format_datetime(err.draft.saved_at)),
                draft_seen=drafts.stamp(err.draft))
        flash(_("What you typed before your session ended is back, saved as a draft.") if request.form.get("_restored")
              else _("Draft saved. You can come back to it later."), "info")
        return redirect(url_for("tasks.show", task_id=task.id))
    snapshot = SimpleNamespace(**{k: getattr(task, k) for k in (
        "id", "title", "spec_name", "lane", "assignee", "claimed_by", "due_at", "form", "instance_id",
        "business_key", "item")})
    try:
        task_mod.complete(session, _runtime(), user, task.id, data, held=held)
    except FormError as err:
        return _render(task, case, data, errors=err.errors, status=422)
    except ClaimedError as err:
        # Taken by someone else between this page's load and now: nothing was written; what was
        # typed comes back with the reason, to save as a draft.
        return _render(task, case, data, status=409, notice=_(
            "%(name)s has taken this task: only they can complete it until they or the case manager "
            "release it. What you typed is below: save it as a draft so as not to lose it.",
            name=display_name(err.username)))
    except (TaskStateError, ConflictError) as err:
        session.rollback()
        case = task_mod.cases.get_case(session, snapshot.business_key)
        return _render(snapshot, case, data, status=409, notice=domain_message(err), closed=True)
    except WorkflowRunError as err:
        log.error("process error at element %s", err.element_id)
        keep_failed(user, task.id, data, err)
        return _render(task, case, data, status=500, notice=domain_message(err))
    # What comes next for this person on this case (read from the save, no query): said with
    # the "done" message, and the inbox then shows just that case.
    mine = [t for t in task_mod.open_tasks_of_case(session, _runtime(), case) if t.assignee == user.username]
    flash(" ".join([_("Done: “%(title)s” on case %(ref)s.", title=step_title(snapshot.spec_name, snapshot.title),
                      ref=case.reference), *_outcome(snapshot.spec_name, data),
                    *([_("Next for you: %(steps)s.", steps=", ".join(_("“%(title)s”", title=step_title(
                        t.spec_name, t.title)) for t in mine))] if mine else [])]),
          "success")
    back = local_path(request.form.get("next_url"))
    if back:
        return redirect(back)
    # Working through one step's list: back to it (the message says what comes next on the case).
    listed = last_list()
    return redirect(url_for("inbox.index", case=case.reference) if mine and "step=" not in listed else listed)


def _outcome(step: str, data: dict[str, Any]) -> list[str]:
    """What a step decided, when the next page would not say it: an evaluation's verdict."""
    if step == "evaluation" and isinstance(data.get("objectives"), list):
        met = all(isinstance(item, dict) and item.get("met") is True for item in data["objectives"])
        return [_("Objectives met.") if met else _("Objectives not met.")]
    return []


def keep_failed(user: User, task_id: str, data: dict[str, Any], err: WorkflowRunError) -> None:
    """The process failed on this completion: nothing of it is saved, but what was typed is
    kept as the task's draft and the process owners are told (committed although the answer
    is an error)."""
    session = db()
    session.rollback()
    task_mod.keep_failed(session, user, task_id, data, err, now())
    session.commit()


def display_name(username: str) -> str:
    from workflows.users import find_active

    found = find_active(db(), username)
    return found.display_name if found is not None else username


def done_by(done: task_mod.Completion, user: User) -> str:
    """Who completed a task and when, as said to `user` ("You completed…" when it was them)."""
    when = format_datetime(done.at)
    return (_("You completed this task on %(when)s.", when=when) if done.actor == user.username else
            _("%(name)s completed this task on %(when)s.", name=done.actor_name, when=when))


def _completing(form) -> bool:
    return form.get("action") != "draft" and not form.get("_add") and not form.get("_remove")


def _closed_meanwhile(task_id: str):
    """The task is gone (completed): say by whom and when, and the way to the case; for a form
    sent (409), what was typed, by the form's labels. A page opened again (the Back button
    after completing it) is 410. A task of a case the user may not see stays a 404."""
    from .errors import render_error

    session, user = db(), current_user()
    done = task_mod.completion(session, task_id)
    case = done.case if done else None
    if case is None or not can_view_case(session, user, case):
        raise NotFoundError("no such open task")
    link = url_for("cases.show", reference=case.reference)
    when = format_datetime(done.at)
    if request.method != "POST":
        return render_error(410, "task_closed", done_by(done, user), link=link, title=_("This task is done"))
    message = (_("You had already completed this task, on %(when)s (in another tab or window?): nothing more was "
                 "saved. What you typed now, not saved, is below; open the case to see what was.", when=when)
               if done.actor == user.username else
               _("%(name)s completed this task on %(when)s, before you: nothing of yours was saved. What you "
                 "typed is below; open the case to see where it stands.", name=done.actor_name, when=when))
    describe = _fields_of_done(session, done)
    typed = [dict(zip(("path", "label", "message"), (k, *describe(k, v)), strict=True)) for k, v in request.form.items()
             if k not in ("csrf_token", "action", "next_url") and not k.endswith(("._row", "._present")) and v.strip()]
    return render_error(409, "task_closed", message, link=link, fields=typed,
                        title=_("This task is done") if done.actor == user.username else None)


def _fields_of_done(session, done):
    """(name, value sent) -> (label, value) as a person reads them in the form of a completed
    task (found from its submission): "Consents (2): Person", "The youth" for
    `consents.1.person`, `youth`; the name and value as sent if unknown."""
    fields: dict[str, forms.Field] = {}
    schema = _schema_of_step(session, done.case, done.step)
    if schema:
        for f in forms.build_fields(schema, {}, {}, locale=locale(), people=[]):
            fields.update((one.name, one) for one in (f, *f.template))
    labels = {name: f.label for name, f in fields.items()}
    yes, no = _("Yes"), _("No")

    def shown(key: str, value: str) -> str:  # as the answers page reads a value (forms.answer)
        return forms.answer(dataclasses.replace(fields[key], value=value), yes, no) if key in fields else value

    def describe(name: str, value: str) -> tuple[str, str]:
        parts = name.split(".")
        if len(parts) == 3 and parts[1].isdigit() and parts[0] in labels:
            key = f"{parts[0]}.__i__.{parts[2]}"
            if key in labels:  # named as the form's error summary names a field of a row
                return (_("%(rows)s, row %(number)d: %(field)s", rows=labels[parts[0]], number=int(parts[1]) + 1,
                          field=labels[key]), shown(key, value))
        return labels.get(name, name), shown(name, value)

    return describe


@bp.get("/<task_id>/answers")
@roles_required(*ACTORS)
@writes
def answers(task_id: str):
    """What a completed task's form said, as its form asks it: for the case's manager (a
    colleague taking a case over reads the interview, the verification...) and for whoever sent
    it. Audited as a read of the case. Anyone else: 404, as for a case one may not see."""
    from workflows.models import FormSubmission

    session, user = db(), current_user()
    sent = session.scalar(select(FormSubmission).where(FormSubmission.task_id == task_id))
    case = session.get(Case, sent.case_id) if sent is not None else None
    if case is None or not (user.role == "case_manager" and case.case_manager_id == user.id
                            or sent.submitted_by_id == user.id and can_view_case(session, user, case)):
        raise NotFoundError("no such completed task")
    audit_read("answers_viewed", case, {"task_id": task_id, "step": sent.step})
    schema = _schema_of_step(session, case, sent.step)
    persons = people(session)
    choices = [forms.Option(u.username, u.display_name) for u in persons]
    data = sent.data if isinstance(sent.data, dict) else {}
    fields = forms.build_fields(schema, data, {}, locale=locale(), people=choices)
    known = set(schema.get("properties") or {})
    others = {key: value for key, value in data.items() if key not in known}  # from another version's form
    return render_template("tasks/answers.html", case=case, sent=sent, fields=fields, others=others,
                           title=step_title(sent.step, sent.title),
                           answer=lambda f: forms.answer(f, _("Yes"), _("No")))


def _schema_of_step(session, case: Case, step: str) -> dict[str, Any]:
    """The schema of `step`'s form in the version the case's process runs on ({} if none)."""
    from engine.models import ProcessInstance

    instance = session.get(ProcessInstance, case.instance_id) if case.instance_id else None
    form = (instance.version.forms or {}).get(step) if instance else None
    if not form:
        return {}
    version = instance.version
    try:
        return task_mod.schema_of(session, SimpleNamespace(form=form), version=(version.id, version.content_hash))
    except NotFoundError:
        return {}


def _runtime():
    from .transactions import casework

    return casework().runtime


@bp.post("/<task_id>/claim")
@roles_required(*ACTORS)
def claim(task_id: str):
    task, case = load(task_id)
    assignments.claim(db(), current_user(), task, case, now())
    flash(_("You took this task: others see that you are on it."), "success")
    return redirect(_back(task))


@bp.post("/<task_id>/release")
@roles_required(*ACTORS)
def release(task_id: str):
    session = db()
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFoundError("no such open task")
    case = task_mod.case_of(session, task)
    require_view(session, current_user(), case)  # a task of a case one may not see: 404, as elsewhere
    if assignments.release(session, current_user(), task, case, now()):
        flash(_("Task released."), "success")
    else:
        flash(_("Nobody had taken this task: nothing changed."), "info")
    return redirect(_back(task))


def _version_of(task: Any) -> ProcessVersion | None:
    instance = db().get(ProcessInstance, task.instance_id)
    return instance.version if instance is not None else None


def _action_due(task: HumanTask) -> dt.date | None:
    due = task.item.get("due") if isinstance(task.item, dict) and "id" in task.item else None
    try:
        return dt.date.fromisoformat(due) if isinstance(due, str) else None
    except ValueError:
        return None


def _due_typed() -> Any:
    """The form's `due`: a day, None when empty, "" when not one."""
    typed = (request.form.get("due") or "").strip()
    if not typed:
        return None
    try:
        return dt.date.fromisoformat(typed)
    except ValueError:
        return ""


def _said(err: FormError) -> str:
    """A refusal's messages, for a page that shows them above the form (a flash)."""
    return " ".join(forms.error_map(err.errors, locale()).values())


def _move_due(task: HumanTask, case: Case, due: Any, *, tell: bool = True) -> bool:
    """Move a partner's action to `due`; a refusal is said, and nothing is changed."""
    if due == "":
        raise FormError([FieldError("due", "format", {"format": "AAAA-MM-JJ" if locale() == "fr"
                                                              else "YYYY-MM-DD"})])
    return assignments.move_due(db(), _runtime(), current_user(), task, case, due, now(), tell=tell)


@bp.post("/<task_id>/due")
@roles_required("case_manager")
def move_due(task_id: str):
    task, case = load(task_id)
    due = _due_typed()
    try:
        moved = _move_due(task, case, due)
    except FormError as err:
        flash(_("Due date of the action: %(error)s", error=_said(err)), "error")
        return redirect(url_for("tasks.show", task_id=task.id) + "#new-due")
    if not moved:
        flash(_("That is its due date already: nothing changed."), "info")
    else:
        flash(_("Due date moved to %(date)s: %(name)s is told, and the reminders start again after it.",
                date=format_date(due), name=display_name(task.assignee)), "success")
    return redirect(url_for("tasks.show", task_id=task.id))


@bp.post("/<task_id>/reassign")
@roles_required("case_manager")
def reassign(task_id: str):
    from workflows.users import find_active

    task, case = load(task_id)
    target = find_active(db(), request.form.get("to") or "")
    if target is None:
        flash(_("Choose who to hand it over to."), "error")
        return redirect(url_for("tasks.show", task_id=task.id))
    user = current_user()
    if task.lane != "professional":  # the whole case changes hands: asked once more
        cases.check_hand_over(case, actor=user, to=target)
        if needs_confirming(case, target):
            return confirm_hand_over(case, target, url_for("tasks.reassign", task_id=task.id))
    # A late action handed over may get a new due day with it (the new carrier needs time).
    due = _due_typed()
    if due is not None and task.lane == "professional":
        try:
            assignments.reassign(db(), user, task, case, target, now())
            _move_due(task, case, due, tell=False)
        except FormError as err:
            db().rollback()
            flash(_("New due date: %(error)s", error=_said(err)), "error")
            return redirect(url_for("tasks.show", task_id=task.id))
        flash(_("Handed over to %(name)s, due %(date)s.", name=target.display_name, date=format_date(due)),
              "success")
        return redirect(url_for("cases.show", reference=case.reference))
    assignments.reassign(db(), user, task, case, target, now())
    if case.case_manager_id != user.id:  # a case manager's task hands the whole case over: it is no longer hers
        flash(_("Case %(ref)s handed over to %(name)s.", ref=case.reference, name=target.display_name), "success")
        return redirect(url_for("inbox.index"))
    flash(_("Handed over to %(name)s.", name=target.display_name), "success")
    return redirect(url_for("cases.show", reference=case.reference))


def _back(task: HumanTask) -> str:
    target = request.form.get("next_url")
    return local_path(target) or url_for("tasks.show", task_id=task.id)
