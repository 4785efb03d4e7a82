"""Notifications in the app: the list and the unread counter in the top bar; the e-mail outbox."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.models import HumanTask
from workflows import notifications, reasons
from workflows.models import Case
from workflows.permissions import can_view_case

from .access import current_user, login_required, roles_required
from .forms import row_id
from .i18n import locale
from .transactions import casework, db, now, writes

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
OUTBOX_ROLES = notifications.ADMIN_ROLES


@bp.get("/")
@login_required
@writes
def index():
    user = current_user()
    rows = notifications.for_user(db(), user, limit=100)
    done = notifications.settled(db(), user, rows, now())  # told of a task already dealt with
    lang = locale()
    items = [{"row": n, "text": reasons.describe(n, lang), "unread": n.read_at is None and n.id not in done,
              "done": n.id in done, "failure": reasons.failure(n, lang)} for n in rows]
    return render_template("notifications/index.html", items=items, digest=user.email_digest,
                           has_email=bool(user.email), digest_hour=casework().settings.digest_hour,
                           outbox=user.role in OUTBOX_ROLES)


@bp.post("/<int:notification_id>/open")
@login_required
def open_one(notification_id: int):
    """Mark it read and go to what it is about: the task it names while it is open and the user's
    to do, else the case, if the user may see it."""
    session, user = db(), current_user()
    row = notifications.get_own(session, user, notification_id)
    notifications.mark_read(session, user, now(), [row.id])
    task_id = (row.detail or {}).get("task_id")
    task = session.get(HumanTask, task_id) if isinstance(task_id, str) else None
    if task is not None and task.assignee == user.username:
        return redirect(url_for("tasks.show", task_id=task.id))
    process_id = (row.detail or {}).get("process_id") if row.reason == notifications.PROCESS_FAILED else None
    if isinstance(process_id, str) and user.role == "process_owner":  # the diagram to fix
        return redirect(url_for("processes.edit", process_id=process_id))
    case = session.get(Case, row.case_id) if row.case_id else None
    if case is not None and can_view_case(session, user, case):
        return redirect(url_for("cases.show", reference=case.reference))
    return redirect(url_for(".index"))


@bp.post("/read")
@login_required
def read_all():
    notifications.mark_read(db(), current_user(), now())
    return redirect(url_for(".index"))


@bp.post("/digest")
@login_required
def digest():
    choice = request.form.get("digest")
    if choice not in ("on", "off"):
        abort(400)
    notifications.set_email_digest(db(), current_user(), choice == "on")
    return redirect(url_for(".index"))


@bp.get("/outbox")
@roles_required(*OUTBOX_ROLES)
def outbox():
    session, user = db(), current_user()
    wanted = request.args.get("status")
    statuses = [wanted] if wanted in reasons.EMAIL_STATUSES else ["pending", "sending", "failed", "unknown"]
    lang = locale()
    with_case = notifications.outbox_names_cases(user)
    rows = [{"row": n, "text": reasons.describe(n, lang, with_case=with_case),
             "status": reasons.email_status(n.email_status, lang)}
            for n in notifications.outbox(session, user, statuses, limit=300)]
    counts = notifications.outbox_counts(session, user)
    return render_template("notifications/outbox.html", rows=rows, status=wanted if wanted in statuses else None,
                           counts=[(s, reasons.email_status(s, lang), counts.get(s, 0)) for s in reasons.EMAIL_STATUSES
                                   if counts.get(s)],
                           smtp=bool(casework().settings.smtp_host),
                           waiting=notifications.oldest_waiting(session, user, now()))


@bp.post("/outbox/retry")
@roles_required(*OUTBOX_ROLES)
def retry():
    ids = [number for number in map(row_id, request.form.getlist("id")) if number is not None]
    if not ids and request.form.get("all_failed") != "1":
        abort(400)
    n = notifications.retry(db(), current_user(), now(), ids or None)
    flash(_("%(n)s e-mail(s) will be sent again.", n=n), "success")
    return redirect(url_for(".outbox"))


def init_app(app: Flask) -> None:
    from . import add_nav_item

    add_nav_item(app, "notifications.outbox", "E-mail outbox", roles=("coordinator",))

    @app.context_processor
    def _unread():
        user = current_user() if request else None
        if user is None or request.endpoint == "static":
            return {}
        return {"unread_notifications": notifications.unread_count(db(), user)}
