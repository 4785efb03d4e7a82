"""Overdue work: a case manager's cases, a partner's own actions, coordinators' counts per person."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from workflows import overdue

from .access import current_user, roles_required
from .transactions import db, now

bp = Blueprint("overdue", __name__, url_prefix="/overdue")


@bp.get("/")
@roles_required("case_manager", "professional", "coordinator")
def index():
    user = current_user()
    view = overdue.view_for(db(), user, now())
    return render_template("overdue/index.html", view=view, counts_only=user.role == "coordinator")


def init_app(app: Flask) -> None:
    from . import add_nav_item

    add_nav_item(app, "overdue.index", "Overdue", roles=("case_manager", "professional", "coordinator"))
