"""Every role against every route: allowed, 403 or 404 (and 302 to sign in for anonymous)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from workflows.models import Case, FormSubmission, User
from workflows.users import create_user

from .conftest import login, post, task_id

# Users: the case's own case manager, another case manager, a professional carrying an action of
# the case, a professional outside it, the process owner, the coordinator, and nobody.
USERS = ("anne", "marc", "sophie", "nina", "paul", "chantal", None)

# route -> expected status per user, in the order of USERS.
MATRIX = {
    ("GET", "/inbox"): (200, 200, 200, 200, 403, 403, 302),
    ("POST", "/inbox"): (302, 302, 302, 302, 403, 403, 302),  # the filters' form, to the filtered inbox
    ("GET", "/cases/"): (200, 200, 200, 200, 403, 403, 302),
    ("GET", "/cases/new"): (200, 200, 200, 200, 403, 403, 302),
    ("POST", "/cases/"): (200, 200, 200, 200, 403, 403, 302),  # a search: each finds only their own cases
    ("GET", "/cases/{case}"): (200, 404, 200, 404, 403, 403, 302),
    ("GET", "/tasks/{cm_task}"): (200, 404, 403, 404, 403, 403, 302),  # 404: a task of a case one may not see
    ("GET", "/tasks/{action_task}"): (200, 404, 200, 404, 403, 403, 302),
    # anne takes it then releases it (next row), so sophie may take it in turn.
    ("POST", "/tasks/{action_task}/claim"): (302, 404, 302, 404, 403, 403, 302),
    ("POST", "/tasks/{cm_task}"): (302, 404, 403, 404, 403, 403, 302),  # save a draft
    ("POST", "/tasks/{action_task}/release"): (302, 404, 302, 404, 403, 403, 302),
    ("POST", "/tasks/{action_task}/reassign"): (302, 404, 403, 403, 403, 403, 302),
    ("POST", "/tasks/{action_task}/due"): (302, 404, 403, 403, 403, 403, 302),  # no day given: said, back
    # What a completed task's form said: the case's manager, and whoever sent it.
    ("GET", "/tasks/{cm_done}/answers"): (200, 404, 404, 404, 403, 403, 302),
    ("GET", "/tasks/{report_done}/answers"): (200, 404, 200, 404, 403, 403, 302),
    ("POST", "/overdue/hand-over"): (403, 403, 403, 403, 403, 302, 302),  # a coordinator's (nobody chosen: back)
    ("POST", "/cases/new"): (422, 422, 422, 422, 403, 403, 302),  # empty request: field errors
    ("POST", "/cases/{case}/notes"): (302, 404, 302, 404, 403, 403, 302),
    ("POST", "/cases/{case}/messages"): (302, 404, 403, 403, 403, 403, 302),
    ("POST", "/cases/{case}/reassign"): (302, 404, 403, 403, 403, 403, 302),
    ("GET", "/api/v1/tasks"): (200, 200, 200, 200, 403, 403, 401),
    ("GET", "/api/v1/tasks/{cm_task}"): (200, 404, 403, 404, 403, 403, 401),
    ("GET", "/api/v1/tasks/{action_task}"): (200, 404, 200, 404, 403, 403, 401),
    ("POST", "/api/v1/tasks/{cm_task}/complete"): (422, 404, 403, 404, 403, 403, 401),
    ("GET", "/api/v1/cases"): (200, 200, 200, 200, 403, 403, 401),
    ("GET", "/api/v1/cases/{case}"): (200, 404, 200, 404, 403, 403, 401),
    ("GET", "/api/v1/openapi.json"): (200, 200, 200, 200, 200, 200, 200),
    ("GET", "/account/password"): (200, 200, 200, 200, 200, 200, 302),
    ("GET", "/tasks/00000000-0000-0000-0000-000000000000"): (404, 404, 404, 404, 403, 403, 302),
    ("GET", "/cases/CM-NOPE00"): (404, 404, 404, 404, 403, 403, 302),
    ("GET", "/"): (302, 302, 302, 302, 302, 200, 302),
    ("POST", "/session/keepalive"): (204, 204, 204, 204, 204, 204, 401),  # the process owner has a home page (issue 5)
}


@pytest.fixture
def targets(app, seeded):
    with app.db.transaction() as session:
        create_user(session, username="nina", display_name="Nina (fictive)", role="professional",
                    password="demo-casework", now=app.clock.now())
    reference = seeded["Jeune H."]
    with app.db.transaction(write=False) as session:
        def sent(ref: str, step: str, by: str) -> str:
            return session.scalar(select(FormSubmission.task_id).join(Case, Case.id == FormSubmission.case_id)
                                  .join(User, User.id == FormSubmission.submitted_by_id)
                                  .where(Case.reference == ref, FormSubmission.step == step, User.username == by))

        done = {"cm_done": sent(reference, "concertation", "anne"),
                "report_done": sent(seeded["Jeune J."], "report_action", "sophie")}
    return {"case": reference, "cm_task": task_id(app, reference, "acknowledge_youth_message"),
            "action_task": task_id(app, reference, "report_action", "sophie"), **done}


def _as_each_user(flask_app, expectations, send) -> list[str]:
    """Each of USERS (signed in, or not) sends each of `expectations` ({what: expected status per
    user}) with `send(client, what)`: the mismatches, and never a traceback."""
    failures = []
    for index, username in enumerate(USERS):
        client = flask_app.test_client()
        if username:
            login(client, username)
        for what, expected in expectations.items():
            response = send(client, what)
            if response.status_code != expected[index]:
                label = what if isinstance(what, str) else " ".join(what)
                failures.append(f"{username or 'anonymous'} {label}: {response.status_code}, expected {expected[index]}")
            assert "Traceback" not in response.get_data(as_text=True)
    return failures


def test_every_role_against_every_route(app, flask_app, targets):
    def send(client, route):
        method, url = route[0], route[1].format(**targets)
        if method == "GET":
            return client.get(url)
        if url.startswith("/api/"):
            from .conftest import csrf

            return client.post(url, json={}, headers={"X-CSRF-Token": csrf(client)})
        # Reassigning to the same people keeps the case and the action where they are.
        data = {"text": "Note", "kind": "wish", "action": "draft", "q": "Jeune",
                "to": "sophie" if url.endswith("/reassign") and "/tasks/" in url else "anne"}
        return post(client, url, data)

    failures = _as_each_user(flask_app, MATRIX, send)
    assert not failures, "\n".join(failures)


# Completing a task (an empty form): field errors for those who may, the same refusals as
# above for the others, and nothing saved either way.
COMPLETING = {
    "{cm_task}": (422, 404, 403, 404, 403, 403, 302),
    "{action_task}": (422, 404, 422, 404, 403, 403, 302),
    "00000000-0000-0000-0000-000000000000": (404, 404, 404, 404, 403, 403, 302),
}


def test_every_role_completing_a_task(app, flask_app, targets):
    failures = _as_each_user(flask_app, COMPLETING, lambda client, route: post(
        client, f"/tasks/{route.format(**targets)}", {"action": "complete"}))
    assert not failures, "\n".join(failures)
    assert task_id(app, targets["case"], "acknowledge_youth_message") == targets["cm_task"]
    assert task_id(app, targets["case"], "report_action", "sophie") == targets["action_task"]


def test_the_matrix_lists_every_route_of_the_inbox_and_case_pages(flask_app):
    """A new route must be added to the matrix above (and so be decided for every role)."""
    covered = {(method, re.sub(r"\{[a-z_]+\}|CM-NOPE00|0{8}-0{4}-0{4}-0{4}-0{12}", "<>", route))
               for method, route in MATRIX}
    mine = ("inbox.", "tasks.", "cases.", "api.")
    missing = []
    for rule in flask_app.url_map.iter_rules():
        if rule.endpoint.startswith(mine) and rule.endpoint != "api.unknown":
            path = re.sub(r"<[^>]+>", "<>", rule.rule)
            missing.extend(f"{method} {rule.rule}" for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
                           if (method, path) not in covered)
    assert not missing, f"routes missing from the permission matrix: {missing}"


def test_a_refusal_says_why_in_the_page_language_and_a_task_of_a_case_one_may_not_see_is_404(
        app, flask_app, targets):
    from .conftest import text

    sophie = flask_app.test_client()
    login(sophie, "sophie")
    page = " ".join(text(sophie.get(f"/tasks/{targets['cm_task']}")).split())
    assert "Vous ne pouvez pas faire ceci : cette tâche revient au gestionnaire de cas" in page
    post(sophie, "/language", {"lang": "en"})
    page = " ".join(text(sophie.get(f"/tasks/{targets['cm_task']}")).split())
    assert "You may not do this: this task is the case manager's" in page
    nina = flask_app.test_client()
    login(nina, "nina")
    response = nina.get(f"/tasks/{targets['action_task']}")
    assert response.status_code == 404 and "professional" not in text(response)
