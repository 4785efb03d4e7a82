"""Process owners' pages: versions, edit, upload, check, deploy, migrate; every role; never a 500."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from engine.bundles import Bundle
from engine.models import AuditEvent, ProcessInstance, ProcessVersion

from ..conftest import BPMN_DIR
from .conftest import login, post, text

MAIN = "case_management.bpmn"


def _shorter(xml: str) -> str:
    return xml.replace('<bpmn:timeDuration>"P21D"', '<bpmn:timeDuration>"P14D"')


def _versions(app) -> int:
    with app.db.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(ProcessVersion))


def _upload(client, files, action="check"):
    data = {"action": action, "files": [(io.BytesIO(content), name) for name, content in files]}
    return post(client, "/processes/case_management/upload", data, content_type="multipart/form-data")


@pytest.mark.parametrize("username", ["anne", "sophie", "chantal"])
def test_processes_pages_are_for_process_owners_only(client, username):
    login(client, username)
    for url in ("/processes/", "/processes/case_management/", "/processes/case_management/edit",
                "/processes/case_management/migrate", "/processes/case_management/versions/1"):
        assert client.get(url).status_code == 403, url
    assert post(client, "/processes/case_management/edit", {"action": "deploy"}).status_code == 403


def test_processes_anonymous_is_sent_to_sign_in(client):
    assert client.get("/processes/").status_code == 302


def test_processes_versions_page_shows_number_author_hash_and_running_cases(client, app, seeded):
    login(client, "paul")
    assert client.get("/").headers["Location"].endswith("/processes/")
    page = text(client.get("/processes/case_management/"))
    with app.db.transaction(write=False) as session:
        version = session.scalar(select(ProcessVersion))
    assert "v1" in page and version.content_hash[:12] in page and "tests" in page
    running = re.search(r'data-version="1">.*?<td class="running">(\d+)</td>', page, re.S).group(1)
    assert int(running) >= 10
    for pseudonym in seeded:  # no named case content
        assert pseudonym not in page
    diagram = client.get("/processes/case_management/versions/1")
    assert diagram.status_code == 200 and "<svg" in text(diagram)
    # Which cases run on it and where each stands: references and steps, no youth's name.
    listed = " ".join(text(diagram).split())
    assert f"Dossiers en cours sur cette version ({running})" in listed
    assert f"<code>{seeded['Jeune J.']}</code></td> <td>Évaluation du plan</td>" in listed
    assert not any(pseudonym in listed for pseudonym in seeded)


def test_processes_edit_page_has_the_modeler_and_form_previews(client):
    login(client, "paul")
    page = text(client.get("/processes/case_management/edit"))
    assert 'id="process-form">' in page  # nothing changed yet: leaving does not ask
    assert 'id="canvas"' in page and "bpmn-modeler.production.min.js" in page
    assert "forms/verify_request.json" in page and "Âge du jeune" in page  # the preview of the form
    asset = client.get("/processes/vendor/bpmn-js/bpmn-modeler.production.min.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000


def test_processes_validate_lists_every_problem_and_deploys_nothing(client, app):
    login(client, "paul")
    xml = Bundle.from_directory(BPMN_DIR).files[MAIN]
    broken = xml.replace('"P21D"</bpmn:timeDuration>', "P21D</bpmn:timeDuration>").replace(
        'consent == "given"</bpmn:conditionExpression>', '${consent}</bpmn:conditionExpression>')
    response = post(client, "/processes/case_management/edit", {"action": "deploy", "bpmn": broken})
    assert response.status_code == 422
    page = text(response)
    assert 'la minuterie (timeDuration) « P21D » doit être écrite entre guillemets : "P21D"' in page
    assert "c'est une expression Camunda (JUEL)" in page and "écrivez consent" in page
    assert "concertation_reminder" in page and "f_consent_given" in page
    post(client, "/language", {"lang": "en"})
    page = text(post(client, "/processes/case_management/edit", {"action": "deploy", "bpmn": broken}))
    assert 'write the value in quotes, like "P21D"' in page and "this is a Camunda (JUEL) expression" in page
    assert _versions(app) == 1


def test_processes_dry_run_then_deploy_from_the_editor(client, app):
    login(client, "paul")
    xml = _shorter(Bundle.from_directory(BPMN_DIR).files[MAIN])
    checked = post(client, "/processes/case_management/edit", {"action": "check", "bpmn": xml})
    assert checked.status_code == 200
    assert 'id="process-form" data-unsaved>' in text(checked)  # checked, not deployed: leaving asks first
    assert "Le parcours à blanc est allé jusqu'à la fin du processus." in text(checked)
    assert "déclenchée à son échéance" in text(checked) and "fired" not in text(checked)  # the walk's timers, in French
    # A service step says what it does, not its call: the notice a reminder sends, by its title.
    # A service step says what it does, not its call: the notice a reminder sends, by its title.
    assert ("Rappeler la concertation au gestionnaire <span class=\"muted\">envoie la notification « Rappel : la "
            "concertation n'a pas encore eu lieu »</span>") in text(checked)
    assert "notify(" not in text(checked)
    walk = text(checked).split('<ol class="walk">')[1].split("</ol>")[0]
    assert "Vérifier la demande" in walk
    post(client, "/language", {"lang": "en"})  # in English, its user tasks as the inbox names them
    english = text(post(client, "/processes/case_management/edit", {"action": "check", "bpmn": xml}))
    walk = english.split('<ol class="walk">')[1].split("</ol>")[0]
    assert "Verify the request" in walk and "Vérifier la demande" not in walk
    post(client, "/language", {"lang": "fr"})
    assert _versions(app) == 1
    deployed = post(client, "/processes/case_management/edit", {"action": "deploy", "bpmn": xml, "note": "rappel"})
    assert deployed.status_code == 302
    assert _versions(app) == 2
    page = text(client.get("/processes/case_management/"))
    assert 'minuterie : "P21D" → "P14D"' in page and "paul" in page


def test_processes_edited_form_is_checked_and_deployed(client, app):
    login(client, "paul")
    files = Bundle.from_directory(BPMN_DIR).files
    form = files["forms/exit_case.json"].replace('"title": "Sortie du dispositif"', '"title": "Sortie"', 1)
    response = post(client, "/processes/case_management/edit",
                    {"action": "deploy", "bpmn": files[MAIN], "file:forms/exit_case.json": form})
    assert response.status_code == 302 and _versions(app) == 2
    bad = post(client, "/processes/case_management/edit",
               {"action": "deploy", "bpmn": files[MAIN], "file:forms/exit_case.json": "{not json"})
    assert bad.status_code == 422 and "le formulaire n'est pas du JSON valide" in text(bad) and _versions(app) == 2
    # A form that is JSON but no object, used by a task or not yet, or nested past the parser's
    # depth: each a problem with its file (they were 500s).
    deep = "[" * 1000 + "]" * 1000
    for content, expected in (("[]", "pas un JSON Schema valide"), (deep, "imbriqué trop profondément")):
        for action in ("validate", "deploy"):
            response = post(client, "/processes/case_management/edit",
                            {"action": action, "bpmn": files[MAIN], "file:forms/exit_case.json": content})
            assert response.status_code == 422, (content[:9], response.status_code)
            assert expected in text(response) and "forms/exit_case.json" in text(response)
    uploads = [("case_management.bpmn", files[MAIN].encode())]
    for name, content, expected in (("new_form.json", "null", "doit décrire un objet"),
                                    ("new_form.json", '"x"', "doit décrire un objet"),
                                    ("verify_request.json", deep, "imbriqué trop profondément")):
        response = _upload(client, [*uploads, (name, content.encode())], action="validate")
        assert response.status_code == 422, (name, content[:9], response.status_code)
        assert expected in text(response) and name in text(response)
    assert _versions(app) == 2


@pytest.mark.parametrize("name,content,expected", [
    ("diagram.bpmn", b"\x89PNG\r\n\x1a\n\x00\x00binary", "ce n'est pas un fichier texte"),
    ("diagram.bpmn", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
     "les déclarations DOCTYPE et ENTITY ne sont pas autorisées"),
    ("diagram.bpmn", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "ce n'est pas un diagramme BPMN 2.0"),
    ("notes.txt", b"hello", "seuls les diagrammes .bpmn"),
    ("diagram.bpmn", b"<a>" + b"x" * (2 * 1024 * 1024 + 10) + b"</a>", "le fichier est trop gros"),
])
def test_processes_upload_refuses_bad_files_readably(client, app, name, content, expected):
    login(client, "paul")
    response = _upload(client, [(name, content)], action="deploy")
    assert response.status_code in (413, 422), response.status_code
    if response.status_code == 422:
        assert expected in text(response)
    assert _versions(app) == 1


def test_processes_upload_of_nothing_says_so_in_a_sentence(client, app):
    login(client, "paul")
    page = " ".join(text(_upload(client, [], action="check")).split())
    assert "Non déployé : 1 problème à corriger." in page
    assert "Choisissez au moins un fichier à envoyer" in page


def test_processes_upload_of_a_diagram_deploys_it(client, app):
    login(client, "paul")
    xml = _shorter(Bundle.from_directory(BPMN_DIR).files[MAIN]).encode()
    response = _upload(client, [("exported-from-camunda.bpmn", xml)], action="deploy")
    assert response.status_code == 302, text(response)[:2000]
    with app.db.transaction(write=False) as session:
        latest = session.scalar(select(ProcessVersion).order_by(ProcessVersion.number.desc()).limit(1))
        assert latest.number == 2 and "exported-from-camunda.bpmn" in latest.files and MAIN not in latest.files
        assert "forms/verify_request.json" in latest.files


def test_processes_migrate_preview_then_move_chosen_cases(client, app, seeded):
    login(client, "paul")
    xml = _shorter(Bundle.from_directory(BPMN_DIR).files[MAIN])
    assert post(client, "/processes/case_management/edit", {"action": "deploy", "bpmn": xml}).status_code == 302
    page = text(client.get("/processes/case_management/migrate?to=2"))
    keys = re.findall(r'name="case" value="(CM-[A-Z0-9]+)"', page)
    assert len(keys) >= 10 and "repart de zéro" in page and "sont perdues" in page
    chosen = keys[:2]
    moved = post(client, "/processes/case_management/migrate", {"to": "2", "case": chosen})
    assert moved.status_code == 200 and text(moved).count("data-case=") == 2
    with app.db.transaction(write=False) as session:
        on_two = set(session.scalars(select(ProcessInstance.business_key).join(ProcessVersion)
                                     .where(ProcessVersion.number == 2)))
        assert on_two == set(chosen)
        audited = set(session.scalars(select(AuditEvent.business_key).where(AuditEvent.kind == "instance_migrated")))
        assert audited == set(chosen)


def test_processes_versions_page_lists_cases_stopped_in_error(app):
    from web import create_app
    from workflows import cases, demo
    from workflows.users import find_active

    with app.db.transaction() as session:
        case = cases.start_case(session, app.runtime, actor=find_active(session, "anne"), requester_kind="family",
                                youth_pseudonym="Jeune E.", age_band="12-15", region="Brabant wallon")
        app.runtime.mark_error(session, case.instance_id, "timer expression failed: 'remind_from'", "action_overdue")
        reference = case.reference
    client = create_app({"CASEWORK": app, "SECRET_KEY": "t", "TESTING": True}).test_client()
    with client.session_transaction() as s:
        s["csrf"] = "t"
    client.post("/login", data={"csrf_token": "t", "username": "paul", "password": demo.DEMO_PASSWORD})
    page = client.get("/processes/case_management/").get_data(as_text=True)
    assert "Dossiers arrêtés sur une erreur" in page
    assert reference in page and "Action en retard" in page and "remind_from" in page
