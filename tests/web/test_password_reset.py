"""A forgotten password: the link by e-mail (a real SMTP server), its limits, and the new password."""

from __future__ import annotations

import dataclasses
import logging
import re
import threading

import pytest
from sqlalchemy import select

from engine.models import AuditEvent
from tests import smtp_sink
from web import auth, create_app
from workflows import password_reset
from workflows.users import set_active

from .conftest import login, post, text

smtp = smtp_sink.smtp  # the SMTP server fixture
NEW = "un-nouveau-mot-de-passe"
_LINK = re.compile(r"https://casework\.example(/password/reset/\S+)")


@pytest.fixture
def mail_client(app, smtp):
    """A client of the app with an SMTP server to send through."""
    with_mail = dataclasses.replace(app, settings=smtp.settings_for(app.settings))
    return create_app({"CASEWORK": with_mail, "TESTING": True, "SECRET_KEY": "test-secret"}).test_client()


def _ask(client, account: str):
    response = post(client, "/password/forgot", {"account": account})
    for thread in threading.enumerate():  # the e-mail leaves from a thread of its own
        if thread.name == auth.SENDER_THREAD:
            thread.join(timeout=10)
    return response


def _link(smtp, address: str) -> str:
    mails = smtp.to(address)
    assert mails, f"no e-mail to {address}"
    return _LINK.search(mails[-1].body).group(1)


def _events(app, kind: str) -> list[dict]:
    with app.db.transaction(write=False) as session:
        return [detail for detail in session.scalars(select(AuditEvent.detail).where(AuditEvent.kind == kind))]


def test_without_an_smtp_server_the_sign_in_page_says_whom_to_ask(client):
    page = text(client.get("/login"))
    assert "La personne qui gère les comptes casework" in page and "/password/forgot" not in page
    assert client.get("/password/forgot").status_code == 404


def test_a_partner_who_forgot_gets_a_link_and_chooses_a_new_password(app, mail_client, smtp):
    page = text(mail_client.get("/login"))
    assert 'href="/password/forgot"' in page and "Mot de passe oublié ?" in page
    asked = _ask(mail_client, "  Sophie@Example.ORG ")  # the address, as typed
    assert asked.status_code == 302 and asked.location.endswith("/login")
    assert "un e-mail avec un lien pour choisir un nouveau mot de passe est en route" in text(
        mail_client.get("/login"))
    [mail] = smtp.to("sophie@example.org")
    assert mail.subject == "casework : choisir un nouveau mot de passe"
    assert "« sophie »" in mail.body and "dans les 60 minutes" in mail.body
    link = _link(smtp, "sophie@example.org")

    opened = mail_client.get(link)
    assert opened.status_code == 302 and opened.location == "/password/reset"  # the token leaves the address bar
    form = mail_client.get("/password/reset")
    assert form.status_code == 200 and "Compte : <strong>sophie</strong>" in text(form)

    short = post(mail_client, "/password/reset", {"new_password": "court", "new_password_again": "court"})
    assert short.status_code == 422 and "Au moins 10 caractères." in text(short)
    differ = post(mail_client, "/password/reset", {"new_password": NEW, "new_password_again": NEW + "x"})
    assert differ.status_code == 422 and "Les deux saisies du nouveau mot de passe diffèrent." in text(differ)
    done = post(mail_client, "/password/reset", {"new_password": NEW, "new_password_again": NEW})
    assert done.status_code == 302
    with mail_client.session_transaction() as cookie:  # the new session keeps nothing of the link
        assert "reset_token" not in cookie and "reset_purpose" not in cookie
    assert "Votre nouveau mot de passe est enregistré." in text(mail_client.get("/inbox"))  # signed in

    post(mail_client, "/logout")
    assert post(mail_client, "/login", {"username": "sophie", "password": "demo-casework"}).status_code == 401
    login(mail_client, "sophie", NEW)
    assert mail_client.get(link).status_code == 410  # it served once
    assert _events(app, password_reset.ASKED) == [{"user": "sophie"}]
    assert _events(app, password_reset.DONE) == [{"user": "sophie", "via": "e-mail"}]


def test_an_unknown_account_gets_the_same_answer_and_no_email(app, mail_client, smtp):
    known, unknown = _ask(mail_client, "sophie"), _ask(mail_client, "personne")
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    assert len(smtp.received) == 1 and _events(app, password_reset.ASKED) == [{"user": "sophie"}]


