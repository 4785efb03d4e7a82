"""The task page: fields drawn from the schema, completion, errors kept, drafts, rows, races, escaping."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from engine.models import AuditEvent, HumanTask
from workflows import demo
from workflows.models import FormSubmission, PlanVersion

from .conftest import form_data, login, post, post_fields, task_id, text


def _sample(app, reference, step, **options):
    from workflows.cases import get_case

    with app.db.transaction(write=False) as session:
        return demo.sample(session, app.runtime, get_case(session, reference), step, **options)


def test_task_page_draws_every_kind_of_field_and_audits_the_view(app, client, seeded):
    reference = seeded["Jeune A."]
    tid = task_id(app, reference, "verify_request")
    login(client, "anne")
    page = text(client.get(f"/tasks/{tid}"))
    assert "Vérifier la demande" in page and reference in page
    assert 'type="number"' in page and 'name="youth_age"' in page  # integer
    assert 'type="radio" name="lives_in_region" value="true"' in page  # boolean as yes/no
    assert 'name="consents.0.person"' in page and "<select" in page  # rows with enum selects
    assert 'name="consents.0.date"' in page and 'type="date"' in page
    assert "<textarea" in page  # textarea and one-per-line lists
    assert "Vérifiez les critères du dispositif" in page  # instructions
    with app.db.transaction(write=False) as session:
        kinds = list(session.scalars(select(AuditEvent.kind).where(AuditEvent.business_key == reference,
                                                                   AuditEvent.actor == "anne")))
    assert "task_viewed" in kinds


def test_complete_a_task_from_the_form(app, client, seeded):
    reference = seeded["Jeune A."]
    tid = task_id(app, reference, "verify_request")
    login(client, "anne")
    response = post_fields(client, f"/tasks/{tid}", form_data(_sample(app, reference, "verify_request"))
                           + [("action", "complete")])
    assert response.status_code == 302, text(response)[-2000:]
    assert response.location == f"/inbox?case={reference}"  # the next step is hers: that case's tasks
    assert task_id(app, reference, "clarification_interview")
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(FormSubmission)
                              .where(FormSubmission.task_id == tid)) == 1


def test_invalid_form_is_422_with_errors_beside_fields_and_values_kept(app, client, seeded):
    reference = seeded["Jeune A."]
    tid = task_id(app, reference, "verify_request")
    login(client, "anne")
    data = _sample(app, reference, "verify_request")
    data["youth_age"] = "douze"
    data.pop("lives_in_region")
    response = post_fields(client, f"/tasks/{tid}", form_data(data) + [("action", "complete")])
    page = text(response)
    assert response.status_code == 422
    assert 'id="f-youth_age-error"' in page and "Valeur invalide" in page
    assert 'value="douze"' in page  # what was typed is still there
    assert "Ce champ est obligatoire." in page
    assert '<a href="#f-lives_in_region">Vit dans la région du réseau</a>' in page  # the summary names labels
    assert task_id(app, reference, "verify_request") == tid  # nothing moved


def _verification_signed_in(app, client, seeded) -> tuple[str, dict]:
    """Anne on a case's verification: its task id and a valid sample of its form."""
    reference = seeded["Jeune A."]
    login(client, "anne")
    return task_id(app, reference, "verify_request"), _sample(app, reference, "verify_request")


def _summary(response) -> str:
    """The error summary of a task page, as a person reads it."""
    return text(response).split('id="error-summary"')[1].split("</ul>")[0]


def test_the_error_summary_lists_the_errors_in_the_order_of_the_form(app, client, seeded):
    tid, data = _verification_signed_in(app, client, seeded)
    for name in ("clarification_interview", "youth_age"):  # the last field and the first
        data.pop(name)
    data["consents"][0].pop("person")  # in a row, in the middle of the form
    summary = _summary(post_fields(client, f"/tasks/{tid}", form_data(data) + [("action", "complete")]))
    assert re.findall(r'<a href="#([^"]+)">', summary) == ["f-youth_age", "f-consents-0-person",
                                                          "f-clarification_interview"]
    assert "Consentements (le jeune et chaque représentant légal), ligne 1 : Personne</a>" in summary


def test_the_error_summary_counts_its_errors_in_words(app, client, seeded):
    tid, data = _verification_signed_in(app, client, seeded)
    data.pop("youth_age")
    one = form_data(data) + [("action", "complete")]
    data.pop("clarification_interview")
    two = form_data(data) + [("action", "complete")]
    assert "Veuillez corriger 1 erreur :" in text(post_fields(client, f"/tasks/{tid}", one))
    assert "Veuillez corriger 2 erreurs :" in text(post_fields(client, f"/tasks/{tid}", two))
    post(client, "/language", {"lang": "en", "next": "/"})
    assert "Please correct 1 error:" in text(post_fields(client, f"/tasks/{tid}", one))
    assert "Please correct 2 errors:" in text(post_fields(client, f"/tasks/{tid}", two))


def test_the_error_summary_writes_its_colons_as_each_language_does(app, client, seeded):
    tid, data = _verification_signed_in(app, client, seeded)
    data.pop("youth_age")
    data["consents"][0].pop("person")
    posted = form_data(data) + [("action", "complete")]
    french = _summary(post_fields(client, f"/tasks/{tid}", posted))
    assert ">Âge du jeune</a> : Ce champ est obligatoire.</li>" in french
    assert "légal), ligne 1 : Personne</a> : Ce champ est obligatoire.</li>" in french
    post(client, "/language", {"lang": "en", "next": "/"})
    english = _summary(post_fields(client, f"/tasks/{tid}", posted))
    assert ">Youth's age</a>: This field is required.</li>" in english
    assert "representative), row 1: Person</a>: This field is required.</li>" in english
    assert " :" not in english


def test_draft_is_saved_and_offered_again(app, client, seeded):
    reference = seeded["Jeune E."]
    tid = task_id(app, reference, "clarification_interview")
    login(client, "anne")
    response = post(client, f"/tasks/{tid}", {"needs": "Un brouillon à reprendre", "action": "draft"})
    assert response.status_code == 302
    page = text(client.get(f"/tasks/{tid}"))
    assert "Un brouillon à reprendre" in page and "Brouillon enregistré" in page


