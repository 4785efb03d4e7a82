"""Overdue work: a case manager's cases, a partner's own actions, coordinators' counts per person
(and, for a case manager who is away, the hand-over of all their cases to a colleague)."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from workflows import cases, overdue
from workflows.models import Case, User

from .access import current_user, roles_required
from .transactions import db, now, writes

bp = Blueprint("overdue", __name__, url_prefix="/overdue")


@bp.get("/")
@roles_required("case_manager", "professional", "coordinator")
def index():
    user = current_user()
    view = overdue.view_for(db(), user, now())
    coordinator = user.role == "coordinator"
    return render_template("overdue/index.html", view=view, counts_only=coordinator,
                           managers=_managers() if coordinator else [])


def _managers() -> list[tuple[User, int]]:
    """Every case manager (a disabled one may still hold cases) with how many cases they hold."""
    held = dict(db().execute(select(Case.case_manager_id, func.count()).where(Case.status != "closed")
                             .group_by(Case.case_manager_id)).all())
    return [(user, held.get(user.id, 0)) for user in db().scalars(
        select(User).where(User.role == "case_manager").order_by(User.display_name))]


@bp.post("/hand-over")
@roles_required("coordinator")
@writes
def hand_over():
    """A case manager away (ill, on leave, gone): all their cases to a colleague, asked once more.
    The coordinator reads no case: only how many there are."""
    managers = {user.username: (user, held) for user, held in _managers()}
    away, to = managers.get(request.form.get("away") or ""), managers.get(request.form.get("to") or "")
    if away is None or to is None or away[0].id == to[0].id or not to[0].active:
        flash(_("Choose the case manager who is away and an active colleague, two different people."), "error")
        return redirect(url_for("overdue.index"))
    if not request.form.get("confirm"):
        return render_template("overdue/hand_over.html", away=away[0], to=to[0], held=away[1])
    count = cases.hand_over_all(db(), actor=current_user(), away=away[0], to=to[0], now=now())
    flash(ngettext("%(num)d case of %(away)s handed over to %(to)s, who is told.",
                   "%(num)d cases of %(away)s handed over to %(to)s, who is told of each.", count,
                   away=away[0].display_name, to=to[0].display_name), "success")
    return redirect(url_for("overdue.index"))


def init_app(app: Flask) -> None:
    from . import add_nav_item

    add_nav_item(app, "overdue.index", "Overdue", roles=("case_manager", "professional", "coordinator"))
