"""A new account by invitation: `casework users add --invite` e-mails a link (a real SMTP server),
the person chooses their first password on the web and is signed in; the link's limits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine.models import AuditEvent
from tests import smtp_sink
from web import create_app
from workflows import password_reset, users
from workflows.cli import cli

from .conftest import login, post, text

smtp = smtp_sink.smtp  # the SMTP server fixture
SECRET = "the-web-service-key-shared-with-the-cli"
FIRST = "mon-premier-mot-de-passe"
_LINK = re.compile(r"https://casework\.example(/welcome/\S+)")


@pytest.fixture
def casework_cli(app, smtp):
    """`casework ...` at the server's prompt, with its SMTP settings and the web service's key."""
    runner = CliRunner()
    env = {"CASEWORK_DATABASE_URL": app.settings.database_url, "CASEWORK_USER": "", "CASEWORK_SECRET_KEY": SECRET,
           "CASEWORK_SMTP_HOST": "127.0.0.1", "CASEWORK_SMTP_PORT": str(smtp.port),
           "CASEWORK_BASE_URL": "https://casework.example", "CASEWORK_MAIL_SENDER": "casework@reseau.example"}

    def invoke(*args, **more_env):
        result = runner.invoke(cli, list(args), env={**env, **more_env}, catch_exceptions=False)
        assert "Traceback" not in result.output
        return result

    return invoke


@pytest.fixture
def web(app, smtp, clock):
    """A browser's client of the web service, its clock a few minutes after the CLI's (real) one:
    the person opens the link after the command has sent it."""
    clock.set(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
    with_mail = dataclasses.replace(app, settings=smtp.settings_for(app.settings))
    return create_app({"CASEWORK": with_mail, "TESTING": True, "SECRET_KEY": SECRET}).test_client()


def _add_nadia(casework_cli, *more, **env):
    return casework_cli("users", "add", "nadia", "--name", "Nadia Benali", "--role", "professional",
                        "--email", "nadia@example.org", "--organisation", "SSM (fictif)", "--invite", *more, **env)


def test_an_invited_partner_chooses_her_password_and_is_signed_in(app, casework_cli, smtp, web):
    added = _add_nadia(casework_cli)
    assert added.exit_code == 0, added.output
    assert "invitation sent to nadia@example.org" in added.output
    assert "nadia" in casework_cli("users", "list").output and "invited" in casework_cli("users", "list").output
    mail = smtp.to("nadia@example.org")[-1]
    assert mail.subject == "casework : votre compte vous attend"
    assert "Bonjour Nadia Benali," in mail.body and "« nadia »" in mail.body and "dans les 7 jours" in mail.body
    link = _LINK.search(mail.body).group(1)
    with app.db.transaction(write=False) as session:  # no password until she chooses one
        assert users.authenticate(session, "nadia", "") is None

    opened = web.get(link)
    assert opened.status_code == 302 and opened.location.endswith("/password/reset")  # out of the address bar
    page = text(web.get("/password/reset"))
    assert "Bienvenue dans casework" in page and "Bonjour Nadia Benali" in page and "nadia" in page
    short = post(web, "/password/reset", {"new_password": "court", "new_password_again": "court"})
    assert short.status_code == 422 and "Au moins 10 caractères." in text(short)
    chosen = post(web, "/password/reset", {"new_password": FIRST, "new_password_again": FIRST})
    assert chosen.status_code == 302
    assert "Votre mot de passe est enregistré. Bienvenue dans casework." in text(web.get("/", follow_redirects=True))

    post(web, "/logout")
    assert login(web, "nadia", FIRST).status_code == 302
    assert "active" in casework_cli("users", "list").output.split("nadia", 1)[1].splitlines()[0]
    again = web.get(link)  # used: the password it was signed over has changed
    assert again.status_code == 410 and "Une invitation sert une fois, pendant 7 jours" in text(again)
    with app.db.transaction(write=False) as session:
        kinds = [(e.kind, e.actor, e.detail) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.kind.in_([password_reset.INVITED, password_reset.DONE])))]
    assert kinds == [(password_reset.INVITED, "cli", {"user": "nadia"}),
                     (password_reset.DONE, "nadia", {"user": "nadia", "via": "invitation"})]


def test_an_invitation_in_english_opens_the_page_in_english(casework_cli, smtp, web):
    assert _add_nadia(casework_cli, "--lang", "en").exit_code == 0
    mail = smtp.to("nadia@example.org")[-1]
    assert mail.subject == "casework: your account is ready" and "within 7 days" in mail.body
    web.get(_LINK.search(mail.body).group(1))
    assert "Welcome to casework" in text(web.get("/password/reset"))


def test_an_invitation_expires_after_seven_days_and_a_new_one_can_be_sent(casework_cli, smtp, web, clock):
    assert _add_nadia(casework_cli).exit_code == 0
    link = _LINK.search(smtp.to("nadia@example.org")[-1].body).group(1)
    clock.advance(days=7, hours=1)
    expired = web.get(link)
    assert expired.status_code == 410 and "demandez une nouvelle invitation" in text(expired)
    # Sent again a minute later, as the person tells the administrator the link is dead.
    clock.set(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
    resent = casework_cli("users", "invite", "nadia", CASEWORK_CLOCK_OFFSET="1m")
    assert resent.exit_code == 0 and "invitation sent to nadia@example.org" in resent.output
    fresh = _LINK.search(smtp.to("nadia@example.org")[-1].body).group(1)
    assert fresh != link and web.get(fresh).status_code == 302


def test_an_invitation_is_not_a_password_reset_link_nor_the_reverse(app, casework_cli, smtp, web):
    assert _add_nadia(casework_cli).exit_code == 0
    token = _LINK.search(smtp.to("nadia@example.org")[-1].body).group(1).rsplit("/", 1)[1]
    assert web.get(f"/password/reset/{token}").status_code == 410
    with app.db.transaction(write=False) as session:
        nadia = users.get_user(session, "nadia")
        reset_token = password_reset.make_token(SECRET, nadia, dt.datetime.now(dt.UTC))
    assert web.get(f"/welcome/{reset_token}").status_code == 410


def test_invitations_refused_with_a_clear_reason_and_nothing_created(app, casework_cli, smtp):
    no_smtp = _add_nadia(casework_cli, CASEWORK_SMTP_HOST="")
    assert no_smtp.exit_code != 0 and "CASEWORK_SMTP_HOST" in no_smtp.output
    no_key = _add_nadia(casework_cli, CASEWORK_SECRET_KEY="")
    assert no_key.exit_code != 0 and "CASEWORK_SECRET_KEY" in no_key.output
    both = casework_cli("users", "add", "nadia", "--name", "N", "--role", "professional", "--email",
                        "nadia@example.org", "--invite", "--password", "long-enough-pw")
    assert both.exit_code != 0 and "--invite" in both.output
    no_address = casework_cli("users", "add", "nadia", "--name", "N", "--role", "professional", "--invite")
    assert no_address.exit_code == 1 and "no e-mail address" in no_address.output
    smtp.handler.answer = "550 no such mailbox"
    refused = _add_nadia(casework_cli)
    assert refused.exit_code == 1 and "could not be sent" in refused.output and "nothing was changed" in refused.output
    with app.db.transaction(write=False) as session:
        assert "nadia" not in [u.username for u in users.list_users(session)]
        assert not session.scalars(select(AuditEvent).where(AuditEvent.kind == password_reset.INVITED)).all()
    smtp.handler.answer = "250 OK"
    assert _add_nadia(casework_cli).exit_code == 0


def test_only_an_account_without_a_password_is_invited(casework_cli):
    has_one = casework_cli("users", "invite", "sophie")
    assert has_one.exit_code == 1 and "has a password already" in has_one.output
    assert casework_cli("users", "invite", "nobody").exit_code == 1
