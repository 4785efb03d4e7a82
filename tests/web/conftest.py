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


@pytest.fixture
def seeded(app):
    """The demo cases (every step of the process); {pseudonym: reference}."""
    from workflows import demo

    with app.db.transaction() as session:
        made = demo.seed_cases(session, app.runtime)
        return {case.youth_pseudonym: case.reference for case in made}


def task_id(app, reference: str, step: str, assignee: str | None = None) -> str:
    from sqlalchemy import select

    from engine.models import HumanTask

    with app.db.transaction(write=False) as session:
        query = select(HumanTask.id).where(HumanTask.business_key == reference, HumanTask.spec_name == step)
        if assignee:
            query = query.where(HumanTask.assignee == assignee)
        found = session.scalar(query.order_by(HumanTask.created_at).limit(1))
    assert found, f"no open {step} on {reference}"
    return found


def form_data(data: dict, persons=("inform",)) -> list[tuple[str, str]]:
    """The fields a browser posts for `data` as the task form draws it."""
    fields: list[tuple[str, str]] = []
    for name, value in data.items():
        if isinstance(value, bool):
            fields.append((name, "true" if value else "false"))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            fields.append((f"{name}._present", "1"))
            for i, row in enumerate(value):
                fields.append((f"{name}.{i}._row", "1"))
                for key, item in row.items():
                    if isinstance(item, bool):
                        if item:
                            fields.append((f"{name}.{i}.{key}", "on"))
                    else:
                        fields.append((f"{name}.{i}.{key}", str(item)))
        elif isinstance(value, list) and name in persons:
            fields.append((f"{name}._present", "1"))
            fields.extend((name, str(v)) for v in value)
        elif isinstance(value, list):
            fields.append((name, "\n".join(str(v) for v in value)))
        else:
            fields.append((name, str(value)))
    return fields


def post_fields(client, url, fields, **kwargs):
    from werkzeug.datastructures import MultiDict

    return client.post(url, data=MultiDict([("csrf_token", csrf(client)), *fields]), **kwargs)