def test_rows_are_added_and_removed_without_javascript(app, client, seeded):
    reference = seeded["Jeune G."]
    tid = task_id(app, reference, "concertation")
    login(client, "anne")
    page = text(post(client, f"/tasks/{tid}", {"objectives._present": "1", "objectives.0._row": "1",
                                               "objectives.0.key": "O1", "_add": "objectives"}))
    assert 'name="objectives.1.key"' in page and 'value="O1"' in page
    page = text(post(client, f"/tasks/{tid}", {"objectives._present": "1", "objectives.0._row": "1",
                                               "objectives.0.key": "O1", "objectives.1._row": "1",
                                               "objectives.1.key": "O2", "_remove": "objectives.0"}))
    assert 'name="objectives.1.key"' not in page and 'value="O2"' in page


def test_concertation_with_two_objectives_and_three_actions(app, client, seeded):
    reference = seeded["Jeune G."]
    tid = task_id(app, reference, "concertation")
    login(client, "anne")
    response = post_fields(client, f"/tasks/{tid}", form_data(_sample(app, reference, "concertation"))
                           + [("action", "complete")])
    assert response.status_code == 302, text(response)[-3000:]
    with app.db.transaction(write=False) as session:
        plan = session.scalar(select(PlanVersion).join(PlanVersion.objectives).limit(1))
        assert plan is not None
    assert task_id(app, reference, "report_action", "sophie")


def test_task_completed_meanwhile_says_so_and_links_to_the_case(app, client, seeded):
    reference = seeded["Jeune A."]
    tid = task_id(app, reference, "verify_request")
    login(client, "anne")
    fields = form_data(_sample(app, reference, "verify_request"))
    with app.db.transaction() as session:  # marc, covering for anne, completes it meanwhile
        from workflows.cases import get_case, reassign
        from workflows.users import find_active

        anne, marc = find_active(session, "anne"), find_active(session, "marc")
        reassign(session, get_case(session, reference), actor=anne, to=marc, now=app.clock.now())
        demo.advance(session, app.runtime, get_case(session, reference), "verify_request")
        reassign(session, get_case(session, reference), actor=marc, to=anne, now=app.clock.now())
    response = post_fields(client, f"/tasks/{tid}", fields + [("action", "complete")])
    page = " ".join(text(response).split())
    assert response.status_code == 409
    assert "Marc Dubois a terminé cette tâche le" in page
    assert "avant vous : rien de votre envoi n'a été enregistré" in page
    assert f'href="/cases/{reference}"' in page
    assert "Âge du jeune : 14" in page  # what was typed is shown, by its label, not lost
    assert "Vit dans la région du réseau : Oui" in page and ", ligne 1 : Personne : Le jeune" in page
    assert re.search(r", ligne 1 : Date : \d\d/\d\d/\d{4}<", page)  # a date as the pages write dates
    assert "youth_age" not in page


def test_a_task_one_completed_opened_again_says_so_and_links_to_the_case(app, client, seeded):
    # The Back button after completing: not "this page does not exist".
    reference = seeded["Jeune A."]
    tid = task_id(app, reference, "verify_request")
    login(client, "anne")
    fields = form_data(_sample(app, reference, "verify_request"))
    assert post_fields(client, f"/tasks/{tid}", fields + [("action", "complete")]).status_code == 302
    response = client.get(f"/tasks/{tid}")
    page = " ".join(text(response).split())
    assert response.status_code == 410 and "Vous avez terminé cette tâche le" in page
    assert f'href="/cases/{reference}"' in page
    response = post_fields(client, f"/tasks/{tid}", fields + [("action", "complete")])  # sent again
    assert response.status_code == 409 and "Vous aviez déjà terminé cette tâche" in text(response)
    # Sent from a second tab, what it says is not what was saved: the page says so.
    assert "Ce que vous venez de saisir, non enregistré, est ci-dessous" in text(response)
    other = client.application.test_client()
    login(other, "marc")  # a case he may not see: nothing said about it
    assert other.get(f"/tasks/{tid}").status_code == 404


def test_html_typed_in_a_field_is_shown_as_text(app, client, seeded):
    reference = seeded["Jeune E."]
    tid = task_id(app, reference, "clarification_interview")
    login(client, "anne")
    post(client, f"/tasks/{tid}", {"needs": "<script>alert('x')</script>", "action": "draft"})
    raw = client.get(f"/tasks/{tid}").get_data(as_text=True)
    assert "<script>alert" not in raw and "&lt;script&gt;alert" in raw
    post(client, f"/cases/{reference}/notes", {"text": "<b onmouseover=alert(1)>gras</b>"})
    raw = client.get(f"/cases/{reference}").get_data(as_text=True)
    assert "<b onmouseover" not in raw and "&lt;b onmouseover=alert(1)&gt;" in raw


def test_claim_release_and_someone_else_cannot_complete_a_claimed_task(app, client, seeded):
    reference = seeded["Jeune H."]
    tid = task_id(app, reference, "report_action", "sophie")
    login(client, "sophie")
    # Taking is optional, and the page says so (a partner who signs in once a month asked).
    assert "Facultatif : vous pouvez la terminer sans la prendre." in text(client.get(f"/tasks/{tid}"))
    assert post(client, f"/tasks/{tid}/claim").status_code == 302
    page = " ".join(text(client.get(f"/tasks/{tid}")).split())
    # People by name, never by username.
    assert "Pris par Sophie Renard" in page and "Attribuée à <strong>Sophie Renard" in page
    assert "</strong> ; prise par <strong>Sophie Renard" in page and "par sophie" not in page
    other = client.application.test_client()
    login(other, "anne")
    assert post(other, f"/tasks/{tid}/claim").status_code == 409  # already taken by sophie
    response = post_fields(other, f"/tasks/{tid}", form_data(_sample(app, reference, "report_action"))
                           + [("action", "complete")])
    assert response.status_code == 409 and "Sophie Renard a pris cette tâche" in text(response)
    assert post(other, f"/tasks/{tid}/release").status_code == 302  # the case manager may release
    response = post_fields(other, f"/tasks/{tid}", form_data(_sample(app, reference, "report_action"))
                           + [("action", "complete")])
    assert response.status_code == 302


