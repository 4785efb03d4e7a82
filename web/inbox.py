"""The inbox: the tasks a user may act on, overdue first, with filters and counts."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Flask, render_template, request

from workflows import inbox as inbox_mod

from .access import current_user, roles_required
from .transactions import db, now

bp = Blueprint("inbox", __name__)


def query_from_args(args) -> inbox_mod.Query:
    user = current_user()
    scopes = inbox_mod.scopes_for(user)
    scope = args.get("scope") if args.get("scope") in scopes else "mine"
    window = args.get("due") if args.get("due") in inbox_mod.WINDOWS else None
    try:
        number = max(1, min(int(args.get("page", 1)), 10_000))
    except ValueError:
        number = 1
    return inbox_mod.Query(scope=scope, step=(args.get("step") or None), case_ref=(args.get("case") or "").strip() or None,
                           window=window, page=number)


@bp.get("/inbox")
@roles_required("case_manager", "professional")
def index():
    user = current_user()
    query = query_from_args(request.args)
    result = inbox_mod.page(db(), user, query, now())

    def link(**changes):
        params = {"scope": query.scope, "step": query.step, "case": query.case_ref, "due": query.window}
        params.update(changes)
        return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "", "mine")})

    return render_template("inbox/index.html", result=result, query=query, link=link,
                           scopes=inbox_mod.scopes_for(user))


def init_app(app: Flask) -> None:
    from . import add_nav_item

    add_nav_item(app, "inbox.index", "My tasks", roles=("case_manager", "professional"))
