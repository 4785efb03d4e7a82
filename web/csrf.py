"""CSRF protection for every state-changing request that relies on the session cookie."""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def token() -> str:
    value = session.get("csrf")
    if not value:
        value = session["csrf"] = secrets.token_urlsafe(32)
    return value


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = token

    @app.before_request
    def _check():
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        if request.endpoint == "api.unknown":
            return None  # no such endpoint, or not with this method: it answers 404 or 405 and changes nothing
        auth = request.authorization
        if request.path.startswith("/api/"):
            if auth is not None and auth.type == "basic":
                # API clients with HTTP Basic; a cross-site form cannot send a JSON body without
                # CORS. Any other body could be such a form (a browser resends Basic credentials
                # by itself): refused, saying what to send.
                if not request.is_json:
                    abort(415, description="json_required")
                return None
            if not session.get("uid"):
                return None  # no credentials at all: nothing to forge; the API answers 401
        if request.endpoint == "auth.logout" and not session.get("uid"):
            return None  # signing out nobody changes nothing (a tab whose session another ended)
        sent = request.headers.get(HEADER) or request.form.get(FIELD) or ""
        expected = session.get("csrf") or ""
        # Compared as bytes: compare_digest refuses text that is not ASCII (a TypeError, a 500).
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            abort(400, description="csrf")
        return None