def test_one_s_own_step_nobody_took_offers_no_release_and_a_release_says_nothing_changed(app, client, seeded):
    # "La libérer" on anne's own evaluation, untaken, said "Tâche libérée." and changed nothing.
    reference = seeded["Jeune J."]
    tid = task_id(app, reference, "evaluation")
    login(client, "anne")
    page = text(client.get(f"/tasks/{tid}"))
    assert "La libérer" not in page and "Prendre cette tâche" not in page
    response = post(client, f"/tasks/{tid}/release")
    assert "Personne n'avait pris cette tâche : rien n'a changé." in text(client.get(response.location))


def test_a_partner_whose_task_the_case_manager_took_is_told_before_typing_and_loses_nothing(app, client, seeded):
    reference = seeded["Jeune H."]
    tid = task_id(app, reference, "report_action", "sophie")
    manager = client.application.test_client()
    login(manager, "anne")
    assert post(manager, f"/tasks/{tid}/claim").status_code == 302
    login(client, "sophie")
    page = " ".join(text(client.get(f"/tasks/{tid}")).split())
    assert "Anne Lambert a pris cette tâche" in page and "Vous pouvez enregistrer un brouillon" in page
    assert 'value="complete" disabled' in page  # the button says so before anything is typed
    # Taken while she typed (her page loaded before): her values come back, with the reason, in French.
    fields = [("status", "done"), ("result", "Rendez-vous pris <b>le 3</b>"), ("action", "complete")]
    response = post_fields(client, f"/tasks/{tid}", fields)
    page = text(response)
    assert response.status_code == 409 and "Anne Lambert a pris cette tâche" in page
    assert "Rendez-vous pris &lt;b&gt;le 3&lt;/b&gt;" in response.get_data(as_text=True)  # kept, as text
    assert "this task" not in page
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(FormSubmission)
                              .where(FormSubmission.task_id == tid)) == 0
    assert post_fields(client, f"/tasks/{tid}", fields[:2] + [("action", "draft")]).status_code == 302
    assert "Rendez-vous pris" in text(client.get(f"/tasks/{tid}"))


def test_handing_a_case_over_from_its_task_goes_back_to_the_inbox(app, client, seeded):
    reference = seeded["Jeune A."]
    tid = task_id(app, reference, "verify_request")
    login(client, "anne")
    asked = post(client, f"/tasks/{tid}/reassign", {"to": "marc"})  # the whole case: asked once more
    page = text(asked)
    assert asked.status_code == 200 and f"Confier le dossier {reference} à Marc Dubois ?" in page
    assert "Vous ne verrez plus ce dossier" in page and f'action="/tasks/{tid}/reassign"' in page
    assert f'href="/cases/{reference}"' in page  # "Annuler" leads back to the case, still hers
    assert reference in text(client.get(f"/cases/{reference}"))
    response = post(client, f"/tasks/{tid}/reassign", {"to": "marc", "confirm": "1"})
    assert response.status_code == 302 and response.location.endswith("/inbox")  # not the case she no longer has
    assert f"Dossier {reference} confié à Marc Dubois" in text(client.get("/inbox"))


def test_case_manager_reassigns_a_partner_action(app, client, seeded):
    reference = seeded["Jeune H."]
    tid = task_id(app, reference, "report_action", "sophie")
    login(client, "anne")
    assert 'name="to" required>\n        <option value="">— choisir —</option>' in text(client.get(f"/tasks/{tid}"))
    unchosen = post(client, f"/tasks/{tid}/reassign", {"to": ""})
    assert unchosen.status_code == 302 and "Choisissez à qui la confier." in text(client.get(unchosen.location))
    assert post(client, f"/tasks/{tid}/reassign", {"to": "tom"}).status_code == 302  # a partner's: not asked again
    history = " ".join(text(client.get(f"/cases/{reference}")).split("Historique")[1].split())
    # People by name in the history, never by username.
    assert "Tâche passée de Sophie Renard à Tom Janssens" in history and "· Anne Lambert</span>" in history
    assert "· anne" not in history and "par sophie" not in history
    login(client, "tom")
    assert reference in text(client.get("/inbox"))
    assert client.get(f"/tasks/{tid}").status_code == 200


def test_a_report_on_an_action_that_is_not_there_is_404_and_saves_nothing(app, client, seeded):
    from engine.models import HumanTask
    from workflows.models import ActionReport

    reference = seeded["Jeune H."]
    tid = task_id(app, reference, "report_action", "sophie")
    with app.db.transaction() as session:
        session.get(HumanTask, tid).item = {"id": 987654}
        reports = session.scalar(select(func.count()).select_from(ActionReport))
    login(client, "sophie")
    response = post_fields(client, f"/tasks/{tid}", form_data(_sample(app, reference, "report_action"))
                           + [("action", "complete")])
    assert response.status_code == 404
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(ActionReport)) == reports
        assert session.get(HumanTask, tid) is not None


def test_a_completion_reads_who_is_signed_in_with_the_task_it_holds(app, client, seeded):
    # The signed-in user rides in the statement that holds the case: no read of its own.
    from sqlalchemy import event

    reference = seeded["Jeune A."]
    tid = task_id(app, reference, "verify_request")
    login(client, "anne")
    fields = form_data(_sample(app, reference, "verify_request")) + [("action", "complete")]
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(app.db.write_engine, "before_cursor_execute", record)
    try:
        response = post_fields(client, f"/tasks/{tid}", fields)
    finally:
        event.remove(app.db.write_engine, "before_cursor_execute", record)
    assert response.status_code == 302, text(response)[-2000:]
    assert seen[0].startswith("SELECT process_instance") and "app_user" in seen[0], seen[0][:200]
    assert not any(s.startswith("SELECT app_user") for s in seen), [s[:80] for s in seen]


def test_a_user_disabled_meanwhile_cannot_complete_and_nothing_is_saved(app, client, seeded):
    from workflows.users import set_active

    reference = seeded["Jeune A."]
    tid = task_id(app, reference, "verify_request")
    login(client, "anne")
    fields = form_data(_sample(app, reference, "verify_request")) + [("action", "complete")]
    with app.db.transaction() as session:
        set_active(session, "anne", False)
    response = post_fields(client, f"/tasks/{tid}", fields)
    assert response.status_code == 302 and response.location.startswith("/login")
    assert task_id(app, reference, "verify_request") == tid  # still open
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(FormSubmission)
                              .where(FormSubmission.task_id == tid)) == 0
    with client.session_transaction() as cookie:
        assert "uid" not in cookie  # signed out


