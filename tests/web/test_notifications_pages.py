"""Notifications, the e-mail outbox and the overdue pages in the browser's shoes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.scheduler import TimerSweep
from tests.timer_cases import case_at, user
from tests.web.conftest import login, post, text
from workflows.models import Notification


def remind(app, clock, timer="consent_reminder", **kwargs) -> str:
    ref = case_at(app, timer, **kwargs)
    clock.advance(days=7, minutes=1)
    TimerSweep(app.db, app.runtime).tick()
    return ref


def test_the_top_bar_counts_unread_notifications_and_the_list_opens_the_case(client, app, clock):
    ref = remind(app, clock)
    login(client, "anne")
    page = text(client.get("/inbox"))
    assert 'class="count" aria-label="1 non lue(s)">1</span>' in page
    listed = text(client.get("/notifications/"))
    assert f"Rappel : le consentement est toujours attendu (dossier {ref})" in listed
    assert '<button class="small">Ouvrir</button>' in listed  # the verb, not the filter's "Ouverts"
    with app.db.transaction(write=False) as session:
        note_id = session.scalar(select(Notification.id))
    opened = post(client, f"/notifications/{note_id}/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/cases/{ref}")
    assert 'class="count"' not in text(client.get("/inbox"))


def test_opening_a_case_reads_what_told_of_it(client, app, clock):
    # Marc opened the case from his inbox; its notification stayed "Nouveau" in the top bar.
    ref = remind(app, clock)
    login(client, "anne")
    assert 'class="count" aria-label="1 non lue(s)">1</span>' in text(client.get("/inbox"))
    client.get(f"/cases/{ref}")
    assert 'class="count"' not in text(client.get("/inbox"))


def test_notifications_are_in_english_when_the_user_chose_english(client, app, clock):
    ref = remind(app, clock)
    login(client, "anne")
    post(client, "/language", {"lang": "en", "next": "/notifications/"})
    assert f"Reminder: consent is still awaited (case {ref})" in text(client.get("/notifications/"))


def test_mark_all_read_and_no_one_opens_someone_elses_notification(client, app, clock):
    remind(app, clock)
    with app.db.transaction(write=False) as session:
        note_id = session.scalar(select(Notification.id))
    login(client, "marc")
    assert post(client, f"/notifications/{note_id}/open").status_code == 404
    post(client, "/logout")
    login(client, "anne")
    assert post(client, "/notifications/read").status_code == 302
    assert 'class="count"' not in text(client.get("/notifications/"))


def test_the_daily_digest_is_a_choice_on_the_notifications_page(client, app):
    login(client, "sophie")
    assert "Plutôt un e-mail par jour" in text(client.get("/notifications/"))
    post(client, "/notifications/digest", {"digest": "on"})
    with app.db.transaction(write=False) as session:
        assert user(session, "sophie").email_digest is True
    assert "Vous recevez un e-mail par jour" in text(client.get("/notifications/"))
    assert post(client, "/notifications/digest", {"digest": "maybe"}).status_code == 400


def test_the_outbox_page_shows_what_waits_and_sends_failed_ones_again(client, app, clock):
    ref = remind(app, clock)
    with app.db.transaction() as session:
        note = session.scalar(select(Notification))
        note.email_status, note.attempts, note.last_error = "failed", 12, "SMTP 550 mailbox unavailable"
    login(client, "chantal")
    page = text(client.get("/notifications/outbox"))
    assert "L'e-mail n'est pas configuré" in page
    assert "SMTP 550 mailbox unavailable" in page and "échec" in page
    assert "Rappel : le consentement est toujours attendu" in page and ref not in page  # no case for a coordinator
    done = post(client, "/notifications/outbox/retry", {"all_failed": "1"}, follow_redirects=True)
    assert "1 e-mail(s) seront renvoyés." in text(done)
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(Notification.email_status)) == "pending"
    login(client, "anne")  # the case's case manager sees which case
    assert ref in text(client.get("/notifications/outbox"))


@pytest.mark.parametrize("username,status", [("sophie", 403), ("paul", 403), ("anne", 200), ("chantal", 200)])
def test_who_may_see_the_outbox(client, username, status):
    login(client, username)
    assert client.get("/notifications/outbox").status_code == status


def test_overdue_pages_per_role(client, app, clock):
    ref = case_at(app, "action_overdue")
    case_at(app, "consent_reminder")  # obtain_consent, due in 14 days
    clock.advance(days=15)
    login(client, "anne")
    page = text(client.get("/overdue/"))
    assert ref in page and "Sophie Renard" in page and "Karim Haddad" in page
    # A late action leads to its report, named by its carrier (not by username); once, not twice.
    assert re.search(r'<a href="/tasks/[0-9a-f-]+">[^<]+</a></td><td>Sophie Renard</td>', page)
    assert "Rendre compte de l'action" not in page and "<td>12 jours</td>" not in page
    assert ">Tenter d'obtenir le consentement</a></td><td>Anne Lambert</td>" in page
    post(client, "/language", {"lang": "en", "next": "/"})  # the steps as their forms name them in English
    assert ">Try to obtain consent</a>" in text(client.get("/overdue/"))
    post(client, "/logout")
    login(client, "sophie")
    page = text(client.get("/overdue/"))
    assert ref in page and "Sophie Renard" in page and "Karim Haddad" not in page
    post(client, "/logout")
    login(client, "chantal")
    page = text(client.get("/overdue/"))
    assert "Des nombres seulement" in page and "Anne Lambert" in page and ref not in page
    post(client, "/logout")
    login(client, "paul")
    assert client.get("/overdue/").status_code == 403


def test_a_coordinator_hands_every_case_of_a_case_manager_who_is_away_to_a_colleague(client, app, clock):
    # Marc covering for anne, ill for two weeks, saw none of her cases: only she could hand one over.
    from engine.models import AuditEvent
    from workflows.models import Case

    refs = [case_at(app, "consent_reminder"), case_at(app, "action_overdue")]  # anne's
    login(client, "chantal")
    page = text(client.get("/overdue/"))
    assert "Un gestionnaire de cas est absent" in page and "Anne Lambert (2 dossiers)" in page
    assert not any(ref in page for ref in refs)  # counts, never a case
    asked = text(post(client, "/overdue/hand-over", {"away": "anne", "to": "marc"}))
    assert "Confier les dossiers de Anne Lambert ?" in asked and "2 dossiers non clôturés passent à Marc Dubois" in asked
    with app.db.transaction(write=False) as session:
        assert {c.case_manager.username for c in session.scalars(select(Case))} == {"anne"}  # asked, not done
    done = post(client, "/overdue/hand-over", {"away": "anne", "to": "marc", "confirm": "1"})
    assert "2 dossiers de Anne Lambert confiés à Marc Dubois, qui est informé de chacun." in text(
        client.get(done.location))
    with app.db.transaction(write=False) as session:
        assert {c.case_manager.username for c in session.scalars(select(Case))} == {"marc"}
        handed = session.scalars(select(AuditEvent).where(AuditEvent.kind == "case_reassigned")).all()
        assert sorted((e.business_key, e.actor, e.detail["to"]) for e in handed) == sorted(
            (ref, "chantal", "marc") for ref in refs)
        told = session.scalars(select(Notification).where(Notification.reason == "case_handed_over")).all()
        assert sorted(n.recipient.username for n in told) == ["marc", "marc"]
    login(client, "marc")
    assert all(client.get(f"/cases/{ref}").status_code == 200 for ref in refs)
    login(client, "chantal")  # the same person twice, or nobody chosen: said, nothing done
    assert "deux personnes différentes" in text(client.get(post(client, "/overdue/hand-over", {
        "away": "marc", "to": "marc", "confirm": "1"}).location))
