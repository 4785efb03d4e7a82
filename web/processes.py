"""Process owners' pages: versions and what changed, edit (bpmn-js) or upload, check, deploy, migrate.

No page here shows a case's content: cases appear by their pseudonymous reference and the
step they are at. Nothing is deployed unless the whole bundle passes the check and the dry run.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, send_from_directory, url_for
from markupsafe import Markup

from engine.bundles import BPMN_SUFFIX, DMN_SUFFIX, FORMS_DIR, MAX_FILE_BYTES, MAX_FILES, Bundle
from engine.errors import Problem, ValidationError
from engine.models import ProcessInstance
from engine.problem_texts import say
from workflows import inbox, processes, reasons, upcoming
from workflows.errors import ConflictError, EngineError, NotFoundError

from . import diagram
from .access import current_user, roles_required
from .forms import build_fields, row_id
from .i18n import locale
from .transactions import casework, db

bp = Blueprint("processes", __name__, url_prefix="/processes")
BPMN_JS = Path(__file__).resolve().parent.parent / "node_modules" / "bpmn-js" / "dist"
PREVIEW_LIMIT = 200


def init_app(app) -> None:
    from . import add_nav_item, set_home

    add_nav_item(app, "processes.index", "Processes", roles=("process_owner",))
    set_home(app, "process_owner", "processes.index")
    app.jinja_env.globals["service_said"] = service_said


def service_said(step) -> str | None:
    """A dry run's service step as a process owner reads it (None: its call is shown as it is)."""
    if not step.call:
        return None
    operation, params = step.call
    if operation == "notify":
        return _("sends the notice “%(title)s”", title=reasons.title(str(params.get("reason")), locale()))
    if operation == "inform_professionals":
        return _("passes the youth's message on to the professionals the case manager chose")
    return None


def _owner():
    user = current_user()
    processes.require_owner(user)
    return user


def _latest_bundle(process_id: str) -> Bundle:
    rows = processes.versions(db(), process_id)
    if not rows:
        raise NotFoundError("this process has no version")
    return Bundle(dict(rows[0].version.files))


@bp.get("/vendor/bpmn-js/<path:filename>")
@roles_required("process_owner")
def vendor(filename: str):
    """The prebuilt bpmn-js files installed by `npm ci` (no client build step)."""
    if not BPMN_JS.is_dir():
        abort(404)
    return send_from_directory(BPMN_JS, filename, max_age=3600)


@bp.get("/")
@roles_required("process_owner")
def index():
    from engine.deployments import list_versions

    latest: dict[str, dict] = {}
    for version, running in list_versions(db()):
        item = latest.setdefault(version.process_id, {"version": version, "running": 0, "count": 0})
        item["running"] += running
        item["count"] += 1
    return render_template("processes/index.html", processes=list(latest.values()))


@bp.get("/<process_id>/")
@roles_required("process_owner")
def versions(process_id: str):
    rows = processes.versions(db(), process_id)
    if not rows:
        raise NotFoundError("this process has no version")
    # Cases the engine stopped (a timer, script or service that failed): the owner fixes the
    # diagram, deploys, and moves them onto the fixed version.
    stuck = upcoming.errors(db(), current_user(), process_id=process_id)
    return render_template("processes/versions.html", process_id=process_id, rows=rows, stuck=stuck)


@bp.get("/<process_id>/versions/<int:number>")
@roles_required("process_owner")
def version(process_id: str, number: int):
    found = processes.target_version(db(), number, process_id)
    xml = diagram.bpmn_file(found.files or {})
    english = locale() == "en"  # steps by their forms' English titles, other elements by casework:nameEn
    names = inbox.english_titles(found.forms, found.files) if english else None
    try:
        svg = diagram.render(xml, title=found.name, names=names, english=english) if xml else Markup("")
    except Exception:  # noqa: BLE001 - a drawing problem must not hide the version
        svg = Markup("")
    forms = sorted(name for name in found.files if name.startswith(FORMS_DIR))
    running, where = processes.where_cases_stand(db(), found, RUNNING_SHOWN)
    return render_template("processes/version.html", process_id=process_id, version=found, svg=svg, forms=forms,
                           running=running, where=where)