def test_a_task_about_a_record_of_another_case_shows_none_of_it_and_is_refused(app, client, seeded):
    # What a task is about comes from the diagram: a report or an acknowledgement whose item
    # names a plan action or a youth message of another case must neither show it nor change it.
    from sqlalchemy import update

    from engine.models import HumanTask
    from workflows import cases, messages
    from workflows.models import ActionReport, PlanAction, YouthMessage
    from workflows.users import find_active

    mine, theirs = seeded["Jeune H."], seeded["Jeune I."]
    secret = "Plainte d'un autre dossier (fictif)."
    with app.db.transaction() as session:
        other = messages.record(session, app.runtime, user=find_active(session, "anne"),
                                case=cases.get_case(session, theirs), kind="complaint", text=secret)
        their_message = other.id
        their_action = session.scalar(select(HumanTask.item).where(
            HumanTask.business_key == theirs, HumanTask.spec_name == "report_action",
            HumanTask.assignee == "sophie"))["id"]
    report, acknowledgement = task_id(app, mine, "report_action", "sophie"), task_id(app, mine,
                                                                                    "acknowledge_youth_message")
    with app.db.transaction() as session:
        session.execute(update(HumanTask).where(HumanTask.id == report).values(item={"id": their_action}))
        session.execute(update(HumanTask).where(HumanTask.id == acknowledgement).values(item={"id": their_message}))

    login(client, "sophie")
    page = text(client.get(f"/tasks/{report}"))
    assert "L'action dont rendre compte" not in page
    response = post_fields(client, f"/tasks/{report}", form_data(_sample(app, mine, "report_action"))
                           + [("action", "complete")])
    assert response.status_code == 404 and "Traceback" not in text(response)
    client.post("/logout", data={"csrf_token": _csrf(client)})
    login(client, "anne")
    page = text(client.get(f"/tasks/{acknowledgement}"))
    assert secret not in page
    response = post_fields(client, f"/tasks/{acknowledgement}",
                           form_data(_sample(app, mine, "acknowledge_youth_message")) + [("action", "complete")])
    assert response.status_code == 404

    with app.db.transaction(write=False) as session:
        assert session.get(PlanAction, their_action).status == "open"
        assert session.scalar(select(func.count()).select_from(ActionReport)
                              .where(ActionReport.action_id == their_action)) == 0
        assert session.get(YouthMessage, their_message).acknowledged_at is None
        assert session.get(HumanTask, report) is not None and session.get(HumanTask, acknowledgement) is not None


def _csrf(client) -> str:
    with client.session_transaction() as browser_session:
        return browser_session.get("csrf", "")


def test_the_evaluation_shows_each_action_of_the_plan_with_its_status_and_report(app, client, seeded):
    reference = seeded["Jeune J."]  # every action reported on: the plan is up for evaluation
    login(client, "anne")
    page = text(client.get(f"/tasks/{task_id(app, reference, 'evaluation')}"))
    aside = page[page.index("Plan en vigueur"):]
    assert aside.count("Action menée comme prévu.") == 3  # each action's latest report
    assert "Sophie Renard" in aside and "Karim Haddad" in aside and "Léa Martin" in aside
    assert aside.count('<span class="badge ok">fait</span>') == 3


def test_a_partner_sees_the_action_they_report_on_and_not_the_plan_around_it(app, client, seeded):
    reference = seeded["Jeune H."]  # a plan being followed: one open report per partner
    login(client, "sophie")
    page = text(client.get(f"/tasks/{task_id(app, reference, 'report_action', 'sophie')}"))
    assert "dont rendre compte" in page and "Action 1 : reprendre une scolarité adaptée" in page
    assert "Plan en vigueur" not in page and "Karim Haddad" not in page


def test_a_plan_action_due_in_year_9999_is_a_field_error_not_a_crash(app, client, seeded):
    # Its reminder's timer counted past the calendar's end: the page answered 500 before.
    reference = seeded["Jeune G."]
    tid = task_id(app, reference, "concertation")
    login(client, "anne")
    assert 'type="date"' in text(client.get(f"/tasks/{tid}")) and 'min="1900-01-01" max="2100-12-31"' in text(
        client.get(f"/tasks/{tid}"))
    data = _sample(app, reference, "concertation")
    data["actions"][2]["due"] = "9999-12-31"
    response = post_fields(client, f"/tasks/{tid}", form_data(data) + [("action", "complete")])
    assert response.status_code == 422
    page = text(response)
    assert "Une date entre 1900 et 2100." in page and 'value="9999-12-31"' in page  # what was typed is kept
    assert task_id(app, reference, "concertation") == tid


def test_a_concertation_to_come_or_an_action_due_before_it_is_a_field_error(app, client, seeded):
    reference = seeded["Jeune G."]  # today is 02/03/2026 (the tests' clock)
    tid = task_id(app, reference, "concertation")
    login(client, "anne")
    data = _sample(app, reference, "concertation")
    data["held_on"], data["actions"][1]["due"] = "2026-03-03", "2026-03-02"
    response = post_fields(client, f"/tasks/{tid}", form_data(data) + [("action", "complete")])
    page = text(response)
    assert response.status_code == 422
    assert '<p class="field-error" id="f-held_on-error">Une date passée, ou aujourd\'hui.</p>' in page
    # One mistake, one error: the actions' dates are not weighed against a date refused.
    assert "Pas avant la date de la concertation" not in page and "Veuillez corriger 1 erreur" in page
    assert 'value="2026-03-03"' in page and 'value="2026-03-02"' in page  # what was typed is kept
    assert task_id(app, reference, "concertation") == tid  # nothing saved
    data["held_on"], data["actions"][1]["due"] = "2026-03-02", "2020-01-01"
    post(client, "/language", {"lang": "en", "next": "/"})
    page = text(post_fields(client, f"/tasks/{tid}", form_data(data) + [("action", "complete")]))
    assert "A date in the past, or today." not in page
    assert "Not before the date of the concertation (02/03/2026)." in page


