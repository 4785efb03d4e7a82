"""Keyboard use of a task form: each field Tab reaches stays in view, above the sticky action bar."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.models import HumanTask
from workflows import demo

from .test_journey import sign_in

pytestmark = pytest.mark.sqlite_only

# Where the focused control sits against the action bar (its whole box, a text area's too).
_PLACE = """() => {
    const e = document.activeElement, bar = document.querySelector('.actions-bar');
    if (!e || !bar || bar.contains(e) || !e.closest('#task-form')) return null;
    const r = e.getBoundingClientRect(), b = bar.getBoundingClientRect();
    return {name: e.name || e.id, bottom: r.bottom, bar: b.top};
}"""


@pytest.mark.parametrize("size", [(1366, 768), (768, 1024)], ids=["laptop", "tablet"])
def test_tabbing_through_a_long_form_never_hides_a_field_under_the_action_bar(app, live_server, page, size):
    with app.db.transaction() as session:
        demo.seed_cases(session, app.runtime)
    with app.db.transaction(write=False) as session:
        tasks = [session.scalar(select(HumanTask.id).where(HumanTask.spec_name == step).limit(1))
                 for step in ("concertation", "evaluation", "verify_request")]
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in(page, live_server, "anne")
    hidden, reached = [], 0
    for task in tasks:
        page.goto(f"{live_server}/tasks/{task}")
        page.focus("#task-form input:not([type=hidden])")
        for _ in range(60):
            page.keyboard.press("Tab")
            page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
            place = page.evaluate(_PLACE)
            if place is not None:
                reached += 1
                if place["bottom"] > place["bar"] + 1:
                    hidden.append(place)
    assert reached > 40 and not hidden, hidden


def test_a_note_refused_comes_back_with_its_box_focused(app, live_server, page):
    with app.db.transaction() as session:
        reference = demo.seed_cases(session, app.runtime)[0].reference
    sign_in(page, live_server, "anne")
    page.goto(f"{live_server}/cases/{reference}")
    page.get_by_role("button", name="Ajouter la note").click()
    page.wait_for_selector("#note-error")
    # Typed into at once, read out with its error (after the page has moved to its fragment).
    page.wait_for_function("document.activeElement && document.activeElement.id === 'note-text'", timeout=5000)
    assert not page.script_problems, page.script_problems


def _open_a_demo_task(app, live_server, page, step: str) -> None:
    """The demo cases seeded, anne signed in on the page of a task at `step`."""
    with app.db.transaction() as session:
        demo.seed_cases(session, app.runtime)
    with app.db.transaction(write=False) as session:
        task = session.scalar(select(HumanTask.id).where(HumanTask.spec_name == step).limit(1))
    sign_in(page, live_server, "anne")
    page.goto(f"{live_server}/tasks/{task}")


def test_an_error_link_to_a_group_of_choices_focuses_its_option(app, live_server, page):
    # A yes/no question is a fieldset, which takes no focus: its link focuses its first option.
    _open_a_demo_task(app, live_server, page, "verify_request")
    page.get_by_role("button", name="Terminer la tâche").click()
    page.wait_for_selector("#error-summary")
    page.focus("#error-summary a[href='#f-lives_in_region']")
    page.keyboard.press("Enter")
    focused = page.evaluate("[document.activeElement.type, document.activeElement.closest('fieldset')?.id]")
    assert focused == ["radio", "f-lives_in_region"], focused
    page.keyboard.press("ArrowDown")  # the arrows choose, as in any group of options
    assert page.evaluate("document.querySelector('[name=lives_in_region]:checked')?.value") == "false"
    assert not page.script_problems, page.script_problems


def test_the_message_an_action_leaves_is_focused_on_the_next_page(app, live_server, page):
    # Read out by a screen reader, and Tab goes on from it into the page, not from the top bar.
    with app.db.transaction() as session:
        demo.seed_cases(session, app.runtime)
    sign_in(page, live_server, "sophie")  # a partner takes her action from her inbox
    page.goto(f"{live_server}/inbox")
    page.get_by_role("button", name="Prendre").first.click()
    page.wait_for_selector("main > .flash")
    page.wait_for_function("document.activeElement && document.activeElement.matches('main > .flash')", timeout=5000)
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')"), "Tab left the page's content"
    assert not page.script_problems, page.script_problems


def test_every_stop_of_a_date_field_shows_the_focus_ring(app, live_server, page):
    # Day, month, year, then the calendar button, which sits in the field's shadow tree.
    _open_a_demo_task(app, live_server, page, "concertation")
    page.focus("input[type=date]")
    rings = []
    for _ in range(4):
        rings.append(page.evaluate("(() => { const e = document.activeElement;"
                                   " return [e.type, getComputedStyle(e).outlineStyle]; })()"))
        page.keyboard.press("Tab")
    assert rings == [["date", "solid"]] * 4, rings


def test_enter_in_a_field_saves_a_draft_and_removes_no_row(app, live_server, page):
    # Enter clicks a form's first submit button: it was the first row's "Retirer".
    _open_a_demo_task(app, live_server, page, "verify_request")
    assert not page.locator("#task-form > button[hidden]").is_visible()  # (a rule's display showed it)
    rows = page.locator(".row").count()
    page.fill("#f-youth_age", "15")
    page.press("#f-youth_age", "Enter")
    page.wait_for_selector(".flash")
    assert "Brouillon enregistré" in page.inner_text(".flash")
    assert page.locator(".row").count() == rows >= 1
    assert page.input_value("#f-youth_age") == "15"
    assert not page.script_problems, page.script_problems


def test_a_long_text_with_a_limit_shows_its_count_and_a_paste_past_it(app, live_server, page):
    # 4,000 characters at most: a pasted report was cut without a word.
    with app.db.transaction() as session:
        demo.seed_cases(session, app.runtime)
    with app.db.transaction(write=False) as session:
        task = session.scalar(select(HumanTask.id).where(HumanTask.spec_name == "report_action",
                                                         HumanTask.assignee == "sophie").limit(1))
    sign_in(page, live_server, "sophie")
    page.goto(f"{live_server}/tasks/{task}")
    assert "le gestionnaire de cas en tiendra compte" in page.inner_text("main")  # what to write, and who reads it
    assert page.inner_text("#f-result-count") == "0 / 4000"
    page.focus("#f-result")
    page.keyboard.insert_text("x" * 4100)  # as a paste
    assert len(page.input_value("#f-result")) == 4000
    assert page.inner_text("#f-result-count") == "4000 / 4000"
    assert "full" in page.get_attribute("#f-result-count", "class")
    assert not page.script_problems, page.script_problems


def test_picking_a_participant_s_account_fills_their_name_and_organisation(app, live_server, page):
    _open_a_demo_task(app, live_server, page, "concertation")
    rows = page.locator("fieldset[data-rows='participants'] .row")
    before = rows.count()
    page.locator("fieldset[data-rows='participants'] button.add-row").click()
    assert rows.count() == before + 1
    new = f"participants.{before}"
    page.select_option(f"select[name='{new}.user']", "tom")
    assert page.input_value(f"[name='{new}.name']") == "Tom Janssens"
    assert page.input_value(f"[name='{new}.organisation']") != ""
    page.fill(f"[name='{new}.name']", "T. Janssens")  # typed by hand: another pick leaves it
    page.select_option(f"select[name='{new}.user']", "lea")
    assert page.input_value(f"[name='{new}.name']") == "T. Janssens"
    assert not page.script_problems, page.script_problems


def test_an_action_s_objective_offers_the_keys_typed_in_the_objectives(app, live_server, page):
    _open_a_demo_task(app, live_server, page, "concertation")
    page.fill("[name='objectives.0.key']", "SCOL")
    page.fill("[name='objectives.0.title']", "Reprendre l'école")
    page.focus("[name='actions.0.objective']")
    offered = page.evaluate("""() => [...document.getElementById(
        document.querySelector("[name='actions.0.objective']").getAttribute('list')).options]
        .map(o => [o.value, o.label])""")
    assert offered[0] == ["SCOL", "SCOL — Reprendre l'école"]
    assert [value for value, _label in offered] == [page.input_value(f"[name='objectives.{i}.key']")
                                                    for i in range(len(offered))]
    assert not page.script_problems, page.script_problems
