"""The inbox: what each user sees, order, filters with counts, pages; never a workflow load."""

from __future__ import annotations

import datetime as dt

from workflows import inbox
from workflows.users import get_user

from .conftest import login, post, task_id, text

BADGE = '<span class="badge draft">Brouillon</span>'


def test_inbox_lists_own_tasks_overdue_first_with_counts(app, client, seeded):
    login(client, "anne")
    page = text(client.get("/inbox"))
    assert "Mes tâches" in page and seeded["Jeune A."] in page and "Vérifier la demande" in page
    assert "Jeune A." in page  # how the team calls the youth, beside the reference
    app.clock.advance(days=8)  # verification tasks (due in 7 days) are now late
    page = text(client.get("/inbox"))
    assert "En retard" in page
    first_row = page.split("<tbody>")[1].split("</tr>")[0]
    assert "badge late" in first_row
    overdue = text(client.get("/inbox?due=overdue")).split("<tbody>")[1]
    assert "Vérifier la demande" in overdue and "Concertation" not in overdue


def test_inbox_filters_by_step_and_case(app, client, seeded):
    login(client, "anne")
    page = text(client.get("/inbox?step=verify_request")).split("<tbody>")[1]
    assert seeded["Jeune A."] in page and seeded["Jeune G."] not in page
    page = text(client.get(f"/inbox?case={seeded['Jeune G.']}")).split("<tbody>")[1]
    assert seeded["Jeune G."] in page and seeded["Jeune A."] not in page


def test_professional_sees_only_their_actions_and_partner_scope_is_for_case_managers(app, client, seeded):
    login(client, "sophie")
    page = text(client.get("/inbox"))
    assert "Rendre compte de l'action" in page and "Vérifier la demande" not in page
    assert "Actions des partenaires" not in page
    assert '<th scope="col">Qui</th>' not in page  # every row hers, none taken by another: no column of her name
    page = text(client.get("/inbox?scope=partners"))  # ignored: falls back to her own tasks
    assert "Vérifier la demande" not in page
    login(client, "anne")
    page = text(client.get("/inbox?scope=partners"))
    assert "Rendre compte de l'action" in page and "Sophie Renard" in page  # by name, not username
    assert '<th scope="col">Qui</th>' in page