def test_an_action_is_carried_by_a_partner_or_the_case_s_own_manager_not_another_manager(app, client, seeded):
    # Marc, given an action of anne's case, found its report in his inbox and a 404 on opening it.
    reference = seeded["Jeune G."]
    tid = task_id(app, reference, "concertation")
    login(client, "anne")
    page = text(client.get(f"/tasks/{tid}"))
    carrier_options = page.split('name="actions.0.carrier"')[1].split("</select>")[0]
    assert 'value="anne"' in carrier_options and 'value="sophie"' in carrier_options
    assert 'value="marc"' not in carrier_options
    data = _sample(app, reference, "concertation")
    data["actions"][1]["carrier"] = "marc"
    response = post_fields(client, f"/tasks/{tid}", form_data(data) + [("action", "complete")])
    assert response.status_code == 422
    assert "Marc Dubois gère d'autres dossiers que celui-ci" in text(response)
    assert task_id(app, reference, "concertation") == tid  # nothing saved
    data["actions"][1]["carrier"] = "sophie"  # nor does a process owner take part through a participant's account
    data["participants"][0]["user"] = "paul"
    response = post_fields(client, f"/tasks/{tid}", form_data(data) + [("action", "complete")])
    assert response.status_code == 422 and "n'est pas un partenaire : le compte d'un participant" in text(response)
    data["participants"][0]["user"] = "sophie"
    data["youth_present"], data["youth_absence_reason"] = False, "Hospitalisé ce jour-là."  # yet listed
    response = post_fields(client, f"/tasks/{tid}", form_data(data) + [("action", "complete")])
    assert response.status_code == 422 and "Le jeune est dit absent de la concertation" in text(response)
    data["youth_present"] = True
    data["actions"][1]["carrier"] = "anne"  # the case's own manager may carry one, and report on it
    assert post_fields(client, f"/tasks/{tid}", form_data(data) + [("action", "complete")]).status_code == 302
    with app.db.transaction(write=False) as session:
        report = session.scalar(select(HumanTask.id).where(HumanTask.business_key == reference,
                                                           HumanTask.spec_name == "report_action",
                                                           HumanTask.assignee == "anne"))
    assert report is not None and client.get(f"/tasks/{report}").status_code == 200


def test_an_interview_or_a_consent_dated_after_today_is_a_field_error(app, client, seeded):
    # A typing slip (2062 for 2026) would otherwise enter the year's figures as it is.
    reference = seeded["Jeune A."]  # today is 02/03/2026 (the tests' clock)
    tid = task_id(app, reference, "verify_request")
    login(client, "anne")
    data = _sample(app, reference, "verify_request")
    data["consents"][0]["date"] = "2062-03-02"
    response = post_fields(client, f"/tasks/{tid}", form_data(data) + [("action", "complete")])
    assert response.status_code == 422
    assert '<p class="field-error" id="f-consents-0-date-error">Une date passée, ou aujourd\'hui.</p>' in text(response)
    assert task_id(app, reference, "verify_request") == tid  # nothing saved


def test_a_concertation_may_be_held_on_the_brussels_day_and_its_actions_due_then(app, client, seeded):
    import datetime as dt

    reference = seeded["Jeune G."]
    tid = task_id(app, reference, "concertation")
    app.clock.set(dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC))  # 03/03/2026 00:30 in Brussels
    login(client, "anne")
    data = _sample(app, reference, "concertation")
    data["held_on"] = "2026-03-03"
    for action in data["actions"]:
        action["due"] = "2026-03-03"
    response = post_fields(client, f"/tasks/{tid}", form_data(data) + [("action", "complete")])
    assert response.status_code == 302


def test_taking_a_task_never_leads_off_site(app, client, seeded):
    tid = task_id(app, seeded["Jeune A."], "verify_request")
    login(client, "anne")
    response = post(client, f"/tasks/{tid}/claim", {"next_url": "/\t/evil.example"})
    assert response.status_code == 302 and response.location == f"/tasks/{tid}"
    response = post(client, f"/tasks/{tid}/release", {"next_url": "/inbox?due=week"})
    assert response.location == "/inbox?due=week"


def test_telling_a_requester_their_request_is_not_eligible_shows_why(app, client, seeded):
    reference = seeded["Jeune A."]
    tid = task_id(app, reference, "verify_request")
    login(client, "anne")
    sample = {**_sample(app, reference, "verify_request"), "failed_attempts": 1}
    assert post_fields(client, f"/tasks/{tid}", form_data(sample) + [("action", "complete")]).status_code == 302
    page = " ".join(text(client.get(f"/tasks/{task_id(app, reference, 'inform_requester_not_eligible')}")).split())
    assert "Pourquoi la demande n'est pas éligible :</strong> Plusieurs tentatives pour sortir de l'impasse " \
           "doivent avoir échoué (au moins 2) : la vérification en indique 1." in page
    post(client, "/language", {"lang": "en"})
    page = " ".join(text(client.get(f"/tasks/{task_id(app, reference, 'inform_requester_not_eligible')}")).split())
    assert "Why the request is not eligible:</strong> Several attempts" in page


def test_a_partner_told_of_an_action_is_led_to_its_task_and_the_notice_is_read_once_opened(app, client, seeded):
    # A partner who signs in once a month: "Ouvrir" on "Une action d'un plan vous a été confiée"
    # leads to the task while it is open, and the notice no longer shows as new once the task
    # was opened, however it was reached.
    from workflows.models import Notification

    reference = seeded["Jeune H."]
    tid = task_id(app, reference, "report_action", "sophie")

    def notice():
        with app.db.transaction(write=False) as session:
            return session.execute(select(Notification.id, Notification.read_at)
                                   .where(Notification.key == f"{reference}:action_assigned:{tid}:sophie")).one()

    note_id, read_at = notice()
    assert read_at is None
    login(client, "sophie")
    assert client.get(f"/tasks/{tid}").status_code == 200
    assert notice()[1] is not None  # opened from the inbox: read
    opened = post(client, f"/notifications/{note_id}/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/tasks/{tid}")
    response = post_fields(client, f"/tasks/{tid}", form_data(_sample(app, reference, "report_action"))
                           + [("action", "complete")])
    assert response.status_code == 302
    opened = post(client, f"/notifications/{note_id}/open")  # done: the case, where the report shows
    assert opened.headers["Location"].endswith(f"/cases/{reference}")