def test_one_email_per_account_every_few_minutes(app, mail_client, smtp, clock):
    _ask(mail_client, "sophie")
    _ask(mail_client, "sophie@example.org")
    assert len(smtp.to("sophie@example.org")) == 1
    clock.advance(minutes=6)
    _ask(mail_client, "sophie")
    assert len(smtp.to("sophie@example.org")) == 2


@pytest.mark.parametrize("spoil", ["expired", "disabled", "password changed", "tampered", "malformed",
                                   "huge id", "not ascii"])
def test_a_link_that_no_longer_holds_says_so(app, mail_client, smtp, clock, spoil):
    _ask(mail_client, "sophie")
    link = _link(smtp, "sophie@example.org")
    if spoil == "expired":
        clock.advance(minutes=61)
    elif spoil in ("disabled", "password changed"):
        from workflows.users import set_password

        with app.db.transaction() as session:
            if spoil == "disabled":
                set_active(session, "sophie", False)
            else:
                set_password(session, "sophie", "un-autre-mot-de-passe", actor="cli", now=clock.now())
    elif spoil == "tampered":
        link = link[:-2] + ("AA" if not link.endswith("AA") else "BB")
    elif spoil == "huge id":  # beyond PostgreSQL's integer: refused before any query
        link = "/password/reset/" + "f" * 20 + "." + link.split(".", 1)[1]
    elif spoil == "not ascii":  # compared as bytes (compare_digest refuses such text)
        link = link[:-1] + "é"
    else:
        link = "/password/reset/not-a-token"
    page = mail_client.get(link)
    assert page.status_code == 410 and "Ce lien ne fonctionne plus" in text(page)
    assert 'href="/password/forgot"' in text(page)


def test_a_link_that_expires_while_the_form_is_open_loses_nothing_else(app, mail_client, smtp, clock):
    _ask(mail_client, "sophie")
    mail_client.get(_link(smtp, "sophie@example.org"))
    clock.advance(minutes=61)
    late = post(mail_client, "/password/reset", {"new_password": NEW, "new_password_again": NEW})
    assert late.status_code == 410
    login(mail_client, "sophie")  # the old password still works
    assert _events(app, password_reset.DONE) == []


def test_the_reset_ends_other_sessions_and_lifts_a_sign_in_block(app, mail_client, smtp, flask_app):
    elsewhere = flask_app.test_client()
    login(elsewhere, "sophie")
    for _ in range(5):
        post(mail_client, "/login", {"username": "sophie", "password": "wrong-password"})
    assert post(mail_client, "/login", {"username": "sophie", "password": "demo-casework"}).status_code == 429
    _ask(mail_client, "sophie")
    mail_client.get(_link(smtp, "sophie@example.org"))
    post(mail_client, "/password/reset", {"new_password": NEW, "new_password_again": NEW})
    assert elsewhere.get("/inbox").status_code == 302  # signed out
    post(mail_client, "/logout")
    login(mail_client, "sophie", NEW)


def test_an_english_speaking_user_gets_the_email_in_english(app, mail_client, smtp):
    from workflows.users import get_user

    with app.db.transaction() as session:
        get_user(session, "sophie").locale = "en"
    _ask(mail_client, "sophie")
    [mail] = smtp.to("sophie@example.org")
    assert mail.subject == "casework: choose a new password" and "within 60 minutes" in mail.body


def test_requests_from_one_address_are_limited(app, mail_client, smtp):
    for _ in range(30):
        _ask(mail_client, "personne")
    blocked = _ask(mail_client, "sophie")
    assert blocked.status_code == 429 and "Trop de demandes" in text(blocked)
    assert smtp.received == []


@pytest.mark.sqlite_only
def test_an_smtp_server_that_is_down_changes_nothing_the_asker_sees(app, mail_client, smtp, caplog):
    smtp.stop()
    with caplog.at_level(logging.WARNING, logger="web.auth"):
        asked = _ask(mail_client, "sophie")
    assert asked.status_code == 302 and asked.location.endswith("/login")
    assert "password reset e-mail was not sent (Unreachable)" in caplog.text
    assert "sophie" not in caplog.text


def test_a_head_request_on_the_forgotten_password_page_asks_for_nothing(app, mail_client, smtp):
    from workflows.throttle import LoginFailure

    assert mail_client.head("/password/forgot").status_code == 200
    assert mail_client.head("/password/reset").status_code == 410  # no link opened: nothing to reset
    with app.db.transaction(write=False) as session:
        assert session.scalars(select(LoginFailure)).all() == []
    assert _events(app, password_reset.ASKED) == []