RUNNING_SHOWN = 200  # a version's running cases listed on its page (the count says how many in all)


@bp.get("/<process_id>/versions/<int:number>/files/<path:name>")
@roles_required("process_owner")
def version_file(process_id: str, number: int, name: str):
    found = processes.target_version(db(), number, process_id)
    if name not in (found.files or {}):
        raise NotFoundError("no such file in this version")
    return found.files[name], 200, {"Content-Type": "text/plain; charset=utf-8",
                                    "Content-Disposition": f'attachment; filename="{Path(name).name}"'}


# -- edit, upload, check, deploy --------------------------------------------------------------------------
def _editable(bundle: Bundle) -> dict:
    bpmn = bundle.bpmn_files[0] if bundle.bpmn_files else "process.bpmn"
    return {"bpmn_name": bpmn, "bpmn_xml": bundle.files.get(bpmn, ""),
            "others": {name: text for name, text in sorted(bundle.files.items()) if name != bpmn}}


def _previews(bundle: Bundle) -> dict[str, list]:
    previews = {}
    for name, text in bundle.files.items():
        if name.startswith(FORMS_DIR) and name.endswith(".json"):
            try:
                schema = json.loads(text)
                if isinstance(schema, dict):
                    previews[name] = build_fields(schema, {}, {}, locale=locale(), people=[])
            except Exception:  # noqa: BLE001 - the check lists what is wrong with the file
                previews[name] = None
    return previews