def test_a_notice_of_an_action_someone_else_reported_on_shows_as_dealt_with(app, client, seeded):
    # The case manager reported for the partner (or handed the action over): the partner's
    # notice no longer says "Nouveau", and the top bar stops counting it once the list is seen.
    from workflows.models import Notification

    reference = seeded["Jeune H."]
    tid = task_id(app, reference, "report_action", "sophie")
    anne = client.application.test_client()
    login(anne, "anne")
    response = post_fields(anne, f"/tasks/{tid}", form_data(_sample(app, reference, "report_action"))
                           + [("action", "complete")])
    assert response.status_code == 302
    login(client, "sophie")
    listed = " ".join(text(client.get("/notifications/")).split())
    assert f'Une action d\'un plan vous a été confiée (dossier {reference}) <span class="badge ok">Traitée</span>' in listed
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(Notification.read_at)
                              .where(Notification.key == f"{reference}:action_assigned:{tid}:sophie")) is not None


def test_a_step_the_process_cannot_run_keeps_what_was_typed_and_tells_the_process_owners(app, client):
    from workflows import drafts

    # A condition after the verification names a variable nobody sets (a typo in the diagram,
    # deployed without the process check, which would find it).
    reference, tid = _verification_on_a_new_version(app, ">clarification_interview</bpmn:conditionExpression>",
                                                    ">clarification_intervew</bpmn:conditionExpression>")
    answers = _sample(app, reference, "verify_request")
    login(client, "anne")
    response = post_fields(client, f"/tasks/{tid}", form_data({**answers, "objections": "Appel du père"})
                           + [("action", "complete")])
    page = text(response)
    assert response.status_code == 500
    assert ("Le processus n'a pas pu continuer après cette étape (élément clarification_gateway) : l'étape n'est "
            "pas terminée. Ce qui a été envoyé est gardé en brouillon de la tâche" in page)
    assert "Appel du père" in page  # what was typed, on the page
    assert task_id(app, reference, "verify_request") == tid  # the step is still open, nothing of it saved
    with app.db.transaction(write=False) as session:
        assert drafts.get(session, tid).data["objections"] == "Appel du père"  # and kept
        assert session.scalar(select(func.count()).select_from(FormSubmission)
                              .where(FormSubmission.task_id == tid)) == 0
        kinds = list(session.scalars(select(AuditEvent.kind).where(AuditEvent.business_key == reference)))
    assert "completion_failed" in kinds and "task_completed" not in kinds
    assert "Appel du père" in text(client.get(f"/tasks/{tid}"))  # the draft opens with the page
    login(client, "paul")
    notices = text(client.get("/notifications/"))
    assert f"Le processus n'a pas pu continuer : le diagramme est à corriger (dossier {reference})" in notices
    assert "Élément « Entretien de clarification ? » (clarification_gateway), version 2 : " in notices
    assert "clarification_intervew" in notices and "Appel du père" not in notices
    opened = post(client, f"/notifications/{_notice_id(app, 'paul')}/open")
    assert opened.location == "/processes/case_management/edit"
    login(client, "anne")
    assert post_fields(client, f"/tasks/{tid}", form_data(answers) + [("action", "complete")]).status_code == 500
    from .conftest import csrf

    sent = client.post(f"/api/v1/tasks/{tid}/complete", json={**answers, "objections": "Par l'API"},
                       headers={"X-CSRF-Token": csrf(client)})
    assert sent.status_code == 500 and sent.json["error"] == "process_error"
    assert "gardé en brouillon" in sent.json["message"]
    with app.db.transaction(write=False) as session:
        assert drafts.get(session, tid).data["objections"] == "Par l'API"
    with app.db.transaction(write=False) as session:  # trying again the same day: told once
        from workflows.models import Notification

        assert session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.reason == "process_failed")) == 1


def _verification_on_a_new_version(app, old: str, new: str) -> tuple[str, str]:
    """A new version of the process, with `old` replaced by `new` in its diagram (deployed as the
    engine does, without the process check), and a new case on it: (reference, its verification)."""
    from pathlib import Path

    from engine.bundles import Bundle
    from engine.deployments import deploy
    from workflows import cases, services
    from workflows.users import find_active

    bundle = Bundle.from_directory(Path(__file__).resolve().parents[2] / "bpmn")
    changed = bundle.files["case_management.bpmn"].replace(old, new)
    assert changed != bundle.files["case_management.bpmn"]
    with app.db.transaction() as session:
        deploy(session, bundle.with_files({"case_management.bpmn": changed}), codec=app.runtime.codec,
               now=app.clock.now(), author="paul", services=set(services.HANDLERS))
        case = cases.start_case(session, app.runtime, actor=find_active(session, "anne"), requester_kind="family",
                                youth_pseudonym="Jeune F.", age_band="12-15", region="Brabant wallon")
        session.flush()
        return case.reference, demo.open_task(session, case, "verify_request").id


def _notice_id(app, username):
    from workflows.models import Notification, User

    with app.db.transaction(write=False) as session:
        return session.scalar(select(Notification.id).join(User, User.id == Notification.recipient_id)
                              .where(User.username == username).order_by(Notification.id.desc()))


def test_an_evaluation_asks_each_objective_met_or_not_and_says_what_follows(app, client, seeded):
    reference = seeded["Jeune J."]
    tid = task_id(app, reference, "evaluation")
    login(client, "anne")
    page = text(client.get(f"/tasks/{tid}"))
    assert 'type="radio" name="objectives.0.met" value="true" >' in page  # asked, neither answer chosen
    assert 'name="objectives.0.met" value="false" >' in page and 'type="checkbox"' not in page
    ids = re.findall(r'name="objectives\.(\d+)\.objective_id" value="(\d+)"', page)
    assert len(ids) >= 1
    unanswered = [(f"objectives.{i}.objective_id", oid) for i, oid in ids] + [("cooperation_quality", "3"),
                                                                           ("action", "complete")]
    response = post_fields(client, f"/tasks/{tid}", unanswered)
    assert response.status_code == 422 and "Atteint" in _summary(response)  # not "no" for want of a tick
    answered = unanswered[:-1] + [(f"objectives.{i}.met", "false" if i == "0" else "true") for i, _ in ids] \
        + [("action", "complete")]
    assert post_fields(client, f"/tasks/{tid}", answered).status_code == 302
    inbox = " ".join(text(client.get(f"/inbox?case={reference}")).split())
    assert (f"Fait : « Évaluation du plan » sur le dossier {reference}. Objectifs non atteints. "
            "À vous ensuite : « Concertation : co-construire le plan »." in inbox)
    # The inbox it leads to is of that case only, and says so, with the way back to all.
    assert f"Seulement les tâches du dossier {reference} (les nombres aussi). " in inbox
    assert "(les nombres aussi). <a href=\"?\">Voir toutes mes tâches</a>" in inbox


