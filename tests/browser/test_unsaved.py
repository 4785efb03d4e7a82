"""Typed values are not lost by leaving the page unawares: the browser asks first."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.models import HumanTask
from workflows import demo

from .test_journey import sign_in

pytestmark = pytest.mark.sqlite_only


def test_leaving_a_changed_form_asks_first_and_sending_it_does_not(app, live_server, page):
    with app.db.transaction() as session:
        demo.seed_cases(session, app.runtime)
    with app.db.transaction(write=False) as session:
        task = session.scalar(select(HumanTask.id).where(HumanTask.spec_name == "clarification_interview").limit(1))
    sign_in(page, live_server, "anne")
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.goto(f"{live_server}/tasks/{task}")
    page.get_by_role("button", name="EN", exact=True).click()  # nothing typed: no question
    page.wait_for_selector("html[lang=en]")
    assert asked == []
    field = page.locator("#task-form textarea").first
    field.fill("Entretien du 3 : à reprendre")
    page.get_by_role("button", name="FR", exact=True).click()
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"] and field.input_value() == "Entretien du 3 : à reprendre"
    page.get_by_role("button", name="Save a draft").click()  # sending the form itself: no question
    page.wait_for_load_state()
    assert asked == ["beforeunload"]
    assert not page.script_problems, page.script_problems


def test_a_request_sent_then_sent_again_after_back_opens_one_case(app, live_server, page):
    # Chromium fills the form in again on Back (the page is not cached: no-store): sending it
    # again leads to the case the first one opened.
    from sqlalchemy import func

    from workflows.models import Case

    sign_in(page, live_server, "tom")
    page.goto(f"{live_server}/cases/new")
    page.check("input[name=requester_kind][value=professional]")
    page.fill("input[name=youth_pseudonym]", "Jeune Retour")
    page.select_option("select[name=age_band]", "12-15")
    page.click("button.primary")
    page.wait_for_url("**/cases/CM-*")
    first = page.url
    page.go_back()
    assert page.input_value("input[name=youth_pseudonym]") == "Jeune Retour"
    page.click("button.primary")
    page.wait_for_url("**/cases/CM-*")
    assert page.url == first and "déjà enregistrée" in page.inner_text(".flash")
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Case).where(Case.youth_pseudonym == "Jeune Retour")) == 1
