"""A case manager leaves a task form half filled: the page keeps her session open while she types,
warns before closing it, lets her stay, and at the end keeps the form as a draft and leads her
back to it once signed in again. In Debian's Chromium against a real WSGI server, with the idle
time cut to a few seconds (CASEWORK_IDLE_MINUTES is 30 by default)."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from workflows import demo
from workflows.cases import start_case
from workflows.models import User

pytestmark = [pytest.mark.sqlite_only]
IDLE_S = 10  # warned 2.5 s before the end (a quarter of it, at most 2 minutes)


@pytest.fixture
def request_task(app):
    with app.db.transaction() as session:
        anne = session.scalar(select(User).where(User.username == "anne"))
        case = start_case(session, app.runtime, actor=anne, requester_kind="family", youth_pseudonym="Jeune I.",
                          age_band="12-15", region="Brabant wallon")
        session.flush()
        return demo.open_task(session, case, "verify_request").id


def test_browser_idle_session_warns_lets_her_stay_and_keeps_her_form_as_a_draft(app, serve, page, request_task):
    base = serve(app, CASEWORK_IDLE_S=IDLE_S)
    page.goto(f"{base}/login?next=/tasks/{request_task}")
    page.get_by_label("Nom d'utilisateur").fill("anne")
    page.get_by_label("Mot de passe").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/tasks/[0-9a-f-]{36}$"))
    dialog = page.get_by_role("dialog", name="Toujours là ?")
    reasoning = page.get_by_label("Motivation de l'appréciation de maturité")

    # Typing for longer than the idle time: the page asks for more time, no warning.
    started = time.monotonic()
    for word in "Le jeune explique sa situation avec clarté et mesure".split():
        reasoning.press_sequentially(word + " ")
        page.wait_for_timeout(1_500)
    assert time.monotonic() - started > IDLE_S + 2
    assert not dialog.is_visible()

    # Then nothing: the warning, with what happens to the form; she stays.
    dialog.wait_for(state="visible", timeout=IDLE_S * 1000)
    assert "Le formulaire de la tâche sera gardé comme brouillon." in dialog.inner_text()
    page.shots("warned")
    dialog.get_by_role("button", name="Garder la session ouverte").click()
    dialog.wait_for(state="hidden")
    assert page.url.endswith(f"/tasks/{request_task}")

    # Nothing again, to the end: her form is kept as a draft and signing in leads back to it.
    page.wait_for_url(re.compile(r".*/login\?next="), timeout=(IDLE_S + 5) * 1000)
    assert "votre session s'est fermée après un moment sans activité" in page.inner_text("main")
    page.shots("signed-out")
    page.get_by_label("Nom d'utilisateur").fill("anne")
    page.get_by_label("Mot de passe").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(rf".*/tasks/{request_task}$"))
    assert reasoning.input_value() == "Le jeune explique sa situation avec clarté et mesure"
    page.shots("draft-back")


def test_browser_signing_out_in_one_tab_takes_the_others_to_the_sign_in_page(app, serve, page, request_task):
    """A shared computer: she signs out in one tab; the case in another tab must not stay on screen."""
    base = serve(app)
    page.goto(f"{base}/login")
    page.get_by_label("Nom d'utilisateur").fill("anne")
    page.get_by_label("Mot de passe").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/inbox$"))
    other = page.context.new_page()
    other.goto(f"{base}/tasks/{request_task}")
    assert "Vérifier la demande" in other.inner_text("main")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r".*/login$"))
    other.wait_for_url(re.compile(r".*/login\?next=/tasks/"), timeout=5_000)
    assert "Vérifier la demande" not in other.inner_text("main")


def _sign_in(page, name="anne"):
    page.get_by_label("Nom d'utilisateur").fill(name)
    page.get_by_label("Mot de passe").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_browser_a_form_asleep_past_the_end_comes_back_as_a_draft_for_her_only(app, serve, page, browser, request_task):
    """The laptop slept through the end of the session: no draft could be saved then. The page,
    awake, keeps the form in the tab; signed in again, she finds it on her task as a draft."""
    base = serve(app, CASEWORK_IDLE_S=IDLE_S)
    page.goto(f"{base}/login?next=/tasks/{request_task}")
    _sign_in(page)
    page.wait_for_url(re.compile(r".*/tasks/[0-9a-f-]{36}$"))
    page.get_by_label("Motivation de l'appréciation de maturité").fill("Écrit avant la mise en veille")
    # Asleep: meanwhile her session ends on the server (here from another device, at once) ...
    elsewhere = browser.new_context()
    other = elsewhere.new_page()
    other.goto(f"{base}/login?next=/account/password")
    _sign_in(other)
    other.get_by_role("button", name="Se déconnecter partout").click()
    elsewhere.close()
    # ... and, awake, the page finds the end long past.
    page.evaluate(f"() => {{ const real = Date.now; Date.now = () => real.call(Date) + {(IDLE_S + 8) * 1000}; }}")
    page.wait_for_url(re.compile(r".*/login\?next="), timeout=10_000)
    _sign_in(page)
    page.wait_for_url(re.compile(rf".*/tasks/{request_task}$"))
    page.get_by_text("Ce que vous aviez tapé avant la fin de votre session est revenu").wait_for(timeout=10_000)
    assert page.get_by_label("Motivation de l'appréciation de maturité").input_value() == "Écrit avant la mise en veille"
    assert page.evaluate("sessionStorage.getItem('casework.kept')") is None  # used once, then gone
    page.shots("kept-after-sleep")
