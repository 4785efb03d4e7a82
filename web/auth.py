"""Sign in and out; `/` leads each role to its home page."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from workflows import throttle, users
from workflows.errors import FormError

from .access import current_user, login_required, login_user, logout_user
from .forms import error_map
from .i18n import locale
from .transactions import db, now

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _blocked(username: str, when) -> str | None:
    """What to say while failed attempts block this name or address (None when they do not)."""
    until = throttle.blocked_until(db(), username, request.remote_addr, when)
    if until is None:
        return None
    minutes = max(1, math.ceil((until - when).total_seconds() / 60))
    return _("Too many failed attempts. Try again in %(minutes)d minute(s).", minutes=minutes)


@bp.get("/")
def home():
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login"))
    endpoint = current_app.extensions["casework_homes"].get(user.role)
    if endpoint and endpoint in current_app.view_functions:
        return redirect(url_for(endpoint))
    figures = None
    if user.role == "coordinator":
        from workflows.inbox import network_counts

        from .inbox import step_titles

        figures = network_counts(db(), now(), step_titles())
    return render_template("auth/home.html", figures=figures)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user() is not None:
            return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
        return render_template("auth/login.html", next=_safe_next(request.args.get("next")) or "")
    username = (request.form.get("username") or "").strip().lower()
    password = request.form.get("password") or ""
    target = _safe_next(request.form.get("next"))
    session_, when = db(), now()
    message = _blocked(username, when)
    if message is not None:
        return render_template("auth/login.html", error=message, username=username, next=target or ""), 429
    user = users.authenticate(session_, username, password)
    if user is None:
        throttle.record_failure(session_, username, request.remote_addr, when)
        session_.commit()  # kept although the response is an error
        return render_template("auth/login.html", error=_("Unknown username or wrong password."),
                               username=username, next=target or ""), 401
    throttle.clear(session_, username)
    login_user(user)
    return redirect(target or url_for("auth.home"))


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password, proved by the current one; the other sessions end."""
    if request.method == "GET":
        return render_template("auth/password.html", errors={})
    user, session_, when = current_user(), db(), now()
    message = _blocked(user.username, when)  # the same count as sign-in: a left-open session must not help to guess it
    if message is not None:
        return render_template("auth/password.html", errors={"": message}), 429
    try:
        users.change_password(session_, user, request.form.get("current_password") or "",
                              request.form.get("new_password") or "", request.form.get("new_password_again") or "",
                              now=when)
    except FormError as err:
        if any(error.code == "wrong_password" for error in err.errors):
            throttle.record_failure(session_, user.username, request.remote_addr, when)
            session_.commit()  # kept although the response is an error
        return render_template("auth/password.html", errors=error_map(err.errors, locale())), 422
    throttle.clear(session_, user.username)
    login_user(user)  # a new session here, with the new password's stamp
    flash(_("Your password is changed. Your other sessions are signed out."), "success")
    return redirect(url_for("auth.home"))