def test_counts_and_pages(app, seeded):
    with app.db.transaction(write=False) as session:
        anne = get_user(session, "anne")
        now = app.clock.now()
        result = inbox.page(session, anne, inbox.Query(page_size=3), now)
        assert result.counts.total == sum(result.counts.by_step.values()) >= 9
        assert result.pages == -(-result.counts.total // 3) and len(result.tasks) == 3
        last = inbox.page(session, anne, inbox.Query(page_size=3, page=result.pages), now)
        seen = [t.id for p in range(1, result.pages + 1)
                for t in inbox.page(session, anne, inbox.Query(page_size=3, page=p), now).tasks]
        assert len(seen) == len(set(seen)) == result.counts.total and last.tasks
        dues = [t.due_at for p in range(1, result.pages + 1)
                for t in inbox.page(session, anne, inbox.Query(page_size=3, page=p), now).tasks]
        dated = [d for d in dues if d is not None]
        assert dated == sorted(dated)
        partners = inbox.page(session, anne, inbox.Query(scope="partners", page_size=500), now).tasks
        keys = [(t.due_at, t.business_key) for t in partners]
        assert keys == sorted(keys) and len(set(keys)) < len(keys)  # same-day actions of a case together
        week = inbox.page(session, anne, inbox.Query(window="week"), now)
        assert all(now <= t.due_at <= inbox.end_of_week(now) for t in week.tasks)
        assert week.counts.by_step and sum(week.counts.by_step.values()) == week.counts.week


def test_counts_match_the_rows_of_each_window_scope_and_step(app, seeded):
    app.clock.advance(days=8)  # verification tasks (due in 7 days) are late, others not yet
    with app.db.transaction(write=False) as session:
        anne, now = get_user(session, "anne"), app.clock.now()
        for scope in ("mine", "partners"):
            everything = inbox.page(session, anne, inbox.Query(scope=scope, page_size=500), now)
            assert everything.counts.total == len(everything.tasks) > 0
            for window in ("overdue", "week"):
                shown = inbox.page(session, anne, inbox.Query(scope=scope, window=window, page_size=500), now)
                expected = [t for t in everything.tasks if t.due_at is not None and (
                    t.due_at < now if window == "overdue" else now <= t.due_at <= inbox.end_of_week(now))]
                assert {t.id for t in shown.tasks} == {t.id for t in expected}
                assert getattr(everything.counts, window) == len(expected) == sum(shown.counts.by_step.values())
            for step, n in everything.counts.by_step.items():
                only = inbox.page(session, anne, inbox.Query(scope=scope, step=step, page_size=500), now)
                assert len(only.tasks) == n == only.counts.total
        assert inbox.page(session, anne, inbox.Query(window="overdue"), now).counts.overdue > 0
        one_case = inbox.page(session, anne, inbox.Query(case_ref=seeded["Jeune A."].lower()), now)
        assert one_case.tasks and {t.business_key for t in one_case.tasks} == {seeded["Jeune A."]}
        assert one_case.counts.total == len(one_case.tasks)


def test_end_of_week_is_sunday_night_in_brussels():
    monday = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    assert inbox.end_of_week(monday) == dt.datetime(2026, 3, 8, 22, 59, 59, tzinfo=dt.UTC)


def test_inbox_says_which_action_a_report_is_about(app):
    from web import create_app
    from workflows import demo

    with app.db.transaction() as session:
        demo.seed_cases(session, app.runtime)
    client = create_app({"CASEWORK": app, "SECRET_KEY": "t", "TESTING": True}).test_client()
    with client.session_transaction() as s:
        s["csrf"] = "t"
    client.post("/login", data={"csrf_token": "t", "username": "sophie", "password": demo.DEMO_PASSWORD})
    page = client.get("/inbox").get_data(as_text=True)
    assert "Action 1 : reprendre une scolarité adaptée" in page


def test_partners_actions_follow_the_case_to_its_new_manager(app, seeded):
    from workflows import cases

    with app.db.transaction() as session:
        anne, marc = get_user(session, "anne"), get_user(session, "marc")
        partners = inbox.Query(scope="partners", page_size=200)
        before = inbox.page(session, anne, partners, app.clock.now()).tasks
        reference = before[0].business_key
        moved = {t.id for t in before if t.business_key == reference}
        cases.reassign(session, cases.get_case(session, reference), actor=anne, to=marc, now=app.clock.now())
    with app.db.transaction(write=False) as session:
        anne, marc = get_user(session, "anne"), get_user(session, "marc")
        assert not moved & {t.id for t in inbox.page(session, anne, partners, app.clock.now()).tasks}
        assert moved <= {t.id for t in inbox.page(session, marc, partners, app.clock.now()).tasks}


def test_inbox_marks_the_tasks_with_a_saved_draft_and_who_saved_it(app, client, seeded):
    from .conftest import post, task_id

    reference = seeded["Jeune E."]
    tid = task_id(app, reference, "clarification_interview")
    login(client, "anne")
    assert BADGE not in text(client.get(f"/inbox?case={reference}"))
    post(client, f"/tasks/{tid}", {"needs": "À reprendre demain", "action": "draft"})
    row = text(client.get(f"/inbox?case={reference}"))
    assert BADGE in row and "Anne Lambert" not in row.split(BADGE)[1][:80]
    with app.db.transaction(write=False) as session:
        page = inbox.page(session, get_user(session, "anne"), inbox.Query(case_ref=reference), app.clock.now())
    assert page.drafts[tid][1] == "Anne Lambert"
    # Saved by someone else (a colleague standing in): their name shows.
    from workflows import drafts

    with app.db.transaction() as session:
        drafts.save(session, task_id=tid, business_key=reference, user=get_user(session, "marc"),
                    data={"needs": "Complété par Marc"}, now=app.clock.now())
    assert "Marc Dubois" in text(client.get(f"/inbox?case={reference}")).split(BADGE)[1][:120]
    assert post(client, f"/tasks/{tid}", {"action": "complete"}).status_code == 422  # the draft stays
    assert BADGE in text(client.get(f"/inbox?case={reference}"))


def test_the_drafts_filter_lists_the_forms_begun_and_counts_them(app, client, seeded):
    from workflows import drafts

    from .conftest import post, task_id

    interview = task_id(app, seeded["Jeune E."], "clarification_interview")
    concertation = task_id(app, seeded["Jeune G."], "concertation")
    report = task_id(app, seeded["Jeune H."], "report_action", "sophie")
    login(client, "anne")
    assert "Aucun formulaire commencé et gardé comme brouillon ici." in text(client.get("/inbox?due=draft"))
    post(client, f"/tasks/{interview}", {"needs": "À reprendre demain", "action": "draft"})
    post(client, f"/tasks/{concertation}", {"action": "draft"})
    with app.db.transaction() as session:  # a partner's draft: not in anne's own tasks
        drafts.save(session, task_id=report, business_key=seeded["Jeune H."], user=get_user(session, "sophie"),
                    data={"done": "En cours"}, now=app.clock.now())
    page = text(client.get("/inbox?due=draft"))
    assert 'Brouillons<span class="chip-count">2</span>' in page
    assert page.count(BADGE) == 2 and interview in page and concertation in page and report not in page
    assert page.count("<tr") == 3  # the head and two rows
    by_step = text(client.get("/inbox?due=draft&step=concertation"))
    assert concertation in by_step and interview not in by_step
    partners = text(client.get("/inbox?scope=partners&due=draft"))
    assert report in partners and 'Brouillons<span class="chip-count">1</span>' in partners
    listed = client.get("/api/v1/tasks?due=draft").get_json()
    assert {t["id"] for t in listed["tasks"]} == {interview, concertation} and listed["counts"]["draft"] == 2
    post(client, f"/tasks/{concertation}", {"action": "complete"})  # refused (422): the draft stays
    assert text(client.get("/inbox?due=draft")).count(BADGE) == 2



def test_a_new_partner_is_told_what_will_come_to_their_inbox(app, client, seeded):
    from workflows.users import create_user

    with app.db.transaction() as session:
        create_user(session, username="nina", display_name="Nina (fictive)", role="professional",
                    password="demo-casework", now=app.clock.now())
    login(client, "nina")
    page = text(client.get("/inbox"))
    assert "Vous ne prenez encore part à aucun dossier." in page and "Bravo" not in page
    login(client, "sophie")  # she carries actions: her tasks, not the newcomer's words
    assert "Vous ne prenez encore part" not in text(client.get("/inbox"))
    assert "Vous ne prenez encore part" not in text(client.get("/inbox?case=CM-NOPE00"))


def test_case_filter_matches_part_of_a_reference_and_counts_agree(app, seeded, monkeypatch):
    app.clock.advance(days=8)  # some tasks late, others due this week
    reference = seeded["Jeune H."]  # with a partner's action: in both scopes
    part = reference[3:7].lower()  # without the "CM-" prefix, in small letters
    with app.db.transaction(write=False) as session:
        anne, now = get_user(session, "anne"), app.clock.now()
        for max_keys in (inbox.MAX_KEYS, 0):  # its keys looked up first, or read by each statement
            monkeypatch.setattr(inbox, "MAX_KEYS", max_keys)
            for scope in ("mine", "partners"):
                everything = inbox.page(session, anne, inbox.Query(scope=scope, page_size=500), now).tasks
                for window in (None, "overdue", "week"):
                    for typed in (part, f"cm-{part}", reference[2:8]):
                        found = inbox.page(session, anne, inbox.Query(scope=scope, case_ref=typed, window=window,
                                                                      page_size=500), now)
                        expected = {t.id for t in inbox.page(session, anne, inbox.Query(
                            scope=scope, window=window, page_size=500), now).tasks
                            if typed.upper().removeprefix("CM-") in t.business_key}
                        assert {t.id for t in found.tasks} == expected and found.matching == len(expected)
                        assert sum(found.counts.by_step.values()) == len(expected)
                assert any(t.business_key == reference for t in everything)
        # "_" and "%" are letters here, not wildcards; two letters are too few to filter by.
        assert inbox.page(session, anne, inbox.Query(case_ref="___"), now).matching == 0
        assert inbox.page(session, anne, inbox.Query(case_ref="%%%"), now).matching == 0
        assert inbox.page(session, anne, inbox.Query(case_ref=part[:2]), now).matching == \
            inbox.page(session, anne, inbox.Query(), now).matching


def test_inbox_page_filters_by_part_of_a_reference(app, client, seeded):
    reference = seeded["Jeune G."]
    login(client, "anne")
    rows = text(client.get(f"/inbox?case={reference[3:7].lower()}")).split("<tbody>")[1]
    assert reference in rows and seeded["Jeune A."] not in rows
    page = text(client.get("/inbox?case=CM-000"))  # references have no 0 (read aloud, it is an O)
    assert "<tbody>" not in page and "Bravo" not in page
    assert "Aucune tâche ne correspond à ces filtres." in page and 'href="?">Effacer les filtres</a>' in page
    short = text(client.get(f"/inbox?case={reference[3:5]}"))
    assert "Tapez au moins 3 caractères de la référence après « CM- »." in short
    assert seeded["Jeune A."] in short and reference in short  # too short to filter by: every task


def test_a_page_past_the_last_shows_the_last_page(app, client, seeded):
    login(client, "anne")
    first = text(client.get("/inbox"))
    rows = first.split("<tbody>")[1].split("</tbody>")[0]
    for url in ("/inbox?page=2", "/inbox?page=10000", f"/inbox?case={seeded['Jeune G.']}&page=3"):
        page = text(client.get(url))
        assert "Bravo" not in page and "<tbody>" in page, url
        if url == "/inbox?page=2":  # fewer tasks than a page holds: the one page, without a pager
            assert page.split("<tbody>")[1].split("</tbody>")[0] == rows and 'class="pager"' not in page
    with app.db.transaction(write=False) as session:
        anne, now = get_user(session, "anne"), app.clock.now()
        pages = inbox.page(session, anne, inbox.Query(page_size=3), now).pages
        last = inbox.page(session, anne, inbox.Query(page_size=3, page=pages), now)
        past = inbox.page(session, anne, inbox.Query(page_size=3, page=pages + 5), now, clamp=True)
        assert pages > 1 and past.query.page == pages and [t.id for t in past.tasks] == [t.id for t in last.tasks]
        assert not inbox.page(session, anne, inbox.Query(page_size=3, page=pages + 5), now).tasks  # the API's
    listed = client.get("/api/v1/tasks?page=2").get_json()  # an API client pages until a page is empty
    assert listed["tasks"] == [] and listed["pages"] == 1


def test_the_title_counts_the_tasks_listed_under_every_filter(app, client, seeded):
    import re

    login(client, "anne")  # ten tasks, one of them due this week (an acknowledgement, in two days)
    for query in ("", "due=week", "due=overdue", "step=verify_request", f"case={seeded['Jeune G.']}",
                  "step=verify_request&due=week", "scope=partners", "case=CM-000"):
        page = text(client.get(f"/inbox?{query}"))
        title = "Actions des partenaires dans mes dossiers" if "partners" in query else "Mes tâches"
        shown = int(re.search(title + r' <span class="muted">\((\d+)\)</span>', page).group(1))
        rows = page.split("<tbody>")[1].count("<tr") if "<tbody>" in page else 0
        assert shown == rows, query
    week = text(client.get("/inbox?due=week"))
    assert 0 < week.split("<tbody>")[1].count("<tr") < text(client.get("/inbox")).split("<tbody>")[1].count("<tr")


def test_take_is_offered_where_someone_else_could_also_act_and_never_on_someone_elses_task(app, client, seeded):
    login(client, "anne")
    assert "/claim" not in text(client.get("/inbox"))  # her own steps: no one else completes them
    own = task_id(app, seeded["Jeune A."], "verify_request")
    assert "/claim" not in text(client.get(f"/tasks/{own}"))  # nor on their page
    partners = text(client.get("/inbox?scope=partners"))
    assert "Sophie Renard" in partners and "/claim" not in partners  # it would lock sophie out, in one tap
    login(client, "sophie")
    mine = text(client.get("/inbox"))
    assert mine.count("/claim") == mine.count('href="/tasks/') > 0  # her actions: the case manager could act too
    tid = task_id(app, seeded["Jeune H."], "report_action", "sophie")
    login(client, "anne")  # from the task's page, which says what taking it does to sophie
    assert "Si vous la prenez, Sophie Renard ne peut plus la terminer" in text(client.get(f"/tasks/{tid}"))


def test_a_pseudonym_typed_in_the_case_filter_leaves_the_address_and_is_not_repeated(client, seeded):
    login(client, "anne")
    page = text(client.get("/inbox"))
    assert 'name="case" type="search"' in page and 'pattern="' in page  # the browser refuses it first
    response = client.get("/inbox?due=overdue&case=Jeune+A.")
    assert response.status_code == 302 and "Jeune" not in response.headers["Location"]
    assert "due=overdue" in response.headers["Location"]
    page = text(client.get(response.headers["Location"]))
    assert "cherchez un pseudonyme dans Dossiers" in page and "Jeune A." not in page.split("<tbody>")[0]
    assert client.get(f"/inbox?case={seeded['Jeune A.'].lower()}").status_code == 200  # a reference, as typed


def test_the_filters_form_puts_in_the_address_only_a_reference_one_s_tasks_are_of(client, seeded):
    # A one-word pseudonym ("Lucas") is made of a reference's characters: it went into the URL.
    login(client, "anne")
    for typed in ("Lucas", "Jeune A.", "CM"):
        response = post(client, "/inbox", {"step": "verify_request", "case": typed})
        assert response.status_code == 302 and typed not in response.headers["Location"], typed
        assert "step=verify_request" in response.headers["Location"]
    page = text(client.get("/inbox"))
    assert "Aucune de vos tâches n" in page or "Tapez au moins" in page
    reference = seeded["Jeune A."]
    response = post(client, "/inbox", {"case": reference[3:].lower(), "due": "overdue"})
    assert response.headers["Location"].endswith(f"/inbox?due=overdue&case={reference[3:].lower()}")


def test_a_task_completed_from_a_filtered_list_leads_back_to_that_list(app, client, seeded):
    # Working through one step's tasks took five clicks each: the filter was lost at each completion.
    from .conftest import form_data, post_fields
    from .test_tasks import _sample

    login(client, "anne")
    client.get("/inbox?step=requester_information")
    reference = seeded["Jeune F."]  # at "Informations du demandeur"
    tid = task_id(app, reference, "requester_information")
    assert 'href="/inbox?step=requester_information">Retour à mes tâches' in text(client.get(f"/tasks/{tid}"))
    done = post_fields(client, f"/tasks/{tid}", form_data(_sample(app, reference, "requester_information"))
                       + [("action", "complete")])
    assert done.status_code == 302
    # Its next step, the concertation, is hers too: the message says so; she goes on with her list.
    assert done.headers["Location"].endswith("/inbox?step=requester_information")
    assert "À vous ensuite : « Concertation" in text(client.get(done.headers["Location"]))
    client.get("/inbox")  # from the whole inbox: that case first, as before
    tid = task_id(app, seeded["Jeune E."], "clarification_interview")
    done = post_fields(client, f"/tasks/{tid}", form_data(_sample(app, seeded["Jeune E."], "clarification_interview"))
                       + [("action", "complete")])
    assert done.headers["Location"].endswith(f"/inbox?case={seeded['Jeune E.']}")
    # Nothing next for her on the case (a partner's report): back to the list she worked from.
    login(client, "sophie")
    client.get("/inbox?due=overdue")
    reference = seeded["Jeune H."]
    tid = task_id(app, reference, "report_action", "sophie")
    done = post_fields(client, f"/tasks/{tid}", form_data(_sample(app, reference, "report_action"))
                       + [("action", "complete")])
    assert done.status_code == 302 and done.headers["Location"].endswith("/inbox?due=overdue")
