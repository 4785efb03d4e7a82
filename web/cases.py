"""Case pages: the list, a new request, one case (diagram, timeline, plan, consent), notes, messages."""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask import session as browser_session
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, func, or_, select

from engine.clock import BRUSSELS
from engine.db import statement
from engine.memo import VersionMemo
from engine.models import HumanTask, ProcessVersion
from workflows import case_view, cases, messages, notifications, reasons
from workflows.errors import FormError
from workflows.members import is_member
from workflows.models import Case, CaseMember, FormSubmission, User
from workflows.permissions import can_view_case

from . import diagram
from .access import audit_read, current_user, local_path, roles_required
from .forms import error_map, page_number
from .i18n import locale
from .inbox import step_title, step_titles
from .transactions import casework, db, now, writes

bp = Blueprint("cases", __name__, url_prefix="/cases")
ACTORS = ("case_manager", "professional")
PAGE = 30
SEARCH_LIMIT = 50  # matches shown for a search (the most recent), on one page


STATUSES = ("open", "exited", "closed")


def visible_cases(user: User):
    """The statement of the cases `user` may open (case manager: theirs; professional: member)."""
    stmt = select(Case)
    if user.role == "case_manager":
        return stmt.where(Case.case_manager_id == user.id)
    if user.role == "professional":
        return stmt.join(CaseMember, CaseMember.case_id == Case.id).where(CaseMember.user_id == user.id)
    return stmt.where(False)


@bp.get("/")
@roles_required(*ACTORS)
def index():
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    number = page_number(request.args)
    return _listing(status=status, number=number)


@bp.post("/")
@roles_required(*ACTORS)
def search():
    # Posted, not a query string: a youth's pseudonym must not land in URLs, logs or history.
    wanted = " ".join((request.form.get("q") or "").split())[:100]
    if not wanted:
        return redirect(url_for("cases.index"))
    return _listing(status=None, number=1, wanted=wanted)


