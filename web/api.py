"""JSON API under /api/v1: tasks (list, show with schema, complete) and cases (list, show).

Same permissions and audit as the pages. Sign in with the session cookie (then POSTs carry the
X-CSRF-Token header) or with HTTP Basic. Texts (task titles, error messages) are in the
session's language, else in the one Accept-Language prefers (French or English), else French.
Described by /api/v1/openapi.json.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, make_response, request, url_for
from flask_babel import gettext as _

from engine.models import HumanTask
from workflows import case_view, cases, drafts
from workflows import inbox as inbox_mod
from workflows import tasks as task_mod
from workflows.errors import FormError, NotFoundError, WorkflowRunError
from workflows.forms import FieldError

from .access import audit_read, current_user, roles_required
from .cases import STATUSES, page_of_cases
from .errors import render_error
from .forms import page_number
from .inbox import query_from_args, step_title
from .openapi import document
from .transactions import casework, db, now, writes

bp = Blueprint("api", __name__, url_prefix="/api/v1")
ACTORS = ("case_manager", "professional")
API_PAGE = 50  # cases per page of /cases


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def task_json(task: HumanTask) -> dict[str, Any]:
    return {"id": task.id, "case": task.business_key, "step": task.spec_name,
            "title": step_title(task.spec_name, task.title),
            "lane": task.lane, "assignee": task.assignee, "claimed_by": task.claimed_by, "due_at": _iso(task.due_at),
            "url": url_for("api.task", task_id=task.id)}


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


def _check_parameters(**choices: tuple[str, ...] | None) -> None:
    """A 400 naming each query parameter of `choices` given a value it does not take (`None`: a
    case reference, or part of one), and `page` if it is not a whole number from 1: a typo
    (`status=opened`) must not quietly return everything, as a page's link may."""
    problems = []
    for name, values in choices.items():
        given = request.args.get(name)
        if given is None or given == "":
            continue
        if values is None:
            if inbox_mod.case_filter(given) is None:
                problems.append({"path": name, "message": _(
                    "A case reference, or %(count)d of its characters at least (besides CM-).",
                    count=inbox_mod.MIN_PART)})
        elif given not in values:
            problems.append({"path": name, "message": _("One of: %(values)s.", values=", ".join(values))})
    page = request.args.get("page")
    if page is not None and not (page.isdigit() and int(page) >= 1):
        problems.append({"path": "page", "message": _("A whole number, from 1.")})
    if problems:
        abort(make_response(render_error(400, "invalid_parameter", _(
            "A parameter of the address has a value it does not take; `fields` says which."), fields=problems)))


@bp.get("/tasks")
@roles_required(*ACTORS)
def tasks():
    user = current_user()
    _check_parameters(scope=inbox_mod.scopes_for(user), due=inbox_mod.WINDOWS, case=None)
    query = query_from_args(request.args)
    result = inbox_mod.page(db(), user, query, now())
    counts = result.counts
    return jsonify({"tasks": [task_json(t) for t in result.tasks], "page": query.page, "pages": result.pages,
                    "counts": {"total": counts.total, "overdue": counts.overdue, "week": counts.week, "draft": counts.draft,
                               "by_step": counts.by_step}})


@bp.get("/tasks/<task_id>")
@roles_required(*ACTORS)
@writes
def task(task_id: str):
    from .tasks import load

    found, case = load(task_id)
    audit_read("task_viewed", case, {"task_id": found.id})
    draft = drafts.get(db(), found.id)
    return jsonify({**task_json(found), "schema": task_mod.schema_of(db(), found),
                    "values": draft.data if draft else task_mod.defaults(db(), found, case),
                    "draft_saved_at": _iso(draft.saved_at) if draft else None})


