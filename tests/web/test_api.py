"""The JSON API: same permissions as the pages, schema with the task, completion, errors as JSON."""

from __future__ import annotations

import base64

from workflows import demo
from workflows.cases import get_case

from .conftest import csrf, login, task_id


def basic(username: str, password: str = demo.DEMO_PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_openapi_document_describes_every_endpoint(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/tasks", "/tasks/{task_id}", "/tasks/{task_id}/complete", "/cases",
                                 "/cases/{reference}"}
    rules = {r.rule for r in client.application.url_map.iter_rules() if r.rule.startswith("/api/v1/")}
    for path in doc["paths"]:
        assert "/api/v1" + path.replace("{", "<").replace("}", ">") in rules


def test_every_answer_is_what_the_openapi_document_says(app, client, seeded):
    # Real answers, a success and the errors of each endpoint, checked against the document's
    # schemas (a field added to an answer and not to the document fails here).
    from jsonschema import Draft202012Validator

    doc = client.get("/api/v1/openapi.json").get_json()

    def check(path: str, method: str, response) -> None:
        described = doc["paths"][path][method]["responses"]
        assert str(response.status_code) in described, (path, response.status_code, response.get_json())
        schema = described[str(response.status_code)]["content"]["application/json"]["schema"]
        errors = list(Draft202012Validator({**schema, "components": doc["components"]}).iter_errors(response.get_json()))
        assert not errors, (path, response.status_code, [e.message for e in errors][:5])

    reference, evaluated = seeded["Jeune A."], seeded["Jeune J."]
    tid = task_id(app, reference, "verify_request")
    with app.db.transaction(write=False) as session:
        data = demo.sample(session, app.runtime, get_case(session, reference), "verify_request")
    for who in ("anne", "sophie"):
        check("/tasks", "get", client.get("/api/v1/tasks", headers=basic(who)))
        check("/cases", "get", client.get("/api/v1/cases", headers=basic(who)))
        check("/cases/{reference}", "get", client.get(f"/api/v1/cases/{evaluated}", headers=basic(who)))
    check("/cases/{reference}", "get", client.get(f"/api/v1/cases/{seeded['Jeune H.']}", headers=basic("anne")))
    check("/tasks", "get", client.get("/api/v1/tasks?due=soon", headers=basic("anne")))
    check("/tasks", "get", client.get("/api/v1/tasks"))
    check("/tasks/{task_id}", "get", client.get(f"/api/v1/tasks/{tid}", headers=basic("anne")))
    check("/tasks/{task_id}", "get", client.get(f"/api/v1/tasks/{tid}", headers=basic("marc")))
    complete = f"/api/v1/tasks/{tid}/complete"
    check("/tasks/{task_id}/complete", "post", client.post(complete, json={"youth_age": "x"}, headers=basic("anne")))
    check("/tasks/{task_id}/complete", "post", client.post(complete, data="{}", headers=basic("anne")))
    check("/tasks/{task_id}/complete", "post", client.post(complete, json=data, headers=basic("anne")))
    check("/tasks/{task_id}/complete", "post", client.post(complete, json=data, headers=basic("anne")))
    check("/cases/{reference}", "get", client.get("/api/v1/cases/CM-ZZZZZZ", headers=basic("anne")))


def test_basic_auth_checks_a_password_with_argon2_once_then_remembers_it(app, client, monkeypatch):
    from workflows import users

    monkeypatch.setattr(users, "_remembered", {})
    checks = []

    class Counting:  # argon2's hasher, counting its checks
        def __init__(self, hasher):
            self.hasher = hasher

        def verify(self, stored, password):
            checks.append(1)
            return self.hasher.verify(stored, password)

        def __getattr__(self, name):
            return getattr(self.hasher, name)

    monkeypatch.setattr(users, "_hasher", Counting(users._hasher))
    for _ in range(3):
        assert client.get("/api/v1/tasks", headers=basic("anne")).status_code == 200
    assert len(checks) == 1
    # A wrong password is never taken for the remembered one, and counts as a failure.
    assert client.get("/api/v1/tasks", headers=basic("anne", "not-the-password")).status_code == 401
    assert len(checks) == 2
    # A new password ends it: the old one is refused at once, the new one checked in full.
    with app.db.transaction() as session:
        users.set_password(session, "anne", "a-brand-new-password", actor="test", now=app.clock.now())
    assert client.get("/api/v1/tasks", headers=basic("anne")).status_code == 401
    assert client.get("/api/v1/tasks", headers=basic("anne", "a-brand-new-password")).status_code == 200
    assert len(checks) == 4
    # A disabled account is refused even while its password is remembered.
    with app.db.transaction() as session:
        users.set_active(session, "anne", False)
    assert client.get("/api/v1/tasks", headers=basic("anne", "a-brand-new-password")).status_code == 401
    assert len(checks) == 5  # in full, as for anyone refused
    with app.db.transaction() as session:
        users.set_active(session, "anne", True)
    # And it lasts REMEMBER_S seconds.
    monkeypatch.setattr(users, "REMEMBER_S", 0.0)
    monkeypatch.setattr(users, "_remembered", {})
    for _ in range(2):
        assert client.get("/api/v1/tasks", headers=basic("anne", "a-brand-new-password")).status_code == 200
    assert len(checks) == 7


def test_api_needs_a_user(client):
    response = client.get("/api/v1/tasks")
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    assert "HTTP Basic" in response.get_json()["message"] and "Connectez-vous" in response.get_json()["message"]
    english = client.get("/api/v1/tasks", headers={"Accept-Language": "en"}).get_json()["message"]
    assert english.startswith("Sign in first")
    assert client.get("/api/v1/tasks", headers=basic("anne", "wrong-password")).status_code == 401
    # A post with no credentials at all is told to sign in, not about a CSRF token.
    response = client.post("/api/v1/tasks/0b6c1e8a-0000-4000-8000-000000000000/complete", json={})
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


def test_a_filter_given_a_value_it_does_not_take_is_a_400_naming_it(client, seeded):
    # A typo (status=opened) must not quietly list everything.
    for url, names in (("/api/v1/cases?status=opened", ["status"]), ("/api/v1/tasks?due=soon&page=abc", ["due", "page"]),
                       ("/api/v1/tasks?case=CM-8", ["case"]), ("/api/v1/tasks?scope=all", ["scope"])):
        response = client.get(url, headers=basic("anne"))
        body = response.get_json()
        assert response.status_code == 400 and body["error"] == "invalid_parameter", (url, body)
        assert [f["path"] for f in body["fields"]] == names, (url, body)
    assert "L'une de ces valeurs : open, exited, closed." in client.get(
        "/api/v1/cases?status=opened", headers=basic("anne")).get_json()["fields"][0]["message"]
    assert client.get("/api/v1/tasks?due=overdue&case=CM-&page=2", headers=basic("anne")).status_code == 400
    assert client.get("/api/v1/tasks?due=overdue&page=2", headers=basic("anne")).status_code == 200
    listed = client.get("/api/v1/cases", headers=basic("anne")).get_json()  # paged as the tasks are
    assert listed["page"] == 1 and listed["pages"] >= 1 and listed["total"] >= len(listed["cases"])
    assert client.get("/api/v1/tasks?scope=partners", headers=basic("sophie")).status_code == 400  # not hers


def test_a_body_sent_with_http_basic_must_be_json(app, client, seeded):
    # Anything else could be a cross-site form riding on credentials the browser keeps: refused,
    # saying what to send; nothing is completed.
    tid = task_id(app, seeded["Jeune A."], "verify_request")
    for body in ({"data": '{"youth_age": 14}', "content_type": "text/plain"}, {"data": {"youth_age": "14"}}, {}):
        response = client.post(f"/api/v1/tasks/{tid}/complete", headers=basic("anne"), **body)
        assert response.status_code == 415 and response.get_json()["error"] == "json_required", response.get_json()
        assert "Content-Type: application/json" in response.get_json()["message"]
    assert task_id(app, seeded["Jeune A."], "verify_request") == tid


def test_tasks_list_show_and_complete_with_basic_auth(app, client, seeded):
    reference = seeded["Jeune A."]
    listed = client.get("/api/v1/tasks?step=verify_request", headers=basic("anne")).get_json()
    assert reference in [t["case"] for t in listed["tasks"]] and listed["counts"]["total"] >= 2
    tid = task_id(app, reference, "verify_request")
    shown = client.get(f"/api/v1/tasks/{tid}", headers=basic("anne")).get_json()
    assert shown["schema"]["properties"]["youth_age"]["type"] == "integer"
    with app.db.transaction(write=False) as session:
        data = demo.sample(session, app.runtime, get_case(session, reference), "verify_request")
    bad = client.post(f"/api/v1/tasks/{tid}/complete", json={**data, "youth_age": "x"}, headers=basic("anne"))
    assert bad.status_code == 422 and {"path": "youth_age"}.items() <= bad.get_json()["fields"][0].items()
    done = client.post(f"/api/v1/tasks/{tid}/complete", json={"data": data}, headers=basic("anne"))
    assert done.status_code == 200, done.get_json()
    assert [t["step"] for t in done.get_json()["open_tasks"]] == ["clarification_interview"]
    again = client.post(f"/api/v1/tasks/{tid}/complete", json=data, headers=basic("anne"))
    assert again.status_code == 409 and again.get_json()["error"] == "task_closed"
    assert again.get_json()["message"].startswith("Vous avez terminé cette tâche le ")  # by whom and when
    assert again.get_json()["link"] == f"/api/v1/cases/{reference}"
    # Someone who may not see the case learns nothing of it, not even that the task was done.
    elsewhere = client.post(f"/api/v1/tasks/{tid}/complete", json=data, headers=basic("marc"))
    assert elsewhere.status_code == 404 and elsewhere.is_json
    # Nor that an open one exists, whatever the body (it was read first: not a JSON object, 422).
    hidden = task_id(app, seeded["Jeune E."], "clarification_interview")  # a family's request, no partner yet
    for body in ([1], "x", {}):
        refused = client.post(f"/api/v1/tasks/{hidden}/complete", json=body, headers=basic("karim"))
        assert refused.status_code == 404 and refused.is_json, refused.get_json()


def test_session_cookie_posts_need_the_csrf_header(app, client, seeded):
    tid = task_id(app, seeded["Jeune A."], "verify_request")
    login(client, "anne")
    refused = client.post(f"/api/v1/tasks/{tid}/complete", json={})
    assert refused.status_code == 400 and "X-CSRF-Token" in refused.get_json()["message"]
    assert "formulaire" not in refused.get_json()["message"]
    # An endpoint that does not take the method: 405, whatever the token; an unknown one: 404.
    refused = client.delete("/api/v1/tasks")
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET" and refused.is_json
    assert client.post("/api/v1/cases").status_code == 405
    assert client.delete("/api/v1/nothing-here").status_code == 404
    response = client.post(f"/api/v1/tasks/{tid}/complete", json={}, headers={"X-CSRF-Token": csrf(client)})
    assert response.status_code == 422


def test_cases_are_filtered_for_professionals(app, client, seeded):
    reference = seeded["Jeune H."]
    full = client.get(f"/api/v1/cases/{reference}", headers=basic("anne")).get_json()
    assert "request" in full and len(full["plans"][0]["actions"]) == 3
    partial = client.get(f"/api/v1/cases/{reference}", headers=basic("lea")).get_json()
    assert "request" not in partial and [a["carrier"] for a in partial["plans"][0]["actions"]] == ["lea"]
    assert partial["messages"] == []
    listed = client.get("/api/v1/cases", headers=basic("lea")).get_json()
    assert reference in [c["reference"] for c in listed["cases"]]
    assert client.get(f"/api/v1/cases/{reference}", headers=basic("marc")).status_code == 404
    assert client.get("/api/v1/cases", headers=basic("chantal")).status_code == 403


def test_a_case_carries_its_plan_s_participants_and_reports_as_the_page_shows_them(app, client, seeded):
    reference = seeded["Jeune J."]  # at the evaluation, after three reports
    plan = client.get(f"/api/v1/cases/{reference}", headers=basic("anne")).get_json()["plans"][0]
    assert len(plan["participants"]) >= 2 and {"name", "organisation", "kind"} <= set(plan["participants"][0])
    assert all(len(a["reports"]) == 1 and a["reports"][0]["result"] for a in plan["actions"])
    assert {"how", "duration"} <= set(plan["actions"][0])
    carriers = {a["carrier"] for a in plan["actions"]}
    partner = sorted(carriers)[0]
    theirs = client.get(f"/api/v1/cases/{reference}", headers=basic(partner)).get_json()["plans"][0]
    reports = [(a["carrier"], r["by"]) for a in theirs["actions"] for r in a["reports"]]
    assert reports and all(partner in pair for pair in reports), reports  # another's report is not theirs to read


def test_task_titles_and_errors_follow_accept_language(app, client, seeded):
    reference = seeded["Jeune A."]
    french = client.get(f"/api/v1/tasks?case={reference}", headers=basic("anne")).get_json()["tasks"]
    english = client.get(f"/api/v1/tasks?case={reference}",
                         headers={**basic("anne"), "Accept-Language": "en-GB,en;q=0.9"}).get_json()["tasks"]
    assert [t["title"] for t in french] == ["Vérifier la demande"]
    assert [t["title"] for t in english] == ["Verify the request"]
    assert [t["step"] for t in english] == ["verify_request"]  # identifiers never change
    dutch_first = client.get(f"/api/v1/tasks?case={reference}",
                             headers={**basic("anne"), "Accept-Language": "nl-BE,fr;q=0.8,en;q=0.5"}).get_json()
    assert [t["title"] for t in dutch_first["tasks"]] == ["Vérifier la demande"]
    missing = client.get("/api/v1/tasks/no-such-task", headers={**basic("anne"), "Accept-Language": "en"})
    assert missing.status_code == 404
    assert missing.get_json()["message"] != client.get("/api/v1/tasks/no-such-task",
                                                         headers=basic("anne")).get_json()["message"]
    # Pages keep French until the switch is used, whatever the browser asks for.
    login(client, "anne")
    assert "Vérifier la demande" in client.get("/inbox", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_a_refused_completion_says_so_in_the_clients_language(app, client, seeded):
    reference = seeded["Jeune H."]
    tid = task_id(app, reference, "acknowledge_youth_message")
    refused = client.post(f"/api/v1/tasks/{tid}/complete", json={"inform": ["sophie"]}, headers=basic("anne"))
    body = refused.get_json()
    assert refused.status_code == 422 and body["error"] == "invalid_form"
    assert body["message"] == "Certaines valeurs ne sont pas valides."
    assert body["fields"] == [{"path": "response", "message": "Ce champ est obligatoire."}]
    english = client.post(f"/api/v1/tasks/{tid}/complete", json={"inform": ["sophie"]},
                          headers={**basic("anne"), "Accept-Language": "en"}).get_json()
    assert english["message"] == "Some values are not valid."
    assert english["fields"] == [{"path": "response", "message": "This field is required."}]


def test_json_nested_too_deeply_is_a_bad_request(app, client, seeded):
    tid = task_id(app, seeded["Jeune H."], "acknowledge_youth_message")
    for depth in (65, 900, 100_000):  # past what a form needs, near and past the parser's own limit
        body = '{"response": ' + "[" * depth + "]" * depth + "}"
        response = client.post(f"/api/v1/tasks/{tid}/complete", data=body, content_type="application/json",
                               headers=basic("anne"))
        assert response.status_code in (400, 422), (depth, response.status_code)
        assert response.get_json()["error"] in ("bad_request", "invalid_form")
    assert task_id(app, seeded["Jeune H."], "acknowledge_youth_message") == tid


def test_json_text_with_a_lone_surrogate_is_refused(app, client, seeded):
    # "\ud800" is valid JSON but no Unicode text: no database stores it (it answered 500).
    tid = task_id(app, seeded["Jeune H."], "acknowledge_youth_message")
    for body in ('{"response": "a\\ud800b", "inform": ["sophie"]}', '{"inform": ["sophie"], "r\\udc00": 1}'):
        response = client.post(f"/api/v1/tasks/{tid}/complete", data=body, content_type="application/json",
                               headers=basic("anne"))
        assert response.status_code == 422 and response.get_json()["error"] == "invalid_form"
    fine = client.post(f"/api/v1/tasks/{tid}/complete", json={"response": "Reçu 🙂 \U0001F600", "inform": ["sophie"]},
                       headers=basic("anne"))
    assert fine.status_code == 200