def _listing(*, status: str | None, number: int, wanted: str | None = None):
    """The cases page: one page of the user's cases, or those whose reference or youth's
    pseudonym holds `wanted` (at most SEARCH_LIMIT, newest first)."""
    session = db()
    by_status: dict[str, int] = {}
    total, rows = page_of_cases(status=status, number=number, size=SEARCH_LIMIT if wanted else PAGE, wanted=wanted,
                                by_status=by_status)
    # What each case waits on: each step once, with how many of its tasks are open (a plan
    # being followed has a report open per action) and how many of them are late, named in the
    # page's language.
    steps: dict[str, dict[str, list[int]]] = {}
    if rows:
        read = (select(HumanTask.business_key, HumanTask.spec_name, HumanTask.title, HumanTask.due_at)
                .where(HumanTask.business_key.in_([c.reference for c in rows]))
                .order_by(HumanTask.created_at, HumanTask.id))
        if current_user().role != "case_manager":  # a youth's message waiting for its case manager: theirs
            read = read.where(HumanTask.spec_name != messages.ACKNOWLEDGE_STEP)
        moment = now()
        for key, step, title, due_at in session.execute(read):
            counts = steps.setdefault(key, {}).setdefault(step_title(step, title), [0, 0])
            counts[0] += 1
            counts[1] += due_at is not None and due_at < moment
    return render_template("cases/index.html", rows=rows, steps=steps, status=status, page=number, by_status=by_status,
                           pages=1 if wanted else max(1, -(-total // PAGE)), total=total, wanted=wanted)


def page_of_cases(*, status: str | None, number: int, size: int, wanted: str | None = None,
                  by_status: dict[str, int] | None = None) -> tuple[int, list[Case]]:
    """How many of the signed-in user's cases there are with `status` (all when None) whose
    reference or youth's pseudonym holds `wanted`, and page `number` of them, newest first.
    `by_status` is filled with how many there are of each status (the same count, grouped)."""
    session, stmt = db(), visible_cases(current_user())
    if wanted:
        stmt = stmt.where(or_(Case.reference.icontains(wanted, autoescape=True),
                              Case.youth_pseudonym.icontains(wanted, autoescape=True)))
    counts = dict(session.execute(stmt.with_only_columns(Case.status, func.count(Case.id)).group_by(Case.status)).all())
    if by_status is not None:
        by_status.update(counts)
    total = counts.get(status, 0) if status else sum(counts.values())
    if status:
        stmt = stmt.where(Case.status == status)
    rows = list(session.scalars(stmt.order_by(Case.opened_at.desc(), Case.id.desc())
                                .offset((number - 1) * size).limit(size)))
    return total, rows


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ACTORS)
def new():
    values = {k: (request.form.get(k) or "").strip() for k in (
        "requester_kind", "youth_pseudonym", "age_band", "region", "difficulties", "previous_attempts",
        "requester_contact")} if request.method == "POST" else {"region": "Brabant wallon"}
    if request.method != "POST":  # GET, and HEAD (a link checker, a monitor): never the form sent
        return render_template("cases/new.html", values=values, errors={})
    # The same request sent again (Back, then the button again: the browser fills the form in
    # anew) leads to the case it opened, instead of opening a second one.
    sent, digest = browser_session.get("sent_requests", {}), _request_digest(values)
    if digest in sent and now().timestamp() - sent[digest][1] < RESENT_WITHIN_S:
        flash(_("This request was already recorded: case %(ref)s; nothing was recorded twice (for another young "
                "person, give another pseudonym).", ref=sent[digest][0]), "info")
        return _after_request_sent(cases.get_case(db(), sent[digest][0]))
    confirmed = request.form.get("pseudonym_confirmed") == "1"
    try:
        case = cases.start_case(db(), casework().runtime, actor=current_user(), pseudonym_confirmed=confirmed,
                                **values)
    except FormError as err:
        suspect = any(e.code == cases.FULL_NAME for e in err.errors)  # asked: a pseudonym, really?
        return render_template("cases/new.html", values=values, errors=error_map(err.errors, locale()),
                               suspect_name=suspect), 422
    browser_session["sent_requests"] = dict([*list(sent.items())[-(SENT_KEPT - 1):],
                                             (digest, [case.reference, now().timestamp()])])
    flash(_("Request recorded: case %(ref)s, now at the verification step.", ref=case.reference), "success")
    return _after_request_sent(case)


SENT_KEPT = 5  # the last requests a session sent, by a digest of what they said
RESENT_WITHIN_S = 3600


def _request_digest(values: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:24]


def _after_request_sent(case: Case):
    if can_view_case(db(), current_user(), case):  # the requester and the case manager may
        return redirect(url_for("cases.show", reference=case.reference))
    return redirect(url_for("cases.index"))


@bp.get("/<reference>")
@roles_required(*ACTORS)
@writes
def show(reference: str):
    case = cases.get_case(db(), reference)
    return _page(case)


def _page(case: Case, *, note_errors=None, message_errors=None, values=None, status: int = 200):
    session, user = db(), current_user()
    view = case_view.for_viewer(session, user, case)
    audit_read("case_viewed", case)
    notifications.case_opened(session, user, case.id, now())  # what told them of it is read now
    version = session.get(ProcessVersion, view.instance.version_id) if view.instance else None
    svg, waiting = None, []
    if version is not None:
        source, elements = _drawing_inputs(version)
        if source:
            current = list(view.current_steps)
            running = view.instance.status == "running"
            # The state is parsed only when something is drawn from it: what a running case
            # waits on, and (for its case manager) the automatic steps done.
            waiting, automatic = case_view.drawn_states(view.instance, elements) if running or view.full else ([], [])
            if running:
                current += waiting
            svg = diagram.render(source, current=current, done=[*view.done_steps, *automatic] if view.full else (),
                                 title=_("Process of case %(ref)s", ref=case.reference),
                                 names=step_titles() if locale() != "fr" else None,  # the steps as the inbox names them
                                 english=locale() == "en")
    managers = list(session.scalars(_other_managers(), {"manager_id": case.case_manager_id})) if view.full else []
    # When the youth left the dispositif (its exit step's submission): the case stays "exited"
    # until its process ends (a check-in after the exit), then "closed" with its own date.
    exited_at = session.scalar(_exit_of_case(), {"case_id": case.id}) if case.status == "exited" else None
    # Nothing open and the process waits on a time (the check-in a few months after an exit):
    # what it waits for and until when, rather than nothing at all.
    waits_until = view.instance.next_timer_due if waiting and not view.open_tasks and (
        view.full or case.status != "open") else None
    return render_template("cases/show.html", view=view, case=case, version=version, svg=svg, managers=managers,
                           exited_at=exited_at, waiting=waiting, waits_until=waits_until, today=now().astimezone(BRUSSELS).date(), note_errors=note_errors or {}, message_errors=message_errors or {},
                           values=values or {}), status


def element_names(version: ProcessVersion | None, ids: list[str]) -> str:
    """Elements of a version's diagram by their names in the page's language (else their ids)."""
    table = (version.elements or {}) if version is not None else {}
    english = locale() == "en"

    def name(element_id: str) -> str:
        found = table.get(element_id) or {}
        return (english and found.get("name_en")) or found.get("name") or element_id
    return ", ".join(f"« {name(i)} »" if not english else f"'{name(i)}'" for i in ids)


@statement
def _exit_of_case() -> Select:
    return (select(FormSubmission.submitted_at).where(FormSubmission.case_id == bindparam("case_id"),
                                                      FormSubmission.step == "exit_case")
            .order_by(FormSubmission.submitted_at.desc()).limit(1))


@statement
def _other_managers() -> Select:
    """Whom the case can be handed over to."""
    return select(User).where(User.role == "case_manager", User.active.is_(True), User.id != bindparam("manager_id"))


def _drawing_inputs(version: ProcessVersion) -> tuple[str | None, dict]:
    """A version's BPMN source and element table, read once per process."""
    return _DRAWING_INPUTS.get((version.id, version.content_hash),
                               lambda: (diagram.bpmn_file(version.files), version.elements or {}))


_DRAWING_INPUTS: VersionMemo[tuple[str | None, dict]] = VersionMemo(64)


@bp.post("/<reference>/notes")
@roles_required(*ACTORS)
def add_note(reference: str):
    session, user = db(), current_user()
    case = cases.get_case(session, reference)
    try:
        case_view.add_note(session, user, case, request.form.get("text", ""), now())
    except FormError as err:
        return _page(case, note_errors=error_map(err.errors, locale()), values=request.form, status=422)
    flash(_("Note added."), "success")
    return redirect(url_for("cases.show", reference=case.reference) + "#timeline")


@bp.post("/<reference>/messages")
@roles_required("case_manager")
def record_message(reference: str):
    session, user = db(), current_user()
    case = cases.get_case(session, reference)
    case_view.for_viewer(session, user, case)  # 404 unless they may see it
    try:
        message = messages.record(session, casework().runtime, user=user, case=case,
                                  kind=request.form.get("kind", ""), text=request.form.get("text", ""),
                                  received_on=request.form.get("received_on"))
    except FormError as err:
        return _page(case, message_errors=error_map(err.errors, locale()), values=request.form, status=422)
    # Straight on to answering it, the task the diagram opened for it (else the case, as before).
    answer = next((t.id for t in session.scalars(select(HumanTask).where(
        HumanTask.business_key == case.reference, HumanTask.spec_name == messages.ACKNOWLEDGE_STEP))
        if isinstance(t.item, dict) and t.item.get("id") == message.id), None)
    if answer is not None:
        flash(_("Recorded. Answer it now and choose whom to pass it on to, or later: the task is in your inbox."),
              "success")
        return redirect(url_for("tasks.show", task_id=answer) + "#main")  # not the form's #youth-messages
    flash(_("Recorded. An acknowledgement task is now in your inbox."), "success")
    return redirect(url_for("cases.show", reference=case.reference) + "#youth-messages")


@bp.post("/<reference>/reassign")
@roles_required("case_manager")
def reassign(reference: str):
    from workflows.users import find_active

    session, user = db(), current_user()
    case = cases.get_case(session, reference)
    case_view.for_viewer(session, user, case)
    target = find_active(session, request.form.get("to") or "")
    if target is None:
        flash(_("Choose who to hand the case over to."), "error")
        return redirect(url_for("cases.show", reference=case.reference))
    cases.check_hand_over(case, actor=user, to=target)
    if needs_confirming(case, target):
        return confirm_hand_over(case, target, url_for("cases.reassign", reference=case.reference))
    cases.reassign(session, case, actor=user, to=target, now=now())
    flash(_("Case %(ref)s handed over to %(name)s.", ref=case.reference, name=target.display_name), "success")
    return redirect(url_for("inbox.index"))


def needs_confirming(case: Case, target: User) -> bool:
    """Handing a case to someone else takes it out of one's hands (and out of sight): asked
    once more, unless the form says it was (`confirm`)."""
    return target.id != case.case_manager_id and not request.form.get("confirm")


def confirm_hand_over(case: Case, target: User, action: str):
    """The page that asks whether to hand `case` over to `target`, posting to `action`."""
    return render_template("cases/hand_over.html", case=case, target=target, action=action,
                           back=local_path(request.form.get("next_url")) or url_for("cases.show",
                                                                                    reference=case.reference))


def init_app(app: Flask) -> None:
    from . import add_nav_item

    add_nav_item(app, "cases.index", "Cases", roles=ACTORS)
    add_nav_item(app, "cases.new", "New request", roles=ACTORS)
    app.jinja_env.globals["is_member"] = is_member
    app.jinja_env.globals["reason_title"] = lambda reason: reasons.title(reason, locale())
    app.jinja_env.globals["element_names"] = element_names
