"""Every kind of page checked by axe-core (from the npm registry) for WCAG 2.1 A and AA problems,
in Debian's Chromium: labels, names, contrast, landmarks, ARIA, in French and in English."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workflows import demo

from .test_journey import sign_in, sign_out

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = [pytest.mark.sqlite_only,
              pytest.mark.skipif(not AXE.exists(), reason="axe-core missing (npm ci, run by make)")]


@pytest.fixture
def audit_page(browser):
    # axe is injected as a script, which the pages' security policy rightly refuses: this context
    # alone bypasses it (the other browser tests run under the policy).
    context = browser.new_context(locale="fr-BE", bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _problems(page, exclude: tuple[str, ...] = ()) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async (exclude) => {
        const context = exclude.length ? {exclude: exclude.map(s => [s])} : document;
        return await axe.run(context, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                        resultTypes: ['violations']});
    }""", list(exclude))
    assert len(result["passes"]) >= 10, "axe checked next to nothing: was it injected?"
    return [f"{v['id']} ({v['impact']}): {v['help']} -> " + "; ".join(n["target"][0] if isinstance(n["target"][0], str)
            else json.dumps(n["target"]) for n in v["nodes"][:4]) for v in result["violations"]]


def test_every_kind_of_page_passes_axe(app, live_server, audit_page):
    page, base = audit_page, live_server
    with app.db.transaction() as session:
        made = demo.seed_cases(session, app.runtime)
        references = {case.youth_pseudonym: case.reference for case in made}
    from sqlalchemy import select

    from engine.models import HumanTask

    with app.db.transaction(write=False) as session:
        def task(step, assignee=None):
            query = select(HumanTask.id).where(HumanTask.spec_name == step)
            if assignee:
                query = query.where(HumanTask.assignee == assignee)
            return session.scalar(query.limit(1))
        concertation, verify, report = task("concertation"), task("verify_request"), task("report_action", "sophie")
        from workflows.models import FormSubmission

        verified = session.scalar(select(FormSubmission.task_id).where(FormSubmission.step == "verify_request").limit(1))

    found: dict[str, list[str]] = {}

    def check(name, url, exclude=()):
        page.goto(base + url)
        found[name] = _problems(page, exclude)

    check("login", "/login")
    sign_in(page, base, "anne")
    for name, url in [("inbox", "/inbox"), ("inbox, overdue", "/inbox?due=overdue"), ("cases", "/cases/"),
                      ("new request", "/cases/new"), ("case page", f"/cases/{references['Jeune H.']}"),
                      ("verification", f"/tasks/{verify}"), ("concertation", f"/tasks/{concertation}"),
                      ("password", "/account/password"), ("notifications", "/notifications"), ("overdue", "/overdue"),
                      ("a form's answers", f"/tasks/{verified}/answers")]:
        check(name, url)
    page.goto(base + f"/tasks/{concertation}")
    page.get_by_role("button", name="Terminer la tâche").click()  # empty: every field in error
    page.wait_for_load_state()
    found["concertation, errors"] = _problems(page)
    page.get_by_role("button", name="EN", exact=True).click()
    page.wait_for_load_state()
    check("case page, English", f"/cases/{references['Jeune H.']}")
    page.get_by_role("button", name=re.compile("Sign out|Se déconnecter")).click()
    sign_in(page, base, "sophie")
    check("partner's inbox", "/inbox")
    check("partner's report", f"/tasks/{report}")
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_label("Nom d'utilisateur").fill("paul")
    page.get_by_label("Mot de passe").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/processes/$"))
    check("processes", "/processes/")
    check("process editor", "/processes/case_management/edit", exclude=("#canvas",))  # bpmn-js's own canvas
    problems = {name: items for name, items in found.items() if items}
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


def test_the_idle_warning_passes_axe(app, serve, audit_page):
    """The warning before an idle session ends (static/session.js), open over the inbox."""
    page, base = audit_page, serve(app, CASEWORK_IDLE_S=8)
    sign_in(page, base, "anne")
    dialog = page.get_by_role("dialog", name="Toujours là ?")
    dialog.wait_for(state="visible", timeout=10_000)
    assert _problems(page) == []


def test_the_top_bar_targets_are_24_px_at_least_on_a_tablet(app, live_server, page):
    # WCAG 2.5.8: what a finger taps in the top bar (pages, language, notifications, one's name,
    # signing out) is 24 CSS pixels tall at least.
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, live_server, "anne")
    small = page.evaluate("""[...document.querySelectorAll('.topbar a, .topbar button')]
        .map(e => [e.textContent.trim(), e.getBoundingClientRect().height]).filter(([, h]) => h < 24)""")
    assert not small, small


