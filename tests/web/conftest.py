"""Web fixtures: the Flask app around the `app` fixture's Casework (SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import re

import pytest

from web import create_app
from workflows.demo import DEMO_PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def flask_app(app):
    return create_app({"CASEWORK": app, "TESTING": True, "SECRET_KEY": "test-secret"})


@pytest.fixture
def client(flask_app):
    return flask_app.test_client()


def csrf(client) -> str:
    """The session's CSRF token (creates one when needed)."""
    with client.session_transaction() as session:
        if "csrf" not in session:
            session["csrf"] = "test-csrf-token"
        return session["csrf"]


def post(client, url, data=None, **kwargs):
    """A form POST with the CSRF token, as a browser would send it."""
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kwargs)


def text(response) -> str:
    """The page as a person reads it (entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def login(client, username: str, password: str = DEMO_PASSWORD):
    response = post(client, "/login", {"username": username, "password": password})
    assert response.status_code == 302, response.data[:500]
    return response
