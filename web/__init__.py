"""The Flask app: `create_app()` builds it around one Casework (database, clock, runtime).

How to add a page
-----------------
1. Write a blueprint in its own module, e.g. `web/reports.py`::

       from flask import Blueprint, render_template
       from .access import current_user, roles_required
       from .transactions import db

       bp = Blueprint("reports", __name__, url_prefix="/reports")

       @bp.get("/")
       @roles_required("coordinator")          # or @login_required for any signed-in user
       def index():
           rows = some_query(db(), current_user())  # db(): the request's SQLAlchemy session
           return render_template("reports/index.html", rows=rows)

   and register it in `_register_blueprints` below (one line), or from your own code with
   `app.register_blueprint(bp)` after `create_app()`.
2. Templates live in `web/templates/<blueprint>/` and start with `{% extends "base.html" %}`,
   filling `{% block title %}` and `{% block content %}`. Every text goes through `_("English")`
   and gets its French in `web/translations/fr/LC_MESSAGES/messages.po` (French is the default
   locale; the .po is compiled when the app starts). Dates: `{{ value|date }}`, `{{ value|datetime }}`
   (dd/mm/yyyy, Europe/Brussels).
3. Every POST form carries the CSRF token: `<input type="hidden" name="csrf_token"
   value="{{ csrf_token() }}">` (JavaScript sends it as the `X-CSRF-Token` header). A POST without
   it gets a 400 page.
4. One database transaction per request: `db()` gives the session; it is committed after a
   response below 400 and rolled back otherwise. GET requests use the read path; a GET that
   writes (an audited read) is decorated `@writes` (from `web.transactions`).
5. Audit a read of case content: decorate the view `@writes` and call
   `audit_read("case_viewed", case, detail={...})` (from `web.access`); task pages use
   `"task_viewed"`. Details hold ids, never personal content.
6. Raise the errors of `workflows.errors` (NotFoundError, PermissionDeniedError, FormError,
   ConflictError, TaskStateError, ValidationError): `web/errors.py` turns them into a friendly
   page (or JSON under `/api/`), never a stack trace.
7. A link in the top bar: `add_nav_item(app, "reports.index", "Reports", roles=("coordinator",))`;
   the role's home page: `set_home(app, "coordinator", "reports.index")`.
8. Tests: `tests/web/conftest.py` gives `client` (on the `app` fixture's Casework, SQLite and
   PostgreSQL) and `login(client, "anne")`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from engine.db import MAX_ROW_ID
from workflows.bootstrap import Casework, build
from workflows.settings import Settings

# The Babel default domain and locale. English message ids, French catalogue, French by default.
LOCALES = ("fr", "en")
DEFAULT_HOMES = {"case_manager": "inbox.index", "professional": "inbox.index"}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `test_config` may hold `CASEWORK` (a ready Casework, e.g. the tests' with
    its ManualClock) or `SETTINGS` (a Settings), plus any Flask config key."""
    test_config = dict(test_config or {})
    casework: Casework | None = test_config.pop("CASEWORK", None)
    settings: Settings | None = test_config.pop("SETTINGS", None)
    if casework is None:
        casework = build(settings)
    app = Flask(__name__)
    app.url_map.converters["int"] = RowNumber  # before any route is added
    app.json = BoundedJSON(app)
    app.config.update(
        SECRET_KEY=casework.settings.effective_secret(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=casework.settings.production,
        SESSION_COOKIE_NAME="casework_session",
        # A session ends after CASEWORK_IDLE_S without a request (web.access); the cookie and its
        # signature outlive that a little, so that such a session is recognised and the sign-in
        # page says why, instead of the cookie just vanishing.
        CASEWORK_IDLE_S=casework.settings.idle_minutes * 60,
        PERMANENT_SESSION_LIFETIME=casework.settings.idle_minutes * 60 + 600,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.config.update(test_config)
    app.extensions["casework"] = casework
    app.extensions["casework_nav"] = []
    app.extensions["casework_homes"] = dict(DEFAULT_HOMES)

    from . import access, csrf, errors, headers, i18n, transactions

    i18n.init_app(app)
    transactions.init_app(app)
    access.init_app(app)
    csrf.init_app(app)
    errors.init_app(app)
    headers.init_app(app, production=casework.settings.production)
    _register_blueprints(app)
    return app


class BoundedJSON(DefaultJSONProvider):
    """JSON bodies nested at most MAX_DEPTH levels (a form's data is three or four deep), their
    texts Unicode. Deeper, too deep for the parser itself, or a text with a lone surrogate
    ("\\ud800", which no database can store) is a ValueError, which Flask answers as a bad
    request, instead of an error in whatever walks or stores the data next."""

    MAX_DEPTH = 64

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        level = [value]
        for _ in range(self.MAX_DEPTH + 1):
            below = []
            for node in level:
                if isinstance(node, dict):
                    below += node.values()
                    _unicode(*node)
                elif isinstance(node, list):
                    below += node
                elif isinstance(node, str):
                    _unicode(node)
            if not below:
                return value
            level = below
        raise ValueError(f"JSON nested deeper than {self.MAX_DEPTH} levels")


def _unicode(*texts: str) -> None:
    for text in texts:
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("JSON text with a lone surrogate") from None


class RowNumber(IntegerConverter):
    """`<int:...>` in every route: a number a row's id or number can be, 1 to MAX_ROW_ID. Any other
    is a page not found, not an error of the database (PostgreSQL's integer, SQLite's 64 bits)."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ROW_ID, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _register_blueprints(app: Flask) -> None:
    from . import auth

    app.register_blueprint(auth.bp)
    for module_name in ("inbox", "tasks", "cases", "api", "processes", "notifications", "overdue"):
        module = _optional(module_name)
        if module is not None:
            app.register_blueprint(module.bp)
            if hasattr(module, "init_app"):
                module.init_app(app)


def _optional(name: str):
    import importlib

    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as err:
        if err.name == f"{__name__}.{name}":
            return None
        raise


def add_nav_item(app: Flask, endpoint: str, label: str, roles: Iterable[str] | None = None) -> None:
    """A link in the top bar for the given roles (all signed-in users when None).

    `label` is an English message id, translated when the page is drawn."""
    app.extensions["casework_nav"].append({"endpoint": endpoint, "label": label,
                                           "roles": tuple(roles) if roles else None})


def set_home(app: Flask, role: str, endpoint: str) -> None:
    """Where `/` leads a user of `role` after sign-in."""
    app.extensions["casework_homes"][role] = endpoint


def casework_of(app: Flask) -> Casework:
    return app.extensions["casework"]