def test_on_a_phone_no_page_is_wider_than_the_screen_and_the_form_buttons_do_not_cover_it(app, live_server, page):
    # 390 px: the inbox, the cases list and a case's plan were up to 607 px wide (their tables);
    # rows become cards, other tables scroll within themselves, the form's bar is not kept on screen.
    with app.db.transaction() as session:
        demo.seed_cases(session, app.runtime)
    page.set_viewport_size({"width": 390, "height": 844})
    widths = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    for username, paths in (("anne", ["/inbox", "/inbox?scope=partners", "/cases/"]), ("sophie", ["/inbox"])):
        sign_in(page, live_server, username)
        # The top bar took 203 px of 844 (four lines): now its tools on one line, its pages on one
        # that scrolls sideways; what a finger taps 24 px tall at least.
        assert page.evaluate("document.querySelector('.topbar').getBoundingClientRect().height") < 110
        small = page.evaluate("""[...document.querySelectorAll('.topbar a, .topbar button')]
            .map(e => e.getBoundingClientRect().height).filter(h => h > 0 && h < 24)""")
        assert small == []
        for path in paths:
            page.goto(live_server + path)
            wide, screen = page.evaluate(widths)
            assert wide <= screen, (username, path, wide)
        if username == "anne":
            page.goto(f"{live_server}/inbox?step=report_action&scope=partners")
            page.locator("td.ref a").first.click()  # a case following its plan
            assert page.locator("#plan table.cards").count() >= 1
            wide, screen = page.evaluate(widths)
            assert wide <= screen, (page.url, wide)
        page.goto(live_server + "/inbox")
        page.locator("a[href^='/tasks/']").first.click()
        wide, screen = page.evaluate(widths)
        assert wide <= screen, (page.url, wide)
        assert page.evaluate("getComputedStyle(document.querySelector('.actions-bar')).position") == "static"
        small = page.evaluate("""[...document.querySelectorAll('main input[type=radio], main input[type=checkbox]')]
            .map(e => e.getBoundingClientRect()).filter(r => r.width && r.height < 20).length""")
        assert small == 0
        sign_out(page)
    assert not page.script_problems, page.script_problems


@pytest.mark.parametrize("width", [1280, 390], ids=["laptop", "phone"])
def test_a_long_unbroken_string_someone_typed_wraps_instead_of_widening_the_page(app, live_server, page, width):
    # A pasted address in "Difficultés" made the case page 28,577 px wide.
    from sqlalchemy import select

    from workflows import case_view
    from workflows.cases import start_case
    from workflows.models import User

    pasted = "https://example.org/" + "x" * 400
    with app.db.transaction() as session:
        anne = session.scalar(select(User).where(User.username == "anne"))
        case = start_case(session, app.runtime, actor=anne, requester_kind="family", youth_pseudonym="Jeune L.",
                          age_band="12-15", region="Brabant wallon", difficulties=pasted, previous_attempts=pasted)
        session.flush()
        case_view.add_note(session, anne, case, pasted, app.clock.now())
        reference = case.reference
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "anne")
    for path in (f"/cases/{reference}", "/inbox"):
        page.goto(live_server + path)
        wide, screen = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert wide <= screen, (path, wide)


@pytest.mark.parametrize("width", [1280, 820], ids=["laptop", "tablet"])
def test_a_plan_s_columns_keep_their_words_whole(app, live_server, page, width):
    # "Statu t", "26/12/20 26", "Sophie Renar d": every column shrank once free text could break anywhere.
    with app.db.transaction() as session:
        made = demo.seed_cases(session, app.runtime)
        reference = next(case.reference for case in made if case.youth_pseudonym == "Jeune J.")  # reports in
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "anne")
    page.goto(f"{live_server}/cases/{reference}")
    broken = page.evaluate("""() => [...document.querySelectorAll('#plan th, #plan td:not(:first-child)')]
        .filter(cell => cell.offsetParent !== null)
        .flatMap(cell => [...cell.querySelectorAll('*'), cell].flatMap(el => [...el.childNodes]))
        .filter(node => node.nodeType === Node.TEXT_NODE && node.textContent.trim())
        .flatMap(node => node.textContent.trim().split(/\\s+/).length === 1 ? [node] : [])
        .filter(node => { const range = document.createRange(); range.selectNodeContents(node);
                          return range.getClientRects().length > 1; })
        .map(node => node.textContent.trim())""")
    assert broken == [], broken
