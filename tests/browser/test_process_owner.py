"""A process owner shortens a reminder in the bpmn-js modeler and deploys; new cases use it, running ones do not.

Real Chromium (Debian's) driven by Playwright for Python against the app served on a local port.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from engine.models import ProcessInstance
from workflows import cases, demo
from workflows.users import find_active

CHROMIUM = "/usr/bin/chromium"
BPMN_JS = Path(__file__).resolve().parents[2] / "node_modules" / "bpmn-js" / "dist"

pytestmark = [
    pytest.mark.sqlite_only,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium missing (make system-deps)"),
    pytest.mark.skipif(not BPMN_JS.is_dir(), reason="bpmn-js missing (npm ci, run by make)"),
]


def _case_at_concertation(app) -> str:
    with app.db.transaction() as session:
        case = cases.start_case(session, app.runtime, actor=find_active(session, "anne"), requester_kind="family",
                                youth_pseudonym="Jeune B.", age_band="12-15", region="Brabant wallon")
        for name, options in demo._path_to("concertation"):
            demo.advance(session, app.runtime, case, name, **options)
        return case.reference


def _editor_open_at_the_reminder(page, base: str):
    """Paul signed in, the process editor drawn: the concertation reminder's shape."""
    page.goto(base + "/login")
    page.fill("#username", "paul")
    page.fill("#password", demo.DEMO_PASSWORD)
    page.click("button.primary")
    page.goto(base + "/processes/case_management/edit")
    reminder = page.locator('.djs-element[data-element-id="concertation_reminder"]')
    reminder.wait_for(state="visible", timeout=15000)
    return reminder


def _reminder_days(app, reference: str) -> int:
    with app.db.transaction(write=False) as session:
        instance = session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == reference))
        return round((instance.next_timer_due - app.clock.now()).total_seconds() / 86400)


def test_browser_process_owner_changes_reminder_in_modeler_and_deploys(app, live_server, page):
    running = _case_at_concertation(app)
    assert _reminder_days(app, running) == 21

    reminder = _editor_open_at_the_reminder(page, live_server)
    # The whole diagram shows to the right of the tool palette, none of it underneath.
    assert not page.evaluate("""() => {
        const tools = document.querySelector('#canvas .djs-palette').getBoundingClientRect();
        return [...document.querySelectorAll('#canvas .djs-shape')].some(shape => {
            const r = shape.getBoundingClientRect();
            return r.width > 0 && r.left < tools.right && r.top < tools.bottom && r.bottom > tools.top; }); }""")
    # The editor's tools speak the page's language, and the panel names the element's kind.
    assert page.get_attribute('#canvas .djs-palette [data-action="create.task"]', "title") == "Créer une tâche"
    reminder.click()
    assert page.inner_text("[data-element-type]") == "Événement de bordure"
    assert page.get_attribute('.djs-context-pad [data-action="delete"]', "title") == "Supprimer"
    timer = page.locator("#element-timer")
    timer.wait_for(state="visible")
    assert timer.input_value() == '"P21D"'
    assert page.evaluate("document.getElementById('process-form').hasAttribute('data-unsaved')") is False
    timer.fill('"P14D"')
    # Its English name (drawn on English pages) is the panel's too.
    assert page.input_value("#element-name-en") == "Concertation not held"
    page.fill("#element-name-en", "Concertation overdue")
    page.press("#element-name-en", "Tab")
    # Marked as not saved: an idle session's warning says it would be lost (static/session.js).
    assert page.evaluate("document.getElementById('process-form').hasAttribute('data-unsaved')") is True
    page.fill("#note", "Rappel de concertation après deux semaines")
    page.click('button[name="action"][value="deploy"]')
    page.wait_for_url("**/processes/case_management/", timeout=30000)
    body = page.inner_text("main")
    assert "Version 2 déployée" in body
    assert 'minuterie : "P21D" → "P14D"' in body
    assert "nom en anglais : Concertation not held → Concertation overdue" in body

    new = _case_at_concertation(app)
    assert _reminder_days(app, new) == 14
    assert _reminder_days(app, running) == 21


def test_browser_a_problem_of_the_check_leads_to_its_element_in_the_diagram(app, live_server, page):
    reminder = _editor_open_at_the_reminder(page, live_server)
    reminder.click()
    page.locator("#element-timer").fill("P14D")  # unquoted: casework reads timers as expressions
    page.click('button[name="action"][value="validate"]')
    problem = page.locator('[data-show-element="concertation_reminder"]')
    problem.wait_for(state="visible", timeout=15000)
    page.locator('.djs-element.has-problem[data-element-id="concertation_reminder"]').wait_for(timeout=15000)
    problem.click()
    page.locator("#element-panel [data-element-id]").filter(has_text="concertation_reminder").wait_for(timeout=5000)
    assert page.locator("#element-timer").input_value() == "P14D"  # its fields, in the panel, to fix it
    assert page.evaluate("window.caseworkModeler.get('canvas').zoom()") == 1
    assert not page.script_problems, page.script_problems
