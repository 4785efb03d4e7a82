"""A null character in anything sent (PostgreSQL refuses it in text): a clear 400, nothing saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from workflows.models import CaseNote

from .conftest import csrf, login, post, task_id, text

NUL = "Texte collé\x00 depuis un autre programme"


def _notes(app) -> int:
    with app.db.transaction(write=False) as session:
        return session.scalar(select(func.count(CaseNote.id)))


def test_a_null_character_is_refused_with_a_clear_answer_everywhere(app, client, seeded):
    reference = seeded["Jeune H."]
    assert post(client, "/login", {"username": "anne\x00", "password": "x"}).status_code == 400
    login(client, "anne")
    before = _notes(app)
    note = post(client, f"/cases/{reference}/notes", {"text": NUL})
    assert note.status_code == 400 and "caractère nul (U+0000)" in text(note) and "Rien n'a été enregistré" in text(note)
    assert _notes(app) == before
    task = task_id(app, reference, "acknowledge_youth_message")
    sent = [
        post(client, "/cases/", {"q": NUL}),
        client.get("/inbox?case=CM-%00"),
        client.get("/cases/CM-%00"),
        post(client, "/cases/new", {"youth_pseudonym": NUL, "age_band": "12-15"}),
        post(client, f"/tasks/{task}", {"action": "complete", "note": NUL}),
        post(client, f"/tasks/{task}", {"action": "complete", "note": ["ok", NUL]}),  # a second value
        post(client, f"/tasks/{task}", {"action": "complete", NUL: "ok"}),  # a field's name
        post(client, "/account/password", {"current_password": NUL, "new_password": NUL, "new_password_again": NUL}),
    ]
    assert [response.status_code for response in sent] == [400] * len(sent)
    api = client.post(f"/api/v1/tasks/{task}/complete", json={"items": [{"note": NUL}]},
                      headers={"X-CSRF-Token": csrf(client)})
    assert api.status_code == 400 and api.get_json()["error"] == "null_character"
    assert task_id(app, reference, "acknowledge_youth_message") == task  # still open


def test_basic_credentials_with_a_null_character_are_refused(client):
    import base64

    token = base64.b64encode(b"anne\x00:demo-casework").decode()
    response = client.get("/api/v1/tasks", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 400 and response.get_json()["error"] == "null_character"


@pytest.mark.parametrize("value", ["Élise, 15 ans — « ça va »", "tab\tand\nnewline", "emoji 🙂"])
def test_other_unusual_text_goes_through(app, client, seeded, value):
    login(client, "anne")
    before = _notes(app)
    assert post(client, f"/cases/{seeded['Jeune H.']}/notes", {"text": value}).status_code == 302
    assert _notes(app) == before + 1
