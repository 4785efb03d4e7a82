"""French first, English second: Flask-Babel, the language switch, Belgian dates in Brussels time."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, current_app, g, redirect, request, session, url_for
from flask_babel import Babel, get_locale, get_translations
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from engine.clock import BRUSSELS
from engine.problem_texts import localized

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LOCALES = ("fr", "en")

bp = Blueprint("i18n", __name__)


def locale() -> str:
    current = get_locale()
    return current.language if current is not None else "fr"


def _text(message: str, **variables: Any) -> Markup:
    """`_("English", name=value)` in templates: the message in the page's language, its
    variables escaped (as Jinja's new-style gettext does). The request's catalogue is looked up
    once per request: Flask-Babel's callables look up the domain, the locale and its name on
    every text, and Jinja's gettext wraps each call twice more; with 30 texts on a page, that
    was a quarter of the inbox's rendering."""
    try:
        catalogue = g.casework_catalogue
    except AttributeError:
        catalogue = g.casework_catalogue = get_translations()
    translated = Markup(catalogue.ugettext(message))
    return translated % variables if variables else translated


def colon() -> str:
    """The colon as the page's language writes it: "Label : text" in French, "Label: text" in English."""
    return " :" if locale() == "fr" else ":"


def semicolon() -> str:
    return " ;" if locale() == "fr" else ";"


def _select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen
    # An API client without a session (HTTP Basic) says its language in Accept-Language; pages
    # speak French until someone picks English with the switch.
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LOCALES) or "fr"
    return "fr"


def compiled_catalogs() -> str:
    """Compile the .po catalogues into a per-process directory (no build step, no binary in git)."""
    target = Path(tempfile.gettempdir()) / f"casework-translations-{_stamp()}"
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = target / po_path.relative_to(TRANSLATIONS).with_suffix(".mo")
        if mo_path.exists():
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        tmp = mo_path.with_suffix(f".{os.getpid()}.tmp")  # several workers may compile at once
        with tmp.open("wb") as handle:
            write_mo(handle, catalog)
        tmp.replace(mo_path)
    return str(target)


def _stamp() -> str:
    import hashlib

    digest = hashlib.sha256()
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        digest.update(po_path.read_bytes())
    return digest.hexdigest()[:16]


def to_local(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(BRUSSELS)


def format_date(value) -> str:
    """dd/mm/yyyy; datetimes are shown on their Brussels day."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def format_datetime(value) -> str:
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M")


@bp.post("/language")
def switch():
    from .access import current_user, local_path

    chosen = request.form.get("lang")
    if chosen in LOCALES:
        session["lang"] = chosen
        user = current_user()
        if user is not None and user.locale != chosen:
            user.locale = chosen  # kept: the next sign-in and this person's e-mails follow it
    target = local_path(request.form.get("next"))
    if target is not None and not _can_get(target):  # a form's POST answered that page (a 422, a confirmation)
        target = _referring_page()
    return redirect(target or url_for("auth.home"))


def _can_get(path: str) -> bool:
    """Whether this site's `path` answers a GET: some pages answer a form's POST at an address
    that takes POST only, and the language switch goes back to the page it was pressed on."""
    try:
        current_app.url_map.bind("localhost").match(urlsplit(path).path, method="GET")
    except RequestRedirect:  # a slash to add: it answers, elsewhere
        return True
    except HTTPException:  # 405 (POST only) or 404
        return False
    return True


def _referring_page() -> str | None:
    """The page of this site the browser came from (where the form was), if it answers a GET."""
    from .access import local_path

    came_from = urlsplit(request.referrer or "")
    if came_from.netloc != request.host:
        return None
    path = local_path(came_from.path + (f"?{came_from.query}" if came_from.query else ""))
    return path if path is not None and _can_get(path) else None


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "fr")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", BRUSSELS.key)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = compiled_catalogs()
    Babel(app, locale_selector=_select_locale)
    # `_()` in templates: see `_text`. (Flask-Babel's `gettext` and `ngettext` stay as they are.)
    app.jinja_env.globals["_"] = _text
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    # Problems, migration reasons, dry-run notes: catalogue messages said in the page's language.
    app.jinja_env.filters["localized"] = lambda value: localized(value, locale())
    app.jinja_env.globals["current_locale"] = locale
    app.jinja_env.globals["colon"] = colon
    app.jinja_env.globals["semicolon"] = semicolon
    app.register_blueprint(bp)