def test_a_concertation_s_errors_come_in_one_answer_the_form_s_and_the_plan_s(app, client, seeded):
    # A date to come (the form's rule) and an action for an objective the plan does not have (the
    # plan's rule) were said one round after the other.
    reference = seeded["Jeune G."]  # today is 02/03/2026 (the tests' clock)
    tid = task_id(app, reference, "concertation")
    login(client, "anne")
    data = _sample(app, reference, "concertation")
    data["held_on"], data["actions"][2]["objective"] = "2026-03-03", "O9"
    data["objectives"][0]["title"] = ""
    response = post_fields(client, f"/tasks/{tid}", form_data(data) + [("action", "complete")])
    summary = " ".join(_summary(response).split())
    assert response.status_code == 422 and "Veuillez corriger 3 erreurs" in text(response)
    assert "Date de la concertation</a> : Une date passée, ou aujourd'hui." in summary
    assert "Objectifs du plan, ligne 1 : Objectif</a> : Ce champ est obligatoire." in summary  # the form's own
    assert "ligne 3 : Objectif (repère)</a> : Aucun objectif de repère « O9 » dans ce plan." in summary
    assert task_id(app, reference, "concertation") == tid  # nothing saved


def test_a_date_that_cannot_be_in_the_future_offers_no_later_day_in_its_date_picker(app, client, seeded):
    tid = task_id(app, seeded["Jeune A."], "verify_request")  # today is 02/03/2026 (the tests' clock)
    login(client, "anne")
    page = text(client.get(f"/tasks/{tid}"))
    assert re.search(r'name="consents\.0\.date"[^>]*type="date"\s+min="1900-01-01" max="2026-03-02"', page), page


def test_a_task_page_is_headed_as_the_inbox_names_the_step_after_a_rename_in_the_diagram(app, client):
    _reference, tid = _verification_on_a_new_version(app, 'name="Vérifier la demande"',
                                                     'name="Vérifier la demande reçue"')
    login(client, "anne")
    assert ">Vérifier la demande reçue</a>" in text(client.get("/inbox"))
    assert "<h1>Vérifier la demande reçue</h1>" in text(client.get(f"/tasks/{tid}"))


def test_the_exit_starts_from_the_evaluation_s_verdict_and_other_asks_why(app, client):
    from workflows import cases
    from workflows.users import find_active

    with app.db.transaction() as session:
        case = cases.start_case(session, app.runtime, actor=find_active(session, "anne"), requester_kind="family",
                                youth_pseudonym="Jeune E.", age_band="12-15", region="Brabant wallon")
        for step, options in demo._path_to("exited")[:-1]:  # up to the exit: objectives met
            demo.advance(session, app.runtime, case, step, **options)
        reference, tid = case.reference, demo.open_task(session, case, "exit_case").id
    login(client, "anne")
    page = text(client.get(f"/tasks/{tid}"))
    assert 'name="exit_reason" value="objectives_met" checked' in page
    assert "Pour « Autre », dites ici pourquoi le jeune sort du dispositif." in page
    response = post_fields(client, f"/tasks/{tid}", [("exit_reason", "other"), ("action", "complete")])
    assert response.status_code == 422 and "Synthèse</a> : Ce champ est obligatoire." in _summary(response)
    done = post_fields(client, f"/tasks/{tid}", [("exit_reason", "other"), ("summary", "Déménagement hors région"),
                                                 ("action", "complete")])
    assert done.status_code == 302, text(done)[-1500:]
    assert reference in text(client.get(done.location))


def test_a_consent_retry_keeps_the_date_each_decision_was_given(app, client):
    # The youth's row came back without its date: sent again unchanged, it was recorded undated.
    from workflows import cases
    from workflows import tasks as task_mod
    from workflows.users import find_active

    with app.db.transaction() as session:
        anne = find_active(session, "anne")
        case = cases.start_case(session, app.runtime, actor=anne, requester_kind="family", youth_pseudonym="Jeune D.",
                                age_band="12-15", region="Brabant wallon")
        answers = demo.sample(session, app.runtime, case, "verify_request")
        answers["consents"][1].update(status="pending")
        answers["consents"][1].pop("date")
        given_on = answers["consents"][0]["date"]
        task_mod.complete(session, app.runtime, anne, demo.open_task(session, case, "verify_request").id, answers)
        reference = case.reference
    login(client, "anne")
    page = text(client.get(f"/tasks/{task_id(app, reference, 'obtain_consent')}"))
    assert f'name="consents.0.date" value="{given_on}"' in page


def test_a_form_sent_back_with_its_errors_is_an_audited_read_of_the_case(app, client, seeded):
    # A 422 (or a row added) shows the case beside the form: it was read with no audit trail.
    reference = seeded["Jeune A."]
    tid = task_id(app, reference, "verify_request")
    login(client, "anne")

    def views():
        with app.db.transaction(write=False) as session:
            return session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.kind == "task_viewed", AuditEvent.business_key == reference))
    before = views()
    response = post_fields(client, f"/tasks/{tid}", [("youth_age", "abc"), ("action", "complete")])
    assert response.status_code == 422 and views() == before + 1
    response = post_fields(client, f"/tasks/{tid}", [("consents._present", "1"), ("_add", "consents")])
    assert response.status_code == 200 and views() == before + 2


