"""Numbers in URLs beyond what a row can have: a page not found or the last page, never an error
of the database (PostgreSQL's integer, SQLite's 64 bits); a page that is no number is the first
page for a person, a 400 for an API client."""

from __future__ import annotations

import pytest

from .conftest import login, post

HUGE = "9" * 20


@pytest.mark.parametrize("who,method,url,expected", [
    ("anne", "POST", f"/notifications/{HUGE}/open", 404),
    ("anne", "POST", "/notifications/0/open", 404),
    ("paul", "GET", f"/processes/case_management/versions/{HUGE}", 404),
    ("paul", "GET", f"/processes/case_management/versions/{HUGE}/files/case_management.bpmn", 404),
    ("anne", "GET", f"/cases/?page={HUGE}", 200),
    ("anne", "GET", f"/inbox?page={HUGE}", 200),
    ("anne", "GET", f"/api/v1/tasks?page={HUGE}", 200),
    ("anne", "GET", f"/api/v1/cases?page={HUGE}", 200),
    ("anne", "GET", "/cases/?page=-3", 200),
    ("anne", "GET", "/api/v1/cases?page=deux", 400),  # the API names a value it does not take
])
def test_a_number_no_row_can_have_in_a_url(client, who, method, url, expected):
    login(client, who)
    response = client.get(url) if method == "GET" else post(client, url)
    assert response.status_code == expected, response.data[:300]


@pytest.mark.parametrize("value", [HUGE, "²", "-4", "0", "x"])
def test_a_number_no_row_can_have_in_a_form_or_query(client, seeded, value):
    login(client, "chantal")  # the outbox: retry e-mails by id
    assert post(client, "/notifications/outbox/retry", {"id": value}).status_code == 400  # none named
    post(client, "/logout")
    login(client, "paul")  # moving cases to a version by its number
    assert client.get(f"/processes/case_management/migrate?to={value}").status_code == 200  # the latest
    moved = post(client, "/processes/case_management/migrate", {"to": value, "case": "CM-NOPE00"})
    assert moved.status_code == 302 and moved.location.endswith("/migrate")  # 'choose the cases to move'
