"""Who is signed in, and the decorators that guard views: login_required, roles_required."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import time
from typing import Any

from flask import Flask, abort, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext
from sqlalchemy import Select, bindparam, select

from engine import audit
from engine.db import statement
from workflows import signins, throttle, users
from workflows.models import Case, User

from .transactions import casework, db, now


def local_path(target: str | None) -> str | None:
    """`target` when it is a path of this site to send the browser back to, else None: never an
    open redirect. Browsers drop tabs and line breaks from a URL ('/\\t/evil.example' is
    '//evil.example', another site) and read a backslash as a slash, so neither may appear."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 33 or ord(c) == 127 for c in target):
        return None
    return target


def current_user() -> User | None:
    if "user" not in g:
        g.user = _load_user()
    return g.user


def _load_user() -> User | None:
    if request.path.startswith("/api/") and request.authorization and request.authorization.type == "basic":
        return _basic_auth()
    user_id = session_user_id()
    if user_id is None:
        return None
    return adopt_user(db().scalar(_user_by_id(), {"user_id": user_id, "sign_in": sign_in_key()}))


def session_user_id() -> int | None:
    """The id of the user the session cookie says is signed in, not yet read from the database:
    for a view that reads the user in its own first statement, with `signins.live` and the
    parameter `sign_in_key()` (then `adopt_user`). None for a cookie without a sign-in key (a
    session from before they existed: its user signs in again)."""
    return (session.get("uid") or None) if session.get("sid") else None


def sign_in_key() -> str | None:
    """The digest naming this session's sign-in (workflows/signins.py), for `signins.live`."""
    key = session.get("sid")
    return signins.digest(key) if key else None


# A session ends after CASEWORK_IDLE_MINUTES without a request (30 by default; pages ask for
# more time while someone types, warn before the end and keep a task form as a draft, see
# static/session.js) and, however busy, 12 hours after signing in: a cookie copied from a
# shared computer cannot be kept alive for ever.
SESSION_MAX_S = int(signins.MAX_AGE.total_seconds())


def _seconds() -> float:
    """Wall-clock time for a session's age (not casework's clock, which demos and tests move)."""
    return time.time()


def adopt_user(user: User | None) -> User | None:
    """Make `user`, as read by the session's id, the current user; a user gone or disabled
    meanwhile, whose password changed since this session signed in, a session older than
    SESSION_MAX_S, or one without a request for CASEWORK_IDLE_S ends the session."""
    seconds = int(_seconds())
    signed_in = session.setdefault("at", seconds)  # sessions from before these limits: from now on
    idle = seconds - session.get("seen", seconds) > current_app.config["CASEWORK_IDLE_S"]
    if user is None or not user.active or session.get("pw") != _password_stamp(user) \
            or seconds - signed_in > SESSION_MAX_S or idle:
        logout_user(idle=idle and not request.path.startswith("/api/"))
        user = None
    else:
        session["seen"] = seconds
    g.user = user
    return user


def _flash_idle_end() -> None:
    minutes = current_app.config["CASEWORK_IDLE_S"] // 60
    flash(gettext("For the young people's privacy, your session closed after %(minutes)d minutes without "
                  "activity. Sign in again to go on.", minutes=minutes) if minutes else
          gettext("For the young people's privacy, your session closed after a while without activity. "
                  "Sign in again to go on."), "info")


def _password_stamp(user: User) -> str:
    """What a session keeps of the password it was opened with: a keyed hash of its stored hash
    (nothing that helps to guess it), so that a new password ends the user's other sessions."""
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, (user.password_hash or "").encode(), hashlib.sha256).hexdigest()[:24]


@statement
def _user_by_id() -> Select:
    return select(User).where(User.id == bindparam("user_id"), signins.live(User.id))


def _basic_auth() -> User | None:
    auth = request.authorization
    username, password = auth.parameters.get("username") or "", auth.parameters.get("password") or ""
    g.auth_via = "basic"
    session_ = db()
    when = now()
    if throttle.blocked_until(session_, username, request.remote_addr, when):
        return None
    user = users.authenticate(session_, username, password, remember=True)
    if user is None:
        throttle.record_failure(session_, username, request.remote_addr, when)
        session_.commit()  # the failure counts even though the request is refused
    return user


def login_user(user: User) -> None:
    """Open a session for `user` (recorded: the request must commit, as a form post does)."""
    session.clear()  # a new session id on sign-in (no fixation)
    seconds = int(_seconds())
    session["uid"] = user.id
    session["sid"] = signins.open_one(db(), user.id, dt.datetime.fromtimestamp(seconds, dt.UTC))
    session["pw"] = _password_stamp(user)
    session["at"] = session["seen"] = seconds
    session["lang"] = user.locale or "fr"
    session.permanent = True
    g.user = user


def sign_out(*, idle: bool = False, everywhere: bool = False) -> int:
    """End the session at the person's request: its sign-in closed, so that a copy of the
    cookie no longer serves (`everywhere`: every sign-in of the person, on every device), the
    session ended (`logout_user`), and the sign-in page then tells the browser's other tabs
    (static/signed_out.js). How many sign-ins were closed."""
    user_id = session_user_id()
    if everywhere and user_id is not None:
        closed = signins.close_all(db(), user_id)
    else:
        closed = signins.close(db(), session.get("sid"))
    logout_user(idle=idle)
    session["signed_out"] = True
    return closed


def logout_user(*, idle: bool = False) -> None:
    """End the session in this browser; the sign-in page stays in the language the session was
    in (and says why, if `idle`: it ended for lack of activity). Its sign-in record stays (an
    idle or too old session is refused by its cookie's times anyway; see `sign_out`)."""
    language = session.get("lang")
    session.clear()
    g.user = None
    if language:
        session["lang"] = language
    if idle:
        _flash_idle_end()


def _refuse_anonymous():
    if request.path.startswith("/api/"):
        response = jsonify(error="unauthorized", message=gettext(
            "Sign in first: with HTTP Basic (a username and its password), or with the session cookie of a "
            "signed-in page. A wrong username or password gets this answer too."))
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Basic realm="casework"'
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_user() is None:
            return _refuse_anonymous()
        return view(*args, **kwargs)

    return wrapper


def roles_required(*roles: str):
    """Only signed-in users with one of `roles` (others get 403)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            refused = refusal(current_user(), roles)
            return refused if refused is not None else view(*args, **kwargs)

        return wrapper

    return decorate


def refusal(user: User | None, roles: tuple[str, ...]):
    """What a view answers a user without one of `roles`: the sign-in page, or 403. None when
    the user has one."""
    if user is None:
        return _refuse_anonymous()
    if user.role not in roles:
        abort(403)
    return None


def audit_read(kind: str, case: Case, detail: dict[str, Any] | None = None) -> None:
    """Record that the current user read case content (the view must be marked @writes)."""
    user = current_user()
    event = dict(at=now(), actor=user.username if user else "anonymous", kind=kind, business_key=case.reference,
                 instance_id=case.instance_id,
                 detail={"via": "api" if request.path.startswith("/api/") else "web", **(detail or {})})
    audit.record(db(), **event)
    # A page that shows the case with an error (a form sent back with its errors, 422) rolls its
    # transaction back: the read is written again after it (web.transactions).
    g.setdefault("casework_reads", []).append(event)


def init_app(app: Flask) -> None:
    @app.context_processor
    def _inject():
        user = current_user() if request else None
        nav = [item for item in app.extensions["casework_nav"]
               if user is not None and (item["roles"] is None or user.role in item["roles"])]
        return {"current_user": user, "nav_items": nav, "clock_now": casework().clock.now()}
