"""Sign in and out, the generic message, the rate limit, CSRF, the cookie flags, the error pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.models import AuditEvent

from .conftest import csrf, login, post, text


def test_login_success_sets_a_safe_cookie_and_logout_ends_it(client):
    response = login(client, "anne")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Se déconnecter" in text(client.get("/", follow_redirects=True))
    out = post(client, "/logout")
    assert out.status_code == 302
    assert "Vous êtes déconnecté." in text(client.get(out.location))  # said, on the sign-in page
    assert client.get("/", follow_redirects=False).location.endswith("/login")


@pytest.mark.parametrize("username,password", [("anne", "wrong-password"), ("nobody", "demo-casework")])
def test_login_bad_credentials_get_one_generic_message(client, username, password):
    response = post(client, "/login", {"username": username, "password": password})
    assert response.status_code == 401
    assert "Nom d'utilisateur inconnu ou mot de passe erroné." in text(response)
    assert "Mot de passe oublié ?" in text(response)  # and who can give a new one


def test_login_with_a_field_left_empty_says_so_in_the_page_s_language_and_counts_no_failure(app, client):
    # The page's own message, not the browser's bubble (in the browser's language); nothing to
    # check, so no failed attempt is counted against the account.
    assert 'class="stack" novalidate>' in text(client.get("/login"))
    response = post(client, "/login", {"username": "anne", "password": ""})
    page = text(response)
    assert response.status_code == 422 and "Saisissez votre identifiant et votre mot de passe." in page
    assert 'value="anne"' in page and 'aria-describedby="login-error" autofocus' in page  # on the password
    post(client, "/language", {"lang": "en", "next": "/login"})
    assert "Enter your username and your password." in text(post(client, "/login", {"username": "", "password": "x"}))
    from sqlalchemy import func, select

    from workflows.throttle import LoginFailure

    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_login_rate_limit_holds_across_app_instances(app, client, flask_app):
    for _ in range(5):
        post(client, "/login", {"username": "anne", "password": "wrong-password"})
    # A second process (another app on the same database) sees the same failures.
    from web import create_app

    other = create_app({"CASEWORK": app, "TESTING": True, "SECRET_KEY": "x"}).test_client()
    response = post(other, "/login", {"username": "anne", "password": "demo-casework"})
    assert response.status_code == 429
    assert "Réessayez dans" in text(response)
    app.clock.advance(minutes=16)
    assert post(other, "/login", {"username": "anne", "password": "demo-casework"}).status_code == 302


@pytest.mark.parametrize("sent", [{"csrf_token": "jeton-é"}, {"X-CSRF-Token": "jeton-é"}])
def test_a_csrf_token_that_is_not_ascii_is_refused_like_a_wrong_one(client, sent):
    csrf(client)  # compare_digest refused non-ASCII text with a TypeError: the error page (500)
    headers = {k: v for k, v in sent.items() if k.startswith("X-")}
    form = {k: v for k, v in sent.items() if not k.startswith("X-")}
    response = client.post("/login", data={"username": "anne", "password": "x", **form}, headers=headers)
    assert response.status_code == 400 and "expiré" in text(response)


def test_post_without_csrf_token_is_refused(client):
    csrf(client)
    response = client.post("/login", data={"username": "anne", "password": "demo-casework"})
    assert response.status_code == 400
    assert "expiré" in text(response)


# Browsers drop tabs and line breaks from a URL and read a backslash as a slash: each of these
# would lead to another site ('/\t/evil.example' was followed to //evil.example before).
OFF_SITE = ["//evil.example/x", "/\\evil.example", "https://evil.example/", "/\t/evil.example", "/\n/evil.example",
            "/\r/evil.example", " //evil.example", "/\x0b/evil.example"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_open_redirect_is_refused(client, target):
    response = post(client, "/login", {"username": "anne", "password": "demo-casework", "next": target})
    assert response.location == "/"


def test_sign_in_leads_back_to_the_page_asked_for(client):
    response = post(client, "/login", {"username": "anne", "password": "demo-casework",
                                       "next": "/inbox?case=CM-AB12CD&due=overdue"})
    assert response.location == "/inbox?case=CM-AB12CD&due=overdue"


def test_language_switch_shows_english(client):
    login(client, "chantal")
    post(client, "/language", {"lang": "en", "next": "/"})
    page = text(client.get("/"))
    assert "Sign out" in page and 'lang="en"' in page


def test_language_chosen_is_kept_for_the_next_sign_in(app, client):
    from workflows.users import find_active

    login(client, "anne")
    post(client, "/language", {"lang": "en", "next": "/"})
    post(client, "/logout")
    login(client, "anne")
    assert "Sign out" in text(client.get("/", follow_redirects=True))
    with app.db.transaction(write=False) as session:
        assert find_active(session, "anne").locale == "en"  # her e-mails follow it too


def test_unknown_page_is_a_friendly_404_and_json_under_api(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "Traceback" not in text(response)
    assert "Introuvable" in text(response)
    response = client.get("/api/v1/nothing-here")
    assert response.status_code in (401, 404) and response.is_json


def test_coordinator_home_shows_counts_and_no_case(client, seeded):
    login(client, "chantal")
    page = text(client.get("/", follow_redirects=True))
    assert "Tâches ouvertes dans le réseau" in page and "Vérifier la demande" in page
    assert all(reference not in page for reference in seeded.values())


@pytest.mark.parametrize("target", OFF_SITE)
def test_language_switch_never_redirects_off_site(client, target):
    response = post(client, "/language", {"lang": "en", "next": target})
    assert response.status_code == 302 and response.location == "/"


def test_language_switch_on_a_page_a_post_answered_goes_back_where_the_form_was(client, seeded):
    # A confirmation or a 422 answers a form's POST at an address that may take POST only.
    reference = seeded["Jeune A."]
    login(client, "anne")
    asked = post(client, f"/cases/{reference}/reassign", {"to": "marc"})
    assert f'name="next" value="/cases/{reference}/reassign"' in text(asked)
    back = post(client, "/language", {"lang": "en", "next": f"/cases/{reference}/reassign"},
                headers={"Referer": f"http://localhost/cases/{reference}"})
    assert back.status_code == 302 and back.location == f"/cases/{reference}"
    unknown = post(client, "/language", {"lang": "fr", "next": f"/cases/{reference}/reassign"},
                   headers={"Referer": "http://elsewhere.example/cases"})
    assert unknown.location == "/"  # another site's page, or none: home
    assert post(client, "/language", {"lang": "fr", "next": "/inbox?due=week"}).location == "/inbox?due=week"


def test_pages_name_an_icon_that_is_served(client):
    # Without one, browsers ask for /favicon.ico on every first visit and get a 404.
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert icon.get_data(as_text=True).startswith("<svg")


def test_a_user_changes_their_password_and_their_other_sessions_end(app, flask_app, client):
    other = flask_app.test_client()  # the same person, signed in elsewhere
    login(client, "sophie")
    login(other, "sophie")
    form = text(client.get("/account/password"))
    assert 'autocomplete="current-password"' in form and 'autocomplete="new-password"' in form
    assert "/account/password" in text(client.get("/inbox"))  # reached from the name in the top bar

    def change(current, new, again=None):
        return post(client, "/account/password", {"current_password": current, "new_password": new,
                                                  "new_password_again": new if again is None else again})

    wrong = change("not-my-password", "short", "other")
    assert wrong.status_code == 422
    page = text(wrong)
    assert "Ce n'est pas votre mot de passe actuel." in page and "Au moins 10 caractères." in page
    same = text(change("demo-casework", "demo-casework"))
    assert "C'est votre mot de passe actuel : choisissez-en un autre." in same
    for guessable in ("aaaaaaaaaa", "1234567890", "Azertyuiop1", "sophie-2026!"):  # runs, repeats, the username
        assert "Trop facile à deviner" in text(change("demo-casework", guessable)), guessable
    differ = change("demo-casework", "a-new-long-password", "a-new-long-passwort")
    assert differ.status_code == 422 and "Les deux saisies du nouveau mot de passe diffèrent." in text(differ)
    assert other.get("/inbox").status_code == 200  # nothing changed yet
    done = change("demo-casework", "a-new-long-password")
    assert done.status_code == 302
    assert "Vos autres sessions sont fermées." in text(client.get(done.location, follow_redirects=True))
    assert client.get("/inbox").status_code == 200  # this session goes on
    assert other.get("/inbox").location.startswith("/login")  # the other one ended
    assert post(flask_app.test_client(), "/login", {"username": "sophie", "password": "demo-casework"}).status_code == 401
    login(flask_app.test_client(), "sophie", "a-new-long-password")
    with app.db.transaction(write=False) as session:
        changed = session.scalars(select(AuditEvent).where(AuditEvent.kind == "password_changed")).all()
    assert [(event.actor, event.detail) for event in changed] == [("sophie", {"user": "sophie"})]


def test_wrong_current_passwords_count_as_failed_sign_ins(client):
    login(client, "karim")
    for _ in range(5):
        response = post(client, "/account/password", {"current_password": "guess", "new_password": "x" * 12,
                                                       "new_password_again": "x" * 12})
        assert response.status_code == 422
    blocked = post(client, "/account/password", {"current_password": "demo-casework", "new_password": "x" * 12,
                                                 "new_password_again": "x" * 12})
    assert blocked.status_code == 429 and "Réessayez dans" in text(blocked)


def test_a_session_ends_twelve_hours_after_signing_in_however_busy(client, seeded, monkeypatch):
    import time

    from web import access

    login(client, "anne")
    started = time.time()
    for moment in range(int(started) + 1500, int(started) + access.SESSION_MAX_S - 60, 1500):
        monkeypatch.setattr(access, "_seconds", lambda moment=moment: moment)
        assert client.get("/account/password").status_code == 200  # a page every 25 minutes
    monkeypatch.setattr(access, "_seconds", lambda: started + access.SESSION_MAX_S - 60)
    assert client.get("/inbox").status_code == 200  # busy all day: still signed in
    monkeypatch.setattr(access, "_seconds", lambda: started + access.SESSION_MAX_S + 60)
    response = client.get("/inbox")
    assert response.status_code == 302 and "/login" in response.location
    monkeypatch.setattr(access, "_seconds", lambda: started + access.SESSION_MAX_S + 120)
    login(client, "anne")  # signing in again starts a new one
    assert client.get("/inbox").status_code == 200


def test_a_session_from_before_the_limit_counts_from_its_next_request(client, seeded):
    login(client, "anne")
    with client.session_transaction() as session:
        del session["at"]  # as sessions opened before the limit existed
    assert client.get("/inbox").status_code == 200
    with client.session_transaction() as session:
        assert "at" in session


def _at(monkeypatch, moment: float) -> None:
    from web import access

    monkeypatch.setattr(access, "_seconds", lambda: moment)


def test_a_session_ends_after_thirty_minutes_without_a_request_and_the_sign_in_page_says_why(
        client, seeded, monkeypatch):
    import time

    login(client, "anne")
    started = time.time()
    _at(monkeypatch, started + 29 * 60)
    assert client.get("/inbox").status_code == 200
    _at(monkeypatch, started + 58 * 60)  # 29 minutes after the last request
    assert client.get("/cases/").status_code == 200
    _at(monkeypatch, started + 89 * 60)  # 31 minutes after it
    response = client.get("/cases/")
    assert response.status_code == 302 and response.location.endswith("/login?next=/cases/")
    page = text(client.get(response.location))
    assert "votre session s'est fermée après 30 minutes sans activité" in page
    assert client.get("/inbox").status_code == 302  # ended, not only this once
    assert client.get("/api/v1/tasks").status_code == 401


def test_the_end_of_an_idle_session_is_told_in_its_language_and_the_api_gets_a_401(client, seeded, monkeypatch):
    import time

    login(client, "anne")
    post(client, "/language", {"lang": "en", "next": "/inbox"})
    _at(monkeypatch, time.time() + 31 * 60)
    page = text(client.get("/inbox", follow_redirects=True))
    assert "your session closed after 30 minutes without activity" in page and "Sign in" in page


def test_an_api_request_on_an_idle_session_is_refused_without_a_message(client, seeded, monkeypatch):
    import time

    login(client, "anne")
    _at(monkeypatch, time.time() + 31 * 60)
    assert client.get("/api/v1/tasks").status_code == 401
    assert "session" not in text(client.get("/login"))


def test_the_idle_time_is_a_setting(app, seeded, monkeypatch):
    import time

    from web import create_app

    flask_app = create_app({"CASEWORK": app, "SECRET_KEY": "test", "TESTING": True, "CASEWORK_IDLE_S": 600})
    client = flask_app.test_client()
    login(client, "anne")
    _at(monkeypatch, time.time() + 9 * 60)
    assert client.get("/inbox").status_code == 200
    _at(monkeypatch, time.time() + 20 * 60)
    assert "après 10 minutes sans activité" in text(client.get("/inbox", follow_redirects=True))


def test_keepalive_starts_the_idle_time_again(client, seeded, monkeypatch):
    import time

    login(client, "anne")
    started = time.time()
    _at(monkeypatch, started + 25 * 60)
    response = client.post("/session/keepalive", headers={"X-CSRF-Token": csrf(client)})
    assert response.status_code == 204 and "casework_session=" in response.headers["Set-Cookie"]
    _at(monkeypatch, started + 50 * 60)  # 25 minutes after it: still signed in
    assert client.get("/inbox").status_code == 200
    assert client.post("/session/keepalive").status_code == 400  # without the CSRF token
    _at(monkeypatch, started + 90 * 60)
    response = client.post("/session/keepalive", headers={"X-CSRF-Token": csrf(client)})
    assert response.status_code == 401 and response.get_json() == {"error": "signed_out"}


def test_signing_out_for_idleness_leads_back_to_the_page_and_says_why(client, seeded):
    login(client, "anne")
    response = post(client, "/logout", {"reason": "idle", "next": "/cases/?page=2"})
    assert response.status_code == 302 and response.location.endswith("/login?next=/cases/?page%3D2")
    assert "votre session s'est fermée après 30 minutes" in text(client.get(response.location))
    assert client.get("/inbox").status_code == 302
    # Another tab ended it already: signing out again (its page's token is gone) is no error.
    again = client.post("/logout", data={"csrf_token": "from-the-other-tab", "reason": "idle", "next": "/inbox"})
    assert again.status_code == 302 and again.location.endswith("/login?next=/inbox")


def test_signing_out_for_idleness_just_after_the_server_ended_the_session_says_why_once(
        client, seeded, monkeypatch):
    import time

    login(client, "anne")
    token = csrf(client)
    _at(monkeypatch, time.time() + 31 * 60)  # the page's timer ran a little late (a busy computer)
    response = client.post("/logout", data={"csrf_token": token, "reason": "idle", "next": "/inbox"})
    assert response.status_code == 302 and response.location.endswith("/login?next=/inbox")
    page = text(client.get(response.location))
    assert page.count("votre session s'est fermée après 30 minutes") == 1


def test_signing_out_for_idleness_never_leads_off_site(client, seeded):
    login(client, "anne")
    response = post(client, "/logout", {"reason": "idle", "next": "//evil.example"})
    assert response.location.endswith("/login")


@pytest.mark.parametrize("path,user", [("/login", None), ("/account/password", "anne"), ("/cases/new", "anne")])
def test_a_head_request_reads_a_form_page_and_never_sends_its_form(app, client, path, user):
    """HEAD (link checkers, monitors) used to run the POST branch: a failed sign-in on record
    for a monitor that checks /login, which then blocked its address."""
    from workflows.throttle import LoginFailure

    if user:
        login(client, user)
    response = client.head(path)
    assert response.status_code == 200
    with app.db.transaction(write=False) as session:
        assert session.scalars(select(LoginFailure)).all() == []


def test_the_sign_in_page_after_signing_out_tells_the_other_tabs_once(client, seeded):
    login(client, "anne")
    post(client, "/logout")
    assert "signed_out.js" in text(client.get("/login"))  # once the session is gone (static/session.js)
    assert "signed_out.js" not in text(client.get("/login"))
