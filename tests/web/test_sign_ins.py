"""Signing out ends a session for good: a copy of its cookie no longer serves (workflows/signins.py)."""

from __future__ import annotations

import time

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from engine.models import AuditEvent, HumanTask
from workflows import signins, users
from workflows.demo import SAMPLES
from workflows.models import User

from .conftest import form_data, login, post, task_id, text


def _copy_of(client, flask_app):
    """Another browser holding a copy of `client`'s session cookie (taken from a shared computer)."""
    thief = flask_app.test_client()
    cookie = client.get_cookie(flask_app.config["SESSION_COOKIE_NAME"])
    thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return thief


def _sign_ins(app, username: str) -> int:
    with app.db.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(signins.SignIn).join(User, User.id == signins.SignIn.user_id)
                              .where(User.username == username))


def test_a_copy_of_the_cookie_no_longer_serves_once_its_owner_signed_out(app, flask_app, client, seeded):
    login(client, "sophie")
    copy = _copy_of(client, flask_app)
    assert copy.get("/inbox").status_code == 200  # the copy works while the session is open
    assert _sign_ins(app, "sophie") == 1
    assert post(client, "/logout").status_code == 302
    assert _sign_ins(app, "sophie") == 0
    assert copy.get("/inbox").location.startswith("/login")
    assert copy.get("/api/v1/tasks").status_code == 401


def _user_id(app, username: str) -> int:
    with app.db.transaction(write=False) as session:
        return users.get_user(session, username).id


def test_a_stolen_cookie_is_refused_on_the_completion_path_too(app, flask_app, client, seeded):
    """The completion reads the user in the statement that holds the task: the same check."""
    login(client, "sophie")
    report = task_id(app, seeded["Jeune H."], "report_action", "sophie")
    copy = _copy_of(client, flask_app)
    with copy.session_transaction() as cookie:
        token = cookie["csrf"] = cookie.get("csrf") or "t"
    post(client, "/logout")
    response = copy.post(f"/tasks/{report}", data=MultiDict([("csrf_token", token), ("action", "complete"),
                                                             *form_data(SAMPLES["report_action"]({}))]))
    assert response.status_code == 302 and response.location.startswith("/login")
    with app.db.transaction(write=False) as session:
        assert session.get(HumanTask, report) is not None


def test_signing_out_everywhere_ends_every_session_of_the_person_and_no_one_elses(app, flask_app, client, seeded):
    laptop, shared_computer, colleague = client, flask_app.test_client(), flask_app.test_client()
    login(laptop, "sophie")
    login(shared_computer, "sophie")
    login(colleague, "karim")
    page = text(laptop.get("/account/password"))
    assert "Se déconnecter partout" in page and "ordinateur partagé" in page
    response = post(laptop, "/account/sessions/end")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert "Toutes vos sessions sont fermées, sur tous vos appareils." in text(laptop.get(response.location))
    assert laptop.get("/inbox").location.startswith("/login")
    assert shared_computer.get("/inbox").location.startswith("/login")
    assert colleague.get("/inbox").status_code == 200
    with app.db.transaction(write=False) as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.kind == "signed_out_everywhere")).one()
    assert (event.actor, event.detail) == ("sophie", {"sessions": 2})
    login(shared_computer, "sophie")  # signing in again works as ever
    assert shared_computer.get("/inbox").status_code == 200


def test_signing_out_leaves_the_sign_in_page_in_the_language_of_the_session(flask_app, client):
    login(client, "marc")
    post(client, "/language", {"lang": "en"})
    page = text(client.get(post(client, "/logout").location))
    assert "Sign in" in page and "Se connecter" not in page
    login(client, "marc")  # his language is remembered: English again
    response = post(client, "/account/sessions/end")
    assert "You are signed out on every device." in text(client.get(response.location))


def test_signing_out_everywhere_needs_a_session_and_the_csrf_token(flask_app, client):
    assert post(flask_app.test_client(), "/account/sessions/end").location.startswith("/login")
    login(client, "sophie")
    assert client.post("/account/sessions/end").status_code == 400
    assert client.get("/inbox").status_code == 200


def test_a_cookie_from_before_sign_in_records_signs_in_again(client, seeded):
    login(client, "anne")
    with client.session_transaction() as cookie:
        del cookie["sid"]  # as the sessions opened before this version
    assert client.get("/inbox").location.startswith("/login")


def test_a_new_password_or_a_disabled_account_ends_every_sign_in(app, flask_app, client):
    login(client, "sophie")
    login(flask_app.test_client(), "sophie")
    assert _sign_ins(app, "sophie") == 2
    with app.db.transaction() as session:
        users.set_password(session, "sophie", "another-long-password", actor="admin", now=app.clock.now())
    assert _sign_ins(app, "sophie") == 0
    login(client, "sophie", "another-long-password")
    with app.db.transaction() as session:
        users.set_active(session, "sophie", False)
    assert _sign_ins(app, "sophie") == 0


def test_records_of_sessions_past_twelve_hours_go_at_the_next_sign_in(app, flask_app, client, monkeypatch):
    from web import access

    started = time.time()
    monkeypatch.setattr(access, "_seconds", lambda: started)
    login(client, "sophie")
    login(flask_app.test_client(), "karim")
    monkeypatch.setattr(access, "_seconds", lambda: started + access.SESSION_MAX_S + 60)
    login(flask_app.test_client(), "anne")
    assert (_sign_ins(app, "sophie"), _sign_ins(app, "karim"), _sign_ins(app, "anne")) == (0, 0, 1)