def _render_editor(process_id: str, bundle: Bundle, result: processes.CheckResult | None = None, status: int = 200):
    return render_template("processes/edit.html", process_id=process_id, editor=_editable(bundle),
                           previews=_previews(bundle), result=result, modeler=BPMN_JS.is_dir(),
                           limit_kib=MAX_FILE_BYTES // 1024), status


@bp.get("/<process_id>/edit")
@roles_required("process_owner")
def edit(process_id: str):
    _owner()
    return _render_editor(process_id, _latest_bundle(process_id))


def _submitted_bundle(process_id: str) -> tuple[Bundle, list[Problem]]:
    """The bundle the editor posted: the diagram from the modeler, the forms and tables beside it."""
    problems: list[Problem] = []
    base = _latest_bundle(process_id)
    files = dict(base.files)
    bpmn_name = request.form.get("bpmn_name") or (base.bpmn_files[0] if base.bpmn_files else "process.bpmn")
    if bpmn_name not in files:
        bpmn_name = base.bpmn_files[0] if base.bpmn_files else "process.bpmn"
    if "bpmn" in request.form:
        files[bpmn_name] = request.form["bpmn"]
    for key, text in request.form.items():
        if key.startswith("file:"):
            name = key[5:]
            if name in files and name != bpmn_name:
                files[name] = text.replace("\r\n", "\n")
    return Bundle(files), problems


def _uploaded_bundle(process_id: str) -> tuple[Bundle, list[Problem]]:
    """The latest version's bundle with the uploaded files put in (a .bpmn replaces the diagram)."""
    base = _latest_bundle(process_id)
    files, problems = dict(base.files), []
    uploads = [f for f in request.files.getlist("files") if f and f.filename]
    if not uploads:
        problems.append(Problem(say("upload.none")))
    if len(uploads) > MAX_FILES:
        problems.append(Problem(say("bundle.too_many_files", count=len(uploads), limit=MAX_FILES)))
        uploads = []
    for upload in uploads:
        name = Path(upload.filename.replace("\\", "/")).name
        data = upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            problems.append(Problem(say("upload.too_large", limit=MAX_FILE_BYTES // 1024), file=name))
            continue
        text = data.decode("utf-8", errors="replace")
        if name.endswith(BPMN_SUFFIX):
            for old in base.bpmn_files:
                files.pop(old, None)
            files[name] = text
        elif name.endswith(DMN_SUFFIX):
            files[name] = text
        elif name.endswith(".json"):
            files[FORMS_DIR + name] = text
        else:
            problems.append(Problem(say("upload.wrong_kind"), file=name))
    return Bundle(files), problems


def _check_or_deploy(process_id: str, bundle: Bundle, problems: list[Problem]):
    user = _owner()
    action = request.form.get("action", "check")
    result = processes.check(bundle, today=casework().clock.now(), run=action != "validate")
    result.problems = problems + result.problems
    if action == "deploy" and not problems and result.ok:
        try:
            version, created, _result = processes.deploy(db(), casework().runtime, bundle, author=user.username,
                                                   note=request.form.get("note", ""))
        except ValidationError as err:
            result.problems = list(err.problems)
        else:
            flash(_("Version %(n)d deployed: new cases start on it; running cases stay on theirs.",
                    n=version.number) if created else _("This content is already version %(n)d.", n=version.number),
                  "success")
            return redirect(url_for("processes.versions", process_id=process_id))
    return _render_editor(process_id, bundle, result, 200 if result.ok and not problems else 422)


@bp.post("/<process_id>/edit")
@roles_required("process_owner")
def submit(process_id: str):
    bundle, problems = _submitted_bundle(process_id)
    return _check_or_deploy(process_id, bundle, problems)


@bp.get("/<process_id>/upload")
@roles_required("process_owner")
def upload_form(process_id: str):
    _owner()
    _latest_bundle(process_id)
    return render_template("processes/upload.html", process_id=process_id, limit_kib=MAX_FILE_BYTES // 1024)


@bp.post("/<process_id>/upload")
@roles_required("process_owner")
def upload(process_id: str):
    bundle, problems = _uploaded_bundle(process_id)
    return _check_or_deploy(process_id, bundle, problems)


# -- migrate ------------------------------------------------------------------------------------------------
@bp.get("/<process_id>/migrate")
@roles_required("process_owner")
def migrate_form(process_id: str):
    _owner()
    rows = processes.versions(db(), process_id)
    if not rows:
        raise NotFoundError("this process has no version")
    number = row_id(request.args.get("to")) or rows[0].version.number
    target = processes.target_version(db(), number, process_id)
    instances = processes.instances_to_move(db(), target)
    plans = [processes.preview(db(), casework().runtime, i, target) for i in instances[:PREVIEW_LIMIT]]
    return render_template("processes/migrate.html", process_id=process_id, target=target, plans=plans,
                           more=max(0, len(instances) - PREVIEW_LIMIT), versions=[r.version.number for r in rows])


@bp.post("/<process_id>/migrate")
@roles_required("process_owner")
def migrate(process_id: str):
    user = _owner()
    number = row_id(request.form.get("to"))
    keys = [k for k in request.form.getlist("case") if k]
    if not number or not keys:
        flash(_("Choose the cases to move."), "warning")
        return redirect(url_for("processes.migrate_form", process_id=process_id, to=number))
    # One transaction per case (a case that fails leaves the others moved): end the request's own first.
    db().commit()
    app = casework()
    with app.db.transaction(write=False) as session:
        target = processes.target_version(session, number, process_id)
        ids = [i.id for i in processes.instances_to_move(session, target, keys)]
    results = []
    for instance_id in ids:
        try:
            with app.db.transaction() as session:
                instance = session.get(ProcessInstance, instance_id)
                target = processes.target_version(session, number, process_id)
                results.append(processes.migrate_one(session, app.runtime, instance, target, actor=user.username))
        except (ConflictError, EngineError) as err:
            results.append(processes.MigrationPlan(instance_id, "?", 0, number, can_move=False, reasons=[str(err)]))
    return render_template("processes/migrated.html", process_id=process_id, number=number, results=results)


def _(text: str, **params) -> str:
    from flask_babel import gettext

    return gettext(text, **params)