def test_a_draft_saved_meanwhile_by_someone_else_is_not_replaced_unseen(app, flask_app, client, seeded):
    reference = seeded["Jeune H."]
    tid = task_id(app, reference, "report_action", "sophie")
    anne = flask_app.test_client()

    def draft(who, result):
        page = text(who.get(f"/tasks/{tid}"))
        return page, re.search(r'name="_draft_seen" value="([^"]*)"', page).group(1), result

    def save(who, seen, result):
        return post_fields(who, f"/tasks/{tid}", [("_draft_seen", seen), ("status", "done"), ("result", result),
                                                  ("action", "draft")])

    login(client, "sophie")
    _page, seen, _ = draft(client, "")
    assert seen == "" and save(client, seen, "v1").status_code == 302
    login(anne, "anne")
    _page, anne_seen, _ = draft(anne, "")  # opened with sophie's v1
    app.clock.advance(seconds=30)
    _page, seen, _ = draft(client, "")
    assert save(client, seen, "v2").status_code == 302  # her own draft, replaced as she meant
    app.clock.advance(seconds=30)
    response = save(anne, anne_seen, "v1 edited by anne")
    page = text(response)
    assert response.status_code == 409 and "Sophie Renard a enregistré un brouillon de cette tâche le" in page
    assert "v1 edited by anne</textarea>" in page  # what she typed comes back
    assert "v2</textarea>" in text(client.get(f"/tasks/{tid}"))  # sophie's stays
    seen_now = re.search(r'name="_draft_seen" value="([^"]*)"', page).group(1)
    assert save(anne, seen_now, "v1 edited by anne").status_code == 302  # warned, she replaces it
    assert "v1 edited by anne</textarea>" in text(client.get(f"/tasks/{tid}"))


def test_the_clarification_and_the_first_concertation_start_from_what_was_said_before(app, client, seeded):
    # The request's "already tried" and the partners and resource persons named at verification
    # were typed again.
    login(client, "anne")
    page = text(client.get(f"/tasks/{task_id(app, seeded['Jeune E.'], 'clarification_interview')}"))
    assert re.search(r'<textarea id="f-resource_persons"[^>]*>Grand-mère</textarea>', page)  # one per line
    assert re.search(r'<textarea id="f-tried"[^>]*>Hébergement, suivi ambulatoire \(fictif\).</textarea>', page)
    page = text(client.get(f"/tasks/{task_id(app, seeded['Jeune G.'], 'concertation')}"))
    participants = page.split('data-rows="participants"')[1].split('data-rows="objectives"')[0]
    assert 'value="Service d\'aide à la jeunesse"' in participants and 'value="Centre PMS"' in participants
    assert 'value="Grand-mère"' in participants


def test_the_case_manager_moves_a_late_action_s_due_date_alone_or_with_a_hand_over(app, client, seeded):
    # A late action handed to another partner kept its past due date: late for them from day one.
    import datetime as dt

    from workflows.models import Notification, PlanAction

    reference = seeded["Jeune H."]
    tid = task_id(app, reference, "report_action", "sophie")
    app.clock.advance(days=40)  # its due day long past
    today = app.clock.now().astimezone(app.runtime.timezone).date()
    login(client, "anne")
    page = text(client.get(f"/tasks/{tid}"))
    assert "Changer l'échéance" in page or "Changer l&#39;échéance" in page
    assert f'min="{today.isoformat()}"' in page
    past = post(client, f"/tasks/{tid}/due", {"due": (today - dt.timedelta(days=1)).isoformat()})
    assert past.status_code == 302
    refused = text(client.get(f"/tasks/{tid}"))
    assert "ance de l" in refused and "action : Aujourd" in refused and "hui ou une date à venir." in refused
    assert 'max="2100-12-31"' in refused
    far = post(client, f"/tasks/{tid}/due", {"due": "9999-12-31"})  # was a 500 (an overflow)
    assert far.status_code == 302 and "Une date entre " in text(client.get(f"/tasks/{tid}"))
    new_day = today + dt.timedelta(days=14)
    moved = post(client, f"/tasks/{tid}/due", {"due": new_day.isoformat()})
    assert moved.status_code == 302
    page = text(client.get(f"/tasks/{tid}"))
    assert f"Échéance reportée au {new_day:%d/%m/%Y} : Sophie Renard en est averti(e)" in page
    case_page = " ".join(text(client.get(f"/cases/{reference}")).split())
    assert "Échéance d'une action reportée du " in case_page and f" au {new_day:%d/%m/%Y}" in case_page
    # Handed to lea with another day at once.
    later = today + dt.timedelta(days=21)
    response = post(client, f"/tasks/{tid}/reassign", {"to": "lea", "due": later.isoformat()})
    assert response.status_code == 302
    with app.db.transaction(write=False) as session:
        task = session.get(HumanTask, tid)
        assert task.assignee == "lea" and task.due_at.astimezone(app.runtime.timezone).date() == later
        assert session.get(PlanAction, task.item["id"]).due_on == later
        told = sorted((n.recipient.username, n.reason) for n in session.scalars(
            select(Notification).where(Notification.reason.in_(("action_rescheduled", "action_assigned")))
            ) if n.case.reference == reference and n.detail.get("task_id") == tid)
    assert ("lea", "action_assigned") in told and ("lea", "action_rescheduled") not in told  # one notice, not two
    assert ("sophie", "action_rescheduled") in told
    with app.db.transaction(write=False) as session:
        assert session.get(HumanTask, tid).item["due"] == later.isoformat()  # what the page's field shows
    login(client, "sophie")  # a partner does not move dates
    assert post(client, f"/tasks/{task_id(app, reference, 'report_action', 'karim')}/due",
                {"due": later.isoformat()}).status_code in (403, 404)


def test_a_notice_of_an_action_handed_to_someone_else_shows_as_dealt_with(app, client, seeded):
    # The former carrier's notices (that it was hers, that it is late) still said "Nouveau".
    from engine.scheduler import TimerSweep

    reference = seeded["Jeune H."]
    tid = task_id(app, reference, "report_action", "sophie")
    app.clock.advance(days=40)
    TimerSweep(app.db, app.runtime).tick()  # its overdue reminder
    anne = client.application.test_client()
    login(anne, "anne")
    assert post(anne, f"/tasks/{tid}/reassign", {"to": "paul"}).status_code in (302, 403)  # not a partner
    assert post(anne, f"/tasks/{tid}/reassign", {"to": "lea"}).status_code == 302
    login(client, "sophie")
    listed = " ".join(text(client.get("/notifications/")).split())
    assert f'Une action d\'un plan vous a été confiée (dossier {reference}) <span class="badge ok">Traitée</span>' in listed
    assert (f'Rappel : une action du plan est en retard (dossier {reference}) <span class="badge ok">Traitée</span>'
            in listed)
    login(client, "lea")  # hers now: new
    listed = " ".join(text(client.get("/notifications/")).split())
    assert listed.count(f"Une action d'un plan vous a été confiée (dossier {reference})") == 2  # one already hers
    assert f"(dossier {reference}) <span class=\"badge ok\">Traitée" not in listed
