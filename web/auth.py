"""Sign in and out; `/` leads each role to its home page."""

from __future__ import annotations

import logging
import math
import threading

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from engine import audit
from workflows import mailer, password_reset, throttle, users
from workflows.errors import FormError

from .access import current_user, local_path, login_required, login_user, sign_out
from .forms import error_map
from .i18n import LOCALES, locale
from .transactions import casework, db, now

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)


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
    if request.method != "POST":  # GET, and HEAD (a link checker, a monitor): never the form sent
        if current_user() is not None:
            return redirect(local_path(request.args.get("next")) or url_for("auth.home"))
        return render_template("auth/login.html", next=local_path(request.args.get("next")) or "",
                               can_reset=_reset_by_email(), signed_out=session.pop("signed_out", False))
    username = (request.form.get("username") or "").strip().lower()
    password = request.form.get("password") or ""
    target = local_path(request.form.get("next"))
    if not username or not password:  # nothing to check: said, not counted as a failed attempt
        return render_template("auth/login.html", error=_("Enter your username and your password."),
                               missing="username" if not username else "password", username=username,
                               next=target or "", can_reset=_reset_by_email()), 422
    session_, when = db(), now()
    message = _blocked(username, when)
    if message is not None:
        return render_template("auth/login.html", error=message, username=username, next=target or "",
                               can_reset=_reset_by_email()), 429
    user = users.authenticate(session_, username, password)
    if user is None:
        throttle.record_failure(session_, username, request.remote_addr, when)
        session_.commit()  # kept although the response is an error
        return render_template("auth/login.html", error=_("Unknown username or wrong password."),
                               username=username, next=target or "", can_reset=_reset_by_email()), 401
    throttle.clear(session_, username)
    login_user(user)
    return redirect(target or url_for("auth.home"))


@bp.post("/logout")
def logout():
    """Sign out. With reason=idle (static/session.js, after its warning), the sign-in page says
    why and leads back to `next`. Signed out already (another tab, or the server a moment
    before, ended the session): the same answer, never an error."""
    idle = request.form.get("reason") == "idle"
    target = local_path(request.form.get("next")) if idle else None
    sign_out(idle=idle)
    if not idle:  # (an idle end says why itself)
        flash(_("You are signed out. Close the browser if others use this computer."), "info")
    return redirect(url_for("auth.login", next=target) if target else url_for("auth.login"))


@bp.post("/session/keepalive")
def keepalive():
    """Someone is at work on a page (static/session.js asks while they type or click, at most
    every few minutes): the session's idle time starts again. 401 once it has ended."""
    if current_user() is None:
        return {"error": "signed_out"}, 401
    return "", 204


