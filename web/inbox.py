"""The inbox: the tasks a user may act on, overdue first, with filters and counts."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from workflows import inbox as inbox_mod
from workflows.models import CaseMember

from .access import current_user, roles_required
from .forms import page_number
from .i18n import locale
from .transactions import db, now

bp = Blueprint("inbox", __name__)


def query_from_args(args) -> inbox_mod.Query:
    user = current_user()
    scopes = inbox_mod.scopes_for(user)
    scope = args.get("scope") if args.get("scope") in scopes else "mine"
    window = args.get("due") if args.get("due") in inbox_mod.WINDOWS else None
    number = page_number(args)
    return inbox_mod.Query(scope=scope, step=(args.get("step") or None), case_ref=(args.get("case") or "").strip() or None,
                           window=window, page=number)


@bp.get("/inbox")
@roles_required("case_manager", "professional")
def index():
    user = current_user()
    typed = (request.args.get("case") or "").strip()
    if typed and not inbox_mod.REFERENCE_CHARACTERS.fullmatch(typed):
        # A pseudonym typed here (the browser checks the field first, without JavaScript too):
        # it must not stay in the address, nor be repeated on the page.
        flash(_("A case reference (CM-…): look a pseudonym up in Cases, where it is not put in the address."),
              "warning")
        return redirect(url_for("inbox.index", **{k: v for k, v in request.args.items() if k != "case"}))
    # The list as filtered last (a step, a due window, a page: nothing of a case), for a completed
    # task or "Back to my tasks" to return to it rather than to the whole inbox; not one case's
    # list (shown after a step with a next one for the person). Written only when it changes: the
    # session's cookie is not signed again on every inbox page.
    listed = request.full_path.rstrip("?") if len(request.full_path) <= 300 else "/inbox"
    if "case" not in request.args and session.get("casework_inbox") != listed:
        session["casework_inbox"] = listed
    return _page(user, query_from_args(request.args))


@bp.post("/inbox")
@roles_required("case_manager", "professional")
def filter_tasks():
    """The filters' form: sent in the body, so that what was typed in the case field reaches the
    address only as a reference (or a part of one) some task of this person's inbox is of; a
    pseudonym typed there ("Lucas") is answered without ever being put in a URL."""
    user = current_user()
    form = request.form
    params = {key: form.get(key) for key in ("scope", "due", "step") if form.get(key)}
    typed = (form.get("case") or "").strip()
    if typed:
        shaped = inbox_mod.REFERENCE_CHARACTERS.fullmatch(typed) is not None
        if shaped and inbox_mod.case_filter(typed) is None:
            flash(_("Type at least %(n)d characters of the reference after “CM-”.", n=inbox_mod.MIN_PART), "warning")
            return redirect(url_for("inbox.index", **params))
        query = dataclasses.replace(query_from_args({**params, "case": typed}), page_size=1)
        if not shaped or inbox_mod.page(db(), user, query, now()).counts.total == 0:
            flash(_("None of your tasks is of a case whose reference holds what you typed (a reference, CM-…: "
                    "look a pseudonym up in Cases)."), "warning")
            return redirect(url_for("inbox.index", **params))
        params["case"] = typed
    return redirect(url_for("inbox.index", **params))


def _page(user, asked: inbox_mod.Query):
    # A page past the last one (tasks done meanwhile, an old link) shows the last one.
    result = inbox_mod.page(db(), user, asked, now(), step_titles(), clamp=True)
    query = result.query

    def link(**changes):
        params = {"scope": query.scope, "step": query.step, "case": query.case_ref, "due": query.window}
        params.update(changes)
        return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "", "mine")})

    # A partner's first visit: nothing yet, and no case either. Say what will come here (one
    # indexed lookup, on an empty and unfiltered inbox only).
    newcomer = (user.role == "professional" and result.counts.total == 0 and not query.case_ref
                and db().scalar(select(CaseMember.id).where(CaseMember.user_id == user.id).limit(1)) is None)
    by_case = inbox_mod.case_filter(query.case_ref)
    return render_template("inbox/index.html", result=result, query=query, link=link,
                           scopes=inbox_mod.scopes_for(user), newcomer=newcomer,
                           filtered=bool(query.step or query.window or by_case),
                           short_ref=bool(query.case_ref) and by_case is None, min_part=inbox_mod.MIN_PART)


def last_list() -> str:
    """The inbox as this person last filtered it in this session (else the whole inbox)."""
    return session.get("casework_inbox") or url_for("inbox.index")


def step_titles() -> dict[str, str]:
    """Each step's label in the page's language (read once per request)."""
    titles = g.get("casework_step_titles")
    if titles is None:
        titles = g.casework_step_titles = inbox_mod.step_titles(db(), locale())
    return titles


def step_title(step: str | None, fallback: str) -> str:
    """A step's label in the page's language: `fallback` (the task's own, in the diagram's
    language, French) unless the page is in English and the step's form names it in English."""
    if locale() == "fr" or not step:
        return fallback
    return step_titles().get(step, fallback)


def init_app(app: Flask) -> None:
    from . import add_nav_item

    app.jinja_env.globals["step_title"] = step_title
    app.jinja_env.globals["last_list"] = last_list

    add_nav_item(app, "inbox.index", "My tasks", roles=("case_manager", "professional"))