@bp.post("/tasks/<task_id>/complete")
@roles_required(*ACTORS)
def complete(task_id: str):
    from workflows.permissions import can_view_case

    from .tasks import done_by, keep_failed, load

    if db().get(HumanTask, task_id) is None:  # completed: by whom and when, to who may see its case; else 404
        done = task_mod.completion(db(), task_id)
        if done is None or not can_view_case(db(), current_user(), done.case):
            raise NotFoundError("no such open task")
        return render_error(409, "task_closed", done_by(done, current_user()),
                            link=url_for("api.case", reference=done.case.reference))
    load(task_id)  # 404 for a task this user may not see, before its body is even read
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise FormError([FieldError("", "not_json")])
    data = payload.get("data", payload) if set(payload) <= {"data"} else payload
    runtime = casework().runtime
    try:
        case = task_mod.complete(db(), runtime, current_user(), task_id, data)
    except WorkflowRunError as err:
        keep_failed(current_user(), task_id, data, err)
        raise
    remaining = [t for t in task_mod.open_tasks_of_case(db(), runtime, case)
                 if t.assignee == current_user().username]
    return jsonify({"case": case.reference, "status": case.status, "open_tasks": [task_json(t) for t in remaining]})


@bp.get("/cases")
@roles_required(*ACTORS)
def case_list():
    _check_parameters(status=STATUSES)
    status = request.args.get("status")
    number = page_number(request.args)
    total, rows = page_of_cases(status=status if status in STATUSES else None, number=number, size=API_PAGE)
    return jsonify({"cases": [{"reference": c.reference, "status": c.status, "pass": c.pass_number,
                               "opened_at": _iso(c.opened_at), "url": url_for("api.case", reference=c.reference)}
                              for c in rows], "page": number, "pages": max(1, -(-total // API_PAGE)), "total": total})


@bp.get("/cases/<reference>")
@roles_required(*ACTORS)
@writes
def case(reference: str):
    session = db()
    found = cases.get_case(session, reference)
    view = case_view.for_viewer(session, current_user(), found)
    audit_read("case_viewed", found)
    return jsonify(case_json(view))


def case_json(view: case_view.CaseView) -> dict[str, Any]:
    case = view.case
    body: dict[str, Any] = {
        "reference": case.reference, "status": case.status, "outcome": case.outcome, "pass": case.pass_number,
        "youth": {"pseudonym": case.youth_pseudonym, "age_band": case.age_band, "region": case.region},
        "case_manager": case.case_manager.username, "opened_at": _iso(case.opened_at),
        "current_steps": view.current_steps, "open_tasks": [task_json(t) for t in view.open_tasks],
        "consents": [{"person": c.person, "label": c.label, "status": c.status, "scope": c.scope,
                      "decided_on": _iso(c.decided_on)} for c in view.consents],
        "consent_obtained": view.consent_obtained,  # instead of each decision, for the requester
        # What the case page shows of each plan, to the same people: the participants to whom
        # attended, each action's reports to whom may read them (case_view).
        "plans": [{"version": p.version.number, "held_on": _iso(p.version.held_on), "full": p.full,
                   "participants": [{"name": part.name, "organisation": part.organisation, "kind": part.kind}
                                    for part in p.version.participants] if p.full else [],
                   "objectives": [{"key": o.key, "title": o.title, "indicator": o.indicator} for o in p.objectives],
                   "actions": [{"id": a.id, "objective": a.objective.key, "what": a.what, "how": a.how,
                                "duration": a.duration, "carrier": a.carrier.username,
                                "due_on": _iso(a.due_on), "status": a.status,
                                "reports": [{"reported_at": _iso(r.reported_at), "by": r.reported_by.username,
                                             "status": r.status, "result": r.result,
                                             "effectiveness": r.effectiveness} for r in p.reports.get(a.id, [])]}
                               for a in p.actions],
                   "changes": [{"kind": ch.kind, "what": ch.what, "label": ch.label, "detail": ch.detail}
                               for ch in p.changes]} for p in view.plans],
        "messages": [{"kind": m.kind, "text": m.text, "received_on": _iso(m.received_on),
                      "acknowledged": m.acknowledged_at is not None} for m in view.messages],
        "timeline": [{"at": _iso(i["at"]), "kind": i["kind"], "actor": i["actor"], "detail": i["detail"]}
                     for i in view.timeline],
    }
    if view.show_request:
        body["request"] = {"requester_kind": case.requester_kind, "difficulties": case.difficulties,
                           "previous_attempts": case.previous_attempts}
    return body


@bp.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(_rest: str):
    """No such endpoint (404), or an endpoint that does not take this method (405)."""
    from flask import current_app
    from werkzeug.exceptions import HTTPException, MethodNotAllowed

    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _args = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "api.unknown":
            allowed.append(method)
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise NotFoundError("no such API endpoint")
