"""Case pages: new request, the case page (diagram, timeline, plan, consent), notes, messages, privacy."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine.models import AuditEvent

from .conftest import login, post, text


def test_new_request_starts_a_case_at_verification(app, client):
    login(client, "anne")
    assert "Nouvelle demande" in text(client.get("/cases/new"))
    response = post(client, "/cases/new", {"requester_kind": "family", "youth_pseudonym": "Jeune Z.",
                                           "age_band": "12-15", "region": "Brabant wallon"})
    assert response.status_code == 302
    page = text(client.get(response.location))
    assert "Jeune Z." in page and "Vérifier la demande" in page


def test_a_request_sent_again_leads_to_the_case_it_opened_not_to_a_second_one(app, client):
    # Back after sending, then the button again: the browser fills the form in anew, sent twice.
    from workflows.models import Case

    def count():
        with app.db.transaction(write=False) as session:
            return session.scalar(select(func.count()).select_from(Case).where(Case.youth_pseudonym.like("Jeune Z%")))

    login(client, "tom")
    form = {"requester_kind": "professional", "youth_pseudonym": "Jeune Z.", "age_band": "12-15",
            "region": "Brabant wallon", "difficulties": "Décrochage"}
    first, again = post(client, "/cases/new", form), post(client, "/cases/new", form)
    assert first.status_code == again.status_code == 302 and first.location == again.location
    assert "Cette demande était déjà enregistrée : dossier CM-" in text(client.get(again.location))
    assert count() == 1
    post(client, "/cases/new", {**form, "youth_pseudonym": "Jeune Z.2"})  # another young person
    assert count() == 2
    login(client, "tom")  # another session: another request
    post(client, "/cases/new", form)
    assert count() == 3


@pytest.mark.parametrize("typed,suspect", [("Jean-Pierre Dupont", True), ("Lou Martin", True), ("Jeune A.", False),
                                            ("J.-P. D.", False), ("Lou", False), ("Enfant Dupont", False)])
def test_a_pseudonym_that_reads_like_a_full_name(typed, suspect):
    from workflows.cases import looks_like_full_name

    assert looks_like_full_name(typed) is suspect


def test_a_full_name_typed_as_pseudonym_is_asked_about_before_anything_is_saved(app, client):
    from workflows.models import Case

    login(client, "tom")
    form = {"requester_kind": "professional", "youth_pseudonym": "Jean-Pierre Dupont", "age_band": "12-15",
            "region": "Brabant wallon"}
    response = post(client, "/cases/new", form)
    page = text(response)
    assert response.status_code == 422 and "Cela ressemble à un prénom et un nom" in page
    assert 'name="pseudonym_confirmed"' in page and "C'est un pseudonyme, pas le nom du jeune" in page
    for blank in ("\u2800", "\u3164", "\u115f\u1160"):  # drawn as nothing, yet letters or symbols
        refused = post(client, "/cases/new", {"requester_kind": "professional", "youth_pseudonym": blank,
                                              "age_band": "12-15", "region": "Namur"})
        assert refused.status_code == 422 and "caractères invisibles" in text(refused), repr(blank)
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
    assert post(client, "/cases/new", {**form, "pseudonym_confirmed": "1"}).status_code == 302  # confirmed


def test_a_request_with_a_long_contact_or_unseen_characters_is_422_and_opens_nothing(app, client):
    # A contact over 300 characters was a 500 on PostgreSQL (and stored whole on SQLite); a
    # pseudonym of zero-width spaces opened a case.
    from workflows.models import Case

    login(client, "tom")
    response = post(client, "/cases/new", {"requester_kind": "professional", "youth_pseudonym": "\u200b\u200b",
                                           "age_band": "12-15", "region": "Namur\x1b[31m",
                                           "requester_contact": "c" * 301, "difficulties": "Ligne 1\nLigne 2"})
    page = text(response)
    assert response.status_code == 422 and "Veuillez corriger 3 erreurs :" in page
    assert "Texte trop long (300 caractères au plus)." in page
    assert page.count("caractères invisibles ou de contrôle") == 4  # the pseudonym, the region: summary and field
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_new_request_with_errors_is_422_and_keeps_values(client):
    login(client, "tom")
    response = post(client, "/cases/new", {"requester_kind": "professional", "youth_pseudonym": "",
                                           "age_band": "99", "region": "Namur", "difficulties": "Décrochage"})
    page = text(response)
    assert response.status_code == 422
    assert "Ce champ est obligatoire." in page and "Décrochage" in page and 'value="Namur"' in page
    # The summary names each field in error and links to it.
    assert "Veuillez corriger 2 erreurs :" in page
    assert '<a href="#youth_pseudonym">Pseudonyme du jeune</a> : ' in page and '<a href="#age_band">' in page
    post(client, "/language", {"lang": "en"})
    page = text(post(client, "/cases/new", {"requester_kind": "professional", "youth_pseudonym": "X", "age_band": "99",
                                            "region": "Namur", "difficulties": "Décrochage"}))
    assert "Please correct 1 error:" in page and '<a href="#age_band">Age band</a>: ' in page
    post(client, "/language", {"lang": "fr"})
    unchosen = text(post(client, "/cases/new", {"youth_pseudonym": "X", "age_band": "", "region": "Namur"}))
    # Nothing chosen is said as the task forms say it; a value not offered, otherwise.
    assert '<a href="#age_band">Tranche d\'âge</a> : Ce champ est obligatoire.' in unchosen
    assert "Choisissez une des options proposées." in _new_request_page(client, {"age_band": "99"})


def _new_request_page(client, values):
    return text(post(client, "/cases/new", {"requester_kind": "family", "youth_pseudonym": "X", "region": "Namur",
                                            **values}))


def test_the_diagram_names_the_steps_in_the_page_language(app, client, seeded):
    # As the inbox does: a step's box says in English what its form calls it in English.
    reference = seeded["Jeune K."]
    login(client, "anne")
    french = text(client.get(f"/cases/{reference}"))
    assert ">Vérifier la</tspan>" in french and ">Verify the</tspan>" not in french
    post(client, "/language", {"lang": "en"})
    english = text(client.get(f"/cases/{reference}"))
    assert ">Verify the</tspan>" in english and ">Vérifier la</tspan>" not in english
    assert 'data-element="concertation" data-state="current"' in english


def test_case_page_shows_diagram_plan_consent_timeline_and_is_audited(app, client, seeded):
    reference = seeded["Jeune K."]  # second pass: two plan versions
    login(client, "anne")
    page = text(client.get(f"/cases/{reference}"))
    assert "<svg" in page and 'data-element="concertation" data-state="current"' in page
    assert 'data-element="verify_request" data-state="done"' in page  # a form submitted
    assert 'data-element="check_eligibility" data-state="done"' in page  # an automatic step: from the state
    assert "Version 1" in page and "en vigueur" in page and "objectifs non atteints" in page
    # Each objective's result, not only the verdict.
    results = " ".join(page.split("<h2>Évaluations</h2>")[1].split("</section>")[0].split())
    assert ('<strong>O1</strong> Reprendre une scolarité adaptée : <span class="badge late">non atteint</span> '
            '<span class="pre">Résultats partagés en réunion.</span>') in results
    assert "Coopération : <span class=\"pre\">Bonne circulation de l'information.</span>" in results
    assert "Consentement" in page and "donné" in page
    assert "Historique" in page and "Formulaire envoyé" in page
    now = page.split("<h2>")[1]  # what is open now, and who carries it: by name
    assert "Concertation : co-construire le plan</a> — Anne Lambert" in now and "— anne" not in now
    assert "· anne<" not in page and "· Anne Lambert</span>" in page
    with app.db.transaction(write=False) as session:
        viewed = session.scalars(select(AuditEvent).where(AuditEvent.kind == "case_viewed",
                                                          AuditEvent.business_key == reference)).all()
    assert [e.actor for e in viewed] == ["anne"]


def test_the_plan_says_how_effective_a_report_found_its_action_and_which_actions_are_late(app, client, seeded):
    login(client, "anne")
    reported = " ".join(text(client.get(f"/cases/{seeded['Jeune J.']}")).split())  # three reports
    assert "Action menée comme prévu. <span class=\"muted\">(efficace)</span>" in reported
    following = seeded["Jeune H."]  # three actions open
    assert "en retard</span>" not in text(client.get(f"/cases/{following}")).split('id="plan"')[1]
    # What is open now names the action each report is on (three reports, three partners).
    now = " ".join(text(client.get(f"/cases/{following}")).split()).split("<h2>Maintenant</h2>")[1].split("</ul>")[0]
    assert now.count("Rendre compte de l'action</a> <span class=\"muted\">« Action ") == 3
    app.clock.advance(days=60)  # past their due days
    plan = text(client.get(f"/cases/{following}")).split('id="plan"')[1].split("</section>")[0]
    assert plan.count('<span class="badge late">en retard</span>') == 3


def test_a_requester_is_told_the_case_has_a_plan_not_that_it_has_none(app, client, seeded):
    login(client, "tom")  # the demo's requester, at no concertation
    page = text(client.get(f"/cases/{seeded['Jeune H.']}"))
    assert "Rien à faire pour vous sur ce dossier pour l'instant" in page  # no open task of his
    assert "Le dossier a un plan : il est partagé avec les participants" in page
    assert "Pas encore de plan" not in page
    assert "Pas encore de plan" in text(client.get(f"/cases/{seeded['Jeune A.']}"))  # at its verification


def test_a_form_sent_is_read_from_the_timeline_by_its_labels_and_the_read_is_audited(app, client, seeded):
    # A colleague taking a case over could see "Formulaire envoyé : Entretien de clarification" and no more.
    reference = seeded["Jeune H."]
    login(client, "anne")
    page = text(client.get(f"/cases/{reference}"))
    links = re.findall(r'Formulaire envoyé : Vérifier la demande · <a href="(/tasks/[0-9a-f-]+/answers)">Lire les réponses</a>',
                       page)
    assert len(links) == 1
    answers = " ".join(text(client.get(links[0])).split())
    assert "<h1>Vérifier la demande</h1>" in answers and "Envoyé par Anne Lambert le" in answers
    assert "<dt>Âge du jeune</dt> <dd><span class=\"pre\">16</span></dd>" in answers  # the form's label, the value
    assert "<dt>Vit dans la région du réseau</dt> <dd><span class=\"pre\">Oui</span></dd>" in answers  # yes/no
    assert "Le jeune</span>" in answers and "Donné</span>" in answers  # a row's choices by their labels
    with app.db.transaction(write=False) as session:
        read = session.scalars(select(AuditEvent).where(AuditEvent.kind == "answers_viewed")).all()
    assert [(e.actor, e.business_key, e.detail["step"]) for e in read] == [("anne", reference, "verify_request")]
    assert "answers_viewed" not in text(client.get(f"/cases/{reference}"))  # reads are not the case's history
    post(client, "/language", {"lang": "en", "next": "/"})
    assert "<dt>Youth's age</dt>" in text(client.get(links[0]))


def test_a_requester_reads_whether_consent_was_obtained_not_each_person_s_decision(app, client, seeded):
    login(client, "tom")  # the demo's requester, not at the concertation
    page = " ".join(text(client.get(f"/cases/{seeded['Jeune H.']}")).split())
    consent = page.split("<h2>Consentement</h2>")[1].split("</section>")[0]
    assert '<span class="badge ok">obtenu</span>' in consent
    assert "Le jeune" not in consent and "mère" not in consent and "Représentant" not in consent
    shown = client.get(f"/api/v1/cases/{seeded['Jeune H.']}").get_json()  # the API the same
    assert shown["consents"] == [] and shown["consent_obtained"] is True
    login(client, "anne")
    shown = client.get(f"/api/v1/cases/{seeded['Jeune H.']}").get_json()
    assert len(shown["consents"]) == 2 and shown["consent_obtained"] is None
    consent = " ".join(text(client.get(f"/cases/{seeded['Jeune H.']}")).split()).split("<h2>Consentement</h2>")[1]
    assert "<strong>Le jeune</strong> : <span class=\"badge ok\">donné" in consent
    assert "<strong>Représentant légal</strong> <span class=\"muted\">(mère)</span> : " in consent


def test_the_timeline_can_leave_out_its_notifications(app, client, seeded):
    login(client, "anne")
    page = text(client.get(f"/cases/{seeded['Jeune H.']}"))
    assert "Notification à Sophie Renard" in page and "Masquer les notifications" in page
    hidden = text(client.get(f"/cases/{seeded['Jeune H.']}?notifications=hidden"))
    assert "Notification à Sophie Renard" not in hidden and "notifications masquées." in hidden
    assert "Formulaire envoyé : Concertation" in hidden  # the rest stays


def test_a_partner_reads_a_notification_to_them_as_to_them(app, client, seeded):
    login(client, "sophie")
    page = text(client.get(f"/cases/{seeded['Jeune H.']}"))
    assert "Notification pour vous : " in page and "Notification à Sophie Renard" not in page
    login(client, "anne")
    assert "Notification à Sophie Renard : " in text(client.get(f"/cases/{seeded['Jeune H.']}"))


def test_plan_diff_shows_what_changed_between_versions(app, client, seeded):
    from workflows import demo
    from workflows.cases import get_case

    reference = seeded["Jeune K."]
    with app.db.transaction() as session:
        case = get_case(session, reference)
        data = demo.sample(session, app.runtime, case, "concertation", objectives=3, actions=4)
        from workflows.demo import open_task
        from workflows.tasks import complete
        from workflows.users import get_user

        complete(session, app.runtime, get_user(session, "anne"), open_task(session, case, "concertation").id, data)
    login(client, "anne")
    page = text(client.get(f"/cases/{reference}"))
    assert "Ce qui a changé depuis la version 1" in page
    assert "Objectif ajouté : O3" in page


def _second_plan(app, reference: str, change) -> None:
    """Complete the case's second concertation with the first plan's answers, as `change` alters them."""
    from workflows import demo
    from workflows.cases import get_case
    from workflows.tasks import complete
    from workflows.users import get_user

    with app.db.transaction() as session:
        case = get_case(session, reference)
        data = demo.sample(session, app.runtime, case, "concertation")  # the answers of the first pass
        change(data)
        complete(session, app.runtime, get_user(session, "anne"), demo.open_task(session, case, "concertation").id,
                 data)


def test_plan_diff_names_people_and_dates_as_the_page_does(app, client, seeded):
    reference = seeded["Jeune K."]

    def change(data):
        data["actions"][1]["due"] = "2026-04-15"  # was 2026-03-23
        data["actions"][2]["carrier"] = "karim"  # was lea

    _second_plan(app, reference, change)
    login(client, "anne")
    changes = text(client.get(f"/cases/{reference}")).split("Ce qui a changé depuis la version 1")[1]
    assert "Action modifiée : Action 2 : stabiliser le lieu de vie (échéance : 23/03/2026 → 15/04/2026)" in changes
    assert "Action modifiée : Action 3 : reprendre une scolarité adaptée (porteur : Léa Martin → Karim Haddad)" \
        in changes
    assert "->" not in changes and "2026-03-23" not in changes and "karim" not in changes
    post(client, "/language", {"lang": "en", "next": "/"})
    changes = text(client.get(f"/cases/{reference}")).split("What changed since version 1")[1]
    assert "Action changed: Action 2 : stabiliser le lieu de vie (due date: 23/03/2026 → 15/04/2026)" in changes
    assert "(carried by: Léa Martin → Karim Haddad)" in changes


def test_plan_diff_shows_a_reworded_action_as_changed(app, client, seeded):
    reference = seeded["Jeune K."]

    def change(data):
        data["actions"][0]["what"] = "Inscrire le jeune en école à mi-temps"  # reworded, in its place
        data["actions"][1]["due"] = "2026-04-15"

    _second_plan(app, reference, change)
    login(client, "anne")
    changes = text(client.get(f"/cases/{reference}")).split("Ce qui a changé depuis la version 1")[1].split("</ul>")[0]
    assert "Action modifiée : Inscrire le jeune en école à mi-temps (texte : Action 1 : reprendre une scolarité " \
        "adaptée → Inscrire le jeune en école à mi-temps)" in changes
    assert "(échéance : 23/03/2026 → 15/04/2026)" in changes
    assert "ajouté" not in changes and "retiré" not in changes and "Action ajoutée" not in changes
    post(client, "/language", {"lang": "en", "next": "/"})
    changes = text(client.get(f"/cases/{reference}")).split("What changed since version 1")[1]
    assert "Action changed: Inscrire le jeune en école à mi-temps (text: Action 1 : reprendre" in changes


def test_plan_diff_shows_an_action_moved_to_another_objective_and_carrier_as_changed(app, client, seeded):
    # It read "ajouté — action : …" and "retiré — action : …", and the new carrier nowhere.
    reference = seeded["Jeune K."]

    def change(data):
        data["actions"][0].update(objective="O2", carrier="karim")  # was O1, sophie

    _second_plan(app, reference, change)
    login(client, "anne")
    changes = " ".join(text(client.get(f"/cases/{reference}")).split("Ce qui a changé depuis la version 1")[1]
                       .split("</ul>")[0].split())
    assert ("Action modifiée : Action 1 : reprendre une scolarité adaptée (objectif : O1 → O2 ; "
            "porteur : Sophie Renard → Karim Haddad)") in changes
    assert "ajoutée" not in changes and "retirée" not in changes


def test_note_and_youth_message(app, client, seeded):
    reference = seeded["Jeune H."]
    login(client, "anne")
    assert post(client, f"/cases/{reference}/notes", {"text": "Appel de l'école ce matin."}).status_code == 302
    response = post(client, f"/cases/{reference}/messages", {"kind": "wish", "text": "Voir sa sœur plus souvent",
                                                             "received_on": "2026-03-01"})
    assert response.status_code == 302 and "/tasks/" in response.headers["Location"]  # straight on to answering it
    task_page = text(client.get(response.headers["Location"]))
    assert "Enregistré. Répondez-y maintenant" in task_page and "Voir sa sœur plus souvent" in task_page
    page = text(client.get(f"/cases/{reference}"))
    assert "Appel de l'école ce matin." in page and "Voir sa sœur plus souvent" in page
    rows = text(client.get(f"/inbox?case={reference}")).split("<tbody>")[1]
    assert rows.count(">Enregistrer et transmettre</a>") == 2
    response = post(client, f"/cases/{reference}/notes", {"text": "   "})
    assert response.status_code == 422 and "Ce champ est obligatoire." in text(response)


def test_professional_sees_only_what_concerns_them(app, client, seeded):
    reference = seeded["Jeune H."]
    login(client, "anne")
    post(client, f"/cases/{reference}/notes", {"text": "Note interne du gestionnaire"})
    login(client, "lea")  # carries action 3 but did not attend the concertation
    page = text(client.get(f"/cases/{reference}"))
    assert "Action 3" in page and "Action 1" not in page and "Action 2" not in page
    assert "seulement ce qui vous concerne" in page
    assert "Note interne du gestionnaire" not in page
    assert "ne pas être écouté" not in page  # the complaint was passed on to sophie only
    assert "Ruptures répétées" not in page  # the request's text is for the case manager and requester
    # A complaint waiting for its case manager is not shown to partners, in the drawing either.
    assert "Aucun ne vous a été transmis" in page and "Enregistrer et transmettre" not in text(client.get("/cases/"))
    assert 'data-element="acknowledge_youth_message" data-state="current"' not in page
    assert 'data-element="report_action" data-state="current"' in page
    login(client, "sophie")  # attended the concertation; the complaint was passed on to her
    page = text(client.get(f"/cases/{reference}"))
    assert "Action 1" in page and "Action 2" in page and "Action 3" in page
    assert "ne pas être écouté" not in page or "Plainte" in page


def test_coordinator_and_outsiders_get_404_on_case_pages(app, client, seeded):
    reference = seeded["Jeune H."]
    for user in ("chantal", "marc"):
        login(client, user)
        assert client.get(f"/cases/{reference}").status_code in (403, 404)
    login(client, "marc")
    assert client.get(f"/cases/{reference}").status_code == 404
    assert client.get("/cases/CM-NOPE00").status_code == 404


def test_a_complaint_passed_on_reaches_the_professional_and_no_one_else(app, client, seeded):
    from .conftest import form_data, post_fields, task_id

    reference = seeded["Jeune H."]
    tid = task_id(app, reference, "acknowledge_youth_message")
    login(client, "anne")
    response = post_fields(client, f"/tasks/{tid}", form_data({"response": "Transmis.", "inform": ["karim"]})
                           + [("action", "complete")])
    assert response.status_code == 302, text(response)[-2000:]
    messages = " ".join(text(client.get(f"/cases/{reference}")).split()).split('id="youth-messages"')[1]
    assert "Réponse :</span> <span class=\"pre\">Transmis.</span>" in messages  # what was answered
    assert "Transmis à :</span> Karim Haddad" in messages  # and to whom, on the case manager's page
    login(client, "karim")
    page = text(client.get(f"/cases/{reference}"))
    assert "ne pas être écouté" in page  # the complaint addressed to him
    assert "Transmis.</span>" in page and "Transmis à :" not in page  # with its answer, not who else heard it
    assert "Une plainte du jeune vous a été transmise" in page  # his notification, in the timeline
    login(client, "lea")
    page = text(client.get(f"/cases/{reference}"))
    assert "ne pas être écouté" not in page and "plainte du jeune vous a été" not in page


def test_case_list_shows_the_cases_one_may_open_with_their_step(app, client, seeded):
    login(client, "anne")
    page = text(client.get("/cases/"))
    assert seeded["Jeune A."] in page and "Vérifier la demande" in page
    # Each case named by its youth's pseudonym; a step with several open tasks shown once, counted.
    row = page[page.index(seeded["Jeune H."]):].split("</tr>")[0]
    assert "Jeune H." in row and " ans</span>" in row  # and its age band
    assert row.count("Rendre compte de l'action") == 1 and "×3" in row and "Enregistrer et transmettre" in row
    assert "en retard" not in row
    app.clock.advance(days=60)  # the reports past their due day: the list says which cases are late
    page = text(client.get("/cases/"))
    row = page[page.index(seeded["Jeune H."]):].split("</tr>")[0]
    assert 'Rendre compte de l\'action <span class="muted">×3</span> <span class="badge late">en retard ×3</span>' in row
    post(client, "/language", {"lang": "en", "next": "/"})
    assert "Report on the action <span class=\"muted\">×3</span>" in text(client.get("/cases/"))
    post(client, "/language", {"lang": "fr", "next": "/"})
    closed = text(client.get("/cases/?status=closed"))
    assert seeded["Jeune M."] in closed and seeded["Jeune A."] not in closed
    # Each status says how many cases it holds; all of them add up to the whole.
    counts = [int(n) for n in re.findall(r'<span class="chip-count">(\d+)</span>', closed)]
    assert len(counts) == 4 and counts[0] == sum(counts[1:]) and counts[3] >= 1
    login(client, "tom")  # the requester of the professional-introduced cases
    page = text(client.get("/cases/"))
    assert seeded["Jeune A."] in page and seeded["Jeune B."] not in page  # B came from a family
    response = post(client, "/cases/new", {"requester_kind": "professional", "youth_pseudonym": "Jeune T.",
                                           "age_band": "16-17", "region": "Brabant wallon"})
    assert response.status_code == 302 and "/cases/CM-" in response.location
    assert "Jeune T." in text(client.get(response.location))


def test_case_page_highlights_the_timer_a_case_waits_on(client, seeded):
    login(client, "anne")
    page = text(client.get(f"/cases/{seeded['Jeune L.']}"))  # exited: waits before the check-in
    assert 'data-element="post_exit_wait" data-state="current"' in page
    assert "02/03/2026 — sorti le 02/03/2026 — objectifs atteints" in " ".join(page.split())  # when it left


def test_case_list_finds_a_case_by_pseudonym_or_reference_without_putting_it_in_the_url(app, client, seeded):
    login(client, "anne")
    listing = client.get("/cases/")
    assert 'role="search"' in text(listing) and 'method="post"' in text(listing)
    found = post(client, "/cases/", {"q": "  jeune   h. "})  # any case, spaces collapsed
    page = text(found)
    assert found.status_code == 200 and found.request.path == "/cases/" and not found.request.query_string
    assert seeded["Jeune H."] in page and seeded["Jeune K."] not in page
    assert "Dossiers correspondant à « jeune h. » : 1." in page and 'value="jeune h."' in page
    by_reference = text(post(client, "/cases/", {"q": seeded["Jeune K."][3:7].lower()}))
    assert seeded["Jeune K."] in by_reference
    nothing = text(post(client, "/cases/", {"q": "100%_"}))  # wildcards are plain characters
    assert ": 0." in nothing and "Aucun dossier pour l'instant." not in nothing
    assert post(client, "/cases/", {"q": ""}).status_code == 302  # an empty search is the list
    escaped = post(client, "/cases/", {"q": "<script>x</script>"}).get_data(as_text=True)
    assert "<script>x</script>" not in escaped and "&lt;script&gt;x&lt;/script&gt;" in escaped


def test_case_search_finds_only_the_cases_the_user_may_open(app, client, seeded):
    login(client, "lea")  # a partner: the cases she takes part in
    everyone = text(post(client, "/cases/", {"q": "Jeune"}))
    assert seeded["Jeune H."] in everyone and seeded["Jeune A."] not in everyone
    login(client, "marc")  # another case manager: none of anne's
    assert seeded["Jeune H."] not in text(post(client, "/cases/", {"q": "Jeune H"}))
    assert client.post("/cases/", data={"q": "Jeune"}).status_code == 400  # no CSRF token


def test_a_youth_message_with_a_date_that_is_not_one_or_is_to_come_is_refused(app, client, seeded):
    # Before, a date that was not one silently became today's, and one to come was kept.
    from sqlalchemy import func

    from workflows.models import YouthMessage

    reference = seeded["Jeune H."]
    login(client, "anne")

    def count():
        with app.db.transaction(write=False) as session:
            return session.scalar(select(func.count(YouthMessage.id)))

    import datetime as dt

    today = app.clock.now().astimezone(app.runtime.timezone).date()
    to_come = (today + dt.timedelta(days=33)).isoformat()
    before = count()
    # The page's own messages, in its language, not the browser's bubble (in the browser's).
    assert f'action="/cases/{reference}/messages#youth-messages" class="stack" novalidate>' in text(
        client.get(f"/cases/{reference}"))
    for received, error in [("31/12/2026", "Format invalide (AAAA-MM-JJ)."), (to_come, "Une date passée, ou aujourd'hui."),
                            ("1850-02-01", f"Une date entre 1900 et {today.year}.")]:
        response = post(client, f"/cases/{reference}/messages", {"kind": "wish", "text": "Revoir sa sœur",
                                                                 "received_on": received})
        page = text(response)
        assert response.status_code == 422 and f'<p class="field-error" id="message-date-error">{error}</p>' in page
        assert "Revoir sa sœur</textarea>" in page  # what was typed is kept
    assert count() == before
    empty = post(client, f"/cases/{reference}/messages", {"kind": "wish", "text": "", "received_on": to_come})
    assert 'id="message-date-error"' in text(empty) and 'id="message-error">Ce champ est obligatoire.' in text(empty)
    long = post(client, f"/cases/{reference}/messages", {"kind": "wish", "text": "x" * 4001, "received_on": ""})
    assert long.status_code == 422 and 'id="message-error">Texte trop long (4000 caractères au plus).' in text(long)
    assert post(client, f"/cases/{reference}/messages", {"kind": "wish", "text": "Revoir sa sœur",
                                                         "received_on": ""}).status_code == 302  # today
    assert count() == before + 1


def test_a_note_refused_comes_back_where_it_was_typed_with_its_field_focused(app, client, seeded):
    reference = seeded["Jeune H."]
    login(client, "anne")
    page = text(client.get(f"/cases/{reference}"))
    assert f'action="/cases/{reference}/notes#timeline"' in page  # the answer opens at the form
    response = post(client, f"/cases/{reference}/notes", {"text": "   "})
    page = text(response)
    assert response.status_code == 422 and "Ce champ est obligatoire" in page
    assert 'aria-describedby="note-error" autofocus' in page


def test_the_case_manager_a_case_is_handed_to_is_told_at_once(app, client, seeded):
    reference = seeded["Jeune A."]
    login(client, "anne")
    assert '<option value="">— choisir —</option><option value="marc">' in text(client.get(f"/cases/{reference}"))
    unchosen = post(client, f"/cases/{reference}/reassign", {"to": ""})
    assert unchosen.location.endswith(f"/cases/{reference}")
    assert "Choisissez à qui confier le dossier." in text(client.get(unchosen.location))
    asked = post(client, f"/cases/{reference}/reassign", {"to": "marc"})
    assert asked.status_code == 200 and "Confier le dossier" in text(asked)
    login(client, "marc")
    assert "Un dossier vous a été confié" not in text(client.get("/notifications/"))  # nothing done yet
    login(client, "anne")
    assert post(client, f"/cases/{reference}/reassign", {"to": "marc", "confirm": "1"}).status_code == 302
    login(client, "marc")
    listed = text(client.get("/notifications/"))
    assert f"Un dossier vous a été confié (dossier {reference})" in listed
    assert 'aria-label="1 non lue(s)"' in text(client.get("/inbox"))
    login(client, "anne")
    assert "Un dossier vous a été confié" not in text(client.get("/notifications/"))


def test_the_consent_section_says_a_mature_youth_decides_alone(app, client, seeded):
    # The mother's consent stays "en attente" and the case goes on: the page says why.
    from workflows import demo, tasks
    from workflows.cases import get_case
    from workflows.users import find_active

    reference = seeded["Jeune A."]  # at its verification
    with app.db.transaction() as session:
        case = get_case(session, reference)
        answers = demo.sample(session, app.runtime, case, "verify_request")
        answers.update(youth_mature=True, maturity_reasoning="Comprend sa situation et les enjeux.")
        answers["consents"][1]["status"] = "pending"
        task = demo.open_task(session, case, "verify_request")
        tasks.complete(session, app.runtime, find_active(session, "anne"), task.id, answers)
    login(client, "anne")
    page = " ".join(text(client.get(f"/cases/{reference}")).split())
    assert "Le jeune, jugé apte à apprécier raisonnablement ses intérêts, décide seul : son accord suffit" in page
    assert "Représentant légal</strong> <span class=\"muted\">(mère)</span> : <span class=\"badge soon\">en attente" in page
    assert "décide seul" not in text(client.get(f"/cases/{seeded['Jeune H.']}"))  # a minor not judged so


def test_a_complaint_is_passed_on_only_to_those_who_take_part_in_the_case(app, client, seeded):
    # Any professional of the network was offered, and naming one opened the case to them.
    from .conftest import form_data, post_fields, task_id

    reference = seeded["Jeune H."]  # sophie, karim and lea carry its actions; paul takes no part
    tid = task_id(app, reference, "acknowledge_youth_message")
    login(client, "anne")
    page = text(client.get(f"/tasks/{tid}"))
    offered = page.split('name="inform._present"')[1].split("</fieldset>")[0]
    assert 'value="karim"' in offered and 'value="paul"' not in offered and 'value="anne"' not in offered
    assert "le secret professionnel partagé ne s'étend pas aux autres" in page
    response = post_fields(client, f"/tasks/{tid}", form_data({"response": "Transmis.", "inform": ["karim", "paul"]})
                           + [("action", "complete")])
    assert response.status_code == 422
    assert "Paul" in text(response) and "ne prend pas part à ce dossier" in text(response)
    assert task_id(app, reference, "acknowledge_youth_message") == tid  # nothing saved
    login(client, "paul")
    assert client.get(f"/cases/{reference}").status_code == 403  # still not his to read


def test_a_requester_reads_consent_obtained_when_a_mature_youth_gave_it_alone(app, client):
    # The mother's answer is still awaited, but a youth judged mature decides alone (art. 12).
    from workflows import cases, demo, tasks
    from workflows.users import find_active

    with app.db.transaction() as session:
        tom, anne = find_active(session, "tom"), find_active(session, "anne")
        case = cases.start_case(session, app.runtime, actor=tom, requester_kind="professional",
                                youth_pseudonym="Jeune M.", age_band="16-17", region="Brabant wallon",
                                case_manager=anne)
        answers = demo.sample(session, app.runtime, case, "verify_request")
        answers.update(youth_mature=True, maturity_reasoning="Comprend les enjeux du dispositif (fictif).")
        answers["consents"][1]["status"] = "pending"
        answers["consents"][1].pop("date", None)
        tasks.complete(session, app.runtime, anne, demo.open_task(session, case, "verify_request").id, answers)
        reference = case.reference
    login(client, "tom")
    shown = client.get(f"/api/v1/cases/{reference}").get_json()
    assert shown["consent_obtained"] is True
    consent = " ".join(text(client.get(f"/cases/{reference}")).split()).split("<h2>Consentement</h2>")[1]
    assert '<span class="badge ok">obtenu</span>' in consent.split("</section>")[0]


def test_what_changed_in_a_plan_is_not_shown_to_who_did_not_read_the_version_before(app, client):
    # Tom attends the second concertation only: the changes would name the first plan's objectives.
    from workflows import cases, demo, tasks
    from workflows.users import find_active

    with app.db.transaction() as session:
        anne = find_active(session, "anne")
        case = cases.start_case(session, app.runtime, actor=anne, requester_kind="family", youth_pseudonym="Jeune P.",
                                age_band="12-15", region="Brabant wallon")
        for step, options in [("verify_request", {}), ("clarification_interview", {}),
                              ("concertation", {"objectives": 2, "actions": 2, "carriers": ("sophie", "karim")}),
                              ("report_action", {}), ("report_action", {}), ("evaluation", {"met": False})]:
            demo.advance(session, app.runtime, case, step, **options)
        again = demo.sample(session, app.runtime, case, "concertation", objectives=1, actions=1, carriers=("tom",))
        again["participants"].append({"name": "Tom Janssens", "organisation": "CPAS (fictif)", "kind": "professional",
                                      "user": "tom", "charter_acknowledged": True})
        tasks.complete(session, app.runtime, anne, demo.open_task(session, case, "concertation").id, again)
        reference = case.reference
    login(client, "anne")
    assert "Stabiliser le lieu de vie" in text(client.get(f"/cases/{reference}")).split('class="changes"')[1]
    login(client, "tom")
    page = text(client.get(f"/cases/{reference}"))
    assert "Reprendre une scolarité adaptée" in page  # the second plan, his to read
    assert 'class="changes"' not in page and "Stabiliser le lieu de vie" not in page


def test_the_history_says_which_time_came_and_that_it_came_by_itself(app, client):
    from engine.scheduler import TimerSweep
    from tests.timer_cases import case_at

    reference = case_at(app, "consent_reminder")
    app.clock.advance(days=7, seconds=1)
    TimerSweep(app.db, app.runtime).tick()
    login(client, "anne")
    page = " ".join(text(client.get(f"/cases/{reference}")).split())
    assert "· automatiquement</span><br>Moment atteint : « Rappel : consentement »" in page
    assert "scheduler" not in page
    post(client, "/language", {"lang": "en", "next": "/"})
    page = " ".join(text(client.get(f"/cases/{reference}")).split())
    assert "· automatically</span><br>Time reached: 'Reminder: consent'" in page


def test_an_exited_case_says_what_it_waits_for_and_until_when(app, client, seeded):
    # Between the exit and the check-in the page had no "Now" at all; the diagram alone showed it.
    import datetime as dt

    reference = seeded["Jeune L."]  # exited: its check-in comes three months later
    login(client, "anne")
    page = " ".join(text(client.get(f"/cases/{reference}")).split())
    now = page.split("<h2>Maintenant</h2>")[1].split("</p>")[0]
    assert "Le processus attend : « Quelques mois après la sortie », jusqu'au " in now
    listed = " ".join(text(client.get("/cases/?status=exited")).split())
    assert f">{reference}</a>" in listed and "en attente de la prise de nouvelles" in listed  # not "—"
    in_three_months = (app.clock.now() + dt.timedelta(days=92)).astimezone(app.runtime.timezone)
    assert in_three_months.strftime("/%m/%Y") in now or (in_three_months - dt.timedelta(days=5)).strftime("/%m/%Y") in now


def test_a_task_page_whose_recent_history_holds_a_timer_opens(app, client):
    # The task page's recent lines named the timer's element with a version it was not given: 500.
    from engine.scheduler import TimerSweep
    from tests.timer_cases import case_at

    from .conftest import task_id

    reference = case_at(app, "action_overdue")
    app.clock.advance(days=5)
    TimerSweep(app.db, app.runtime).tick()
    login(client, "anne")
    for assignee in ("sophie", "karim"):
        page = " ".join(text(client.get(f"/tasks/{task_id(app, reference, 'report_action', assignee)}")).split())
        assert "· automatiquement</span><br>Moment atteint : « Action en retard »" in page