@bp.post("/account/sessions/end")
@login_required
def sign_out_everywhere():
    """End every session of the signed-in person, on every device, this one included: for a
    session left open on a shared computer, or a device lost."""
    username = current_user().username
    ended = sign_out(everywhere=True)
    audit.record(db(), at=now(), actor=username, kind="signed_out_everywhere", detail={"sessions": ended})
    flash(_("You are signed out on every device. Sign in again to go on here."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password, proved by the current one; the other sessions end."""
    if request.method != "POST":  # GET, and HEAD (a link checker, a monitor): never the form sent
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


# -- a forgotten password (workflows/password_reset.py) ----------------------------------------------
def _reset_by_email() -> bool:
    """Only where casework can send e-mail; elsewhere the sign-in page says whom to ask."""
    return bool(casework().settings.smtp_host)


SENDER_THREAD = "password-reset-mail"


def _send_in_background(mail: mailer.Mail) -> None:
    """Send from a thread of its own: the page does not wait for the SMTP server, whose delay
    would tell that an account matched."""
    settings = casework().settings

    def send():
        transport = mailer.SmtpTransport(settings)
        try:
            transport.send(mail)
        except mailer.DeliveryError as err:  # the server's text may name the address: not logged
            log.warning("a password reset e-mail was not sent (%s)", type(err).__name__)
        finally:
            transport.close()

    threading.Thread(target=send, name=SENDER_THREAD, daemon=True).start()


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    if not _reset_by_email():
        abort(404)
    if request.method != "POST":  # GET, and HEAD (a link checker, a monitor): never the form sent
        return render_template("auth/forgot.html")
    session_, when = db(), now()
    if throttle.blocked_until(session_, None, request.remote_addr, when) is not None:
        return render_template("auth/forgot.html", error=_("Too many requests from this place. Try again later.")), 429
    throttle.record_failure(session_, None, request.remote_addr, when)  # counts towards the address's limit
    asked = password_reset.request_reset(session_, current_app.secret_key, request.form.get("account") or "", when)
    flash(_("If an account matches, an e-mail with a link to choose a new password is on its way. The link "
            "works for %(minutes)d minutes. Nothing within a few minutes? Look in your spam folder, or ask "
            "whoever manages casework's accounts in your network.",
            minutes=int(password_reset.VALID.total_seconds() // 60)), "success")
    if asked is not None:
        settings, user = casework().settings, asked.user
        link = settings.base_url.rstrip("/") + url_for("auth.reset_link", token=asked.token)
        session_.commit()  # the request is on record before its e-mail leaves
        _send_in_background(mailer.render_password_reset(
            settings, name=user.display_name, to=user.email, username=user.username, link=link,
            minutes=int(password_reset.VALID.total_seconds() // 60), locale=user.locale, now=when))
    return redirect(url_for("auth.login"))


@bp.get("/password/reset/<token>")
def reset_link(token: str):
    """The e-mail's link: the token moves into the session, out of the address bar (and of any
    Referer header or screenshot of the page)."""
    if not _reset_by_email():
        abort(404)
    try:
        password_reset.check(db(), current_app.secret_key, token, now())
    except password_reset.InvalidLink:
        return render_template("auth/reset_invalid.html"), 410
    session["reset_token"] = token
    session.pop("reset_purpose", None)  # an invitation's, opened before in this browser
    return redirect(url_for("auth.reset_password"))


@bp.get(password_reset.WELCOME_PATH + "<token>")
def welcome_link(token: str):
    """An invitation's link (`casework users add --invite`): as a reset link, for a first password."""
    try:
        user = password_reset.check(db(), current_app.secret_key, token, now(), password_reset.INVITATION)
    except password_reset.InvalidLink:
        return render_template("auth/reset_invalid.html", invitation=True), 410
    session["reset_token"], session["reset_purpose"] = token, password_reset.INVITATION
    if user.locale in LOCALES:  # the page in the language of the e-mail
        session["lang"] = user.locale
    return redirect(url_for("auth.reset_password"))


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    purpose = password_reset.INVITATION if session.get("reset_purpose") == password_reset.INVITATION \
        else password_reset.RESET
    if purpose == password_reset.RESET and not _reset_by_email():
        abort(404)
    token, session_, when = session.get("reset_token") or "", db(), now()
    try:
        user = password_reset.check(session_, current_app.secret_key, token, when, purpose)
    except password_reset.InvalidLink:
        session.pop("reset_token", None)
        session.pop("reset_purpose", None)
        return render_template("auth/reset_invalid.html", invitation=purpose == password_reset.INVITATION), 410
    welcome = {"account": user.username, "name": user.display_name, "invitation": purpose == password_reset.INVITATION}
    if request.method != "POST":  # GET, and HEAD (a link checker, a monitor): never the form sent
        return render_template("auth/reset.html", errors={}, **welcome)
    try:
        password_reset.reset(session_, user, request.form.get("new_password") or "",
                             request.form.get("new_password_again") or "", now=when, purpose=purpose)
    except FormError as err:
        return render_template("auth/reset.html", errors=error_map(err.errors, locale()), **welcome), 422
    login_user(user)  # a new session: the link's token and purpose leave with the old one
    flash(_("Your password is set. Welcome to casework.") if welcome["invitation"] else
          _("Your new password is set. Your other sessions are signed out."), "success")
    return redirect(url_for("auth.home"))
