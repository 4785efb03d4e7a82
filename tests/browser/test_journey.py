"""The issue's journey in a real browser: request, verification, clarification, concertation with a
plan of 2 objectives and 3 actions, a partner's report, an evaluation that starts a second pass, exit."""

from __future__ import annotations

import re

import pytest

PASSWORD = "demo-casework"
pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]


def sign_in(page, base, username):
    page.goto(base + "/login")
    # In French, or in English after signing out of an English session.
    page.get_by_label(re.compile("^(Nom d'utilisateur|Username)$")).fill(username)
    page.get_by_label(re.compile("^(Mot de passe|Password)$")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^(Se connecter|Sign in)$")).click()
    page.wait_for_url(re.compile(r".*/(inbox|cases.*)$"))


def sign_out(page):
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r".*/login$"))


def open_task(page, base, reference, title, scope=""):
    page.goto(f"{base}/inbox?case={reference}{'&scope=' + scope if scope else ''}")
    page.locator("tbody").get_by_role("link", name=title).first.click()
    page.wait_for_url(re.compile(r".*/tasks/[0-9a-f-]{36}$"))


def complete(page, shot):
    page.shots(shot)
    page.get_by_role("button", name="Terminer la tâche").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() == 1, page.content()[:3000]


def add_row(page, array):
    page.locator(f'fieldset[data-rows="{array}"] > button.add-row').click()


def yes(page, name, value=True):
    page.locator(f'input[name="{name}"][value="{"true" if value else "false"}"]').check()


def fill_plan(page, today):
    """Two professionals, two objectives, three actions (the JS adds the rows)."""
    page.locator("#f-held_on").fill(today)
    rows = page.locator('fieldset[data-rows="participants"] .row')
    for i, (name, user) in enumerate((("Sophie Renard", "sophie"), ("Karim Haddad", "karim"))):
        if rows.count() <= i:
            add_row(page, "participants")
        page.locator(f"#f-participants-{i}-name").fill(name)
        page.locator(f"#f-participants-{i}-kind").select_option("professional")
        page.locator(f"#f-participants-{i}-user").select_option(user)
        page.locator(f"#f-participants-{i}-charter_acknowledged").check()
    yes(page, "youth_present")
    for i, (key, title) in enumerate((("O1", "Reprendre l'école"), ("O2", "Stabiliser le lieu de vie"))):
        if page.locator('fieldset[data-rows="objectives"] .row').count() <= i:
            add_row(page, "objectives")
        page.locator(f"#f-objectives-{i}-key").fill(key)
        page.locator(f"#f-objectives-{i}-title").fill(title)
    page.locator("#f-objectives-0-indicator").fill("Présence 3 jours par semaine")
    for i, (objective, what, carrier) in enumerate((("O1", "Rencontre avec l'école", "sophie"),
                                                    ("O1", "Soutien scolaire", "karim"),
                                                    ("O2", "Visite du lieu de vie", "lea"))):
        if page.locator('fieldset[data-rows="actions"] .row').count() <= i:
            add_row(page, "actions")
        page.locator(f"#f-actions-{i}-objective").fill(objective)
        page.locator(f"#f-actions-{i}-what").fill(what)
        page.locator(f"#f-actions-{i}-carrier").select_option(carrier)
        page.locator(f"#f-actions-{i}-due").fill(today)


def report(page, base, reference, scope=""):
    open_task(page, base, reference, "Rendre compte de l'action", scope)
    page.locator('input[name="status"][value="done"]').check()
    page.locator("#f-result").fill("Action menée.")
    page.locator('input[name="effectiveness"][value="partly"]').check()
    complete(page, "report")


def test_case_manager_and_partner_carry_a_case_through_two_passes(app, live_server, page):
    base, today = live_server, app.clock.now().date().isoformat()
    sign_in(page, base, "anne")
    page.shots("inbox")

    # A new request, introduced on behalf of a family.
    page.get_by_role("link", name="Nouvelle demande").click()
    page.get_by_label("La famille").check()
    page.get_by_label("Pseudonyme du jeune").fill("Jeune Parcours")
    page.get_by_label("Tranche d'âge").select_option("16-17")
    page.get_by_role("button", name="Enregistrer la demande").click()
    page.wait_for_url(re.compile(r".*/cases/CM-[A-Z0-9]{6}$"))
    reference = page.url.rsplit("/", 1)[1]
    assert page.locator('[data-element="verify_request"][data-state="current"]').count() == 1
    page.shots("case-opened")

    # Verification: a first try without the required answers shows the errors beside the fields.
    open_task(page, base, reference, "Vérifier la demande")
    page.locator("#f-youth_age").fill("16")
    page.get_by_role("button", name="Terminer la tâche").click()
    assert page.locator("#error-summary").is_visible()
    assert page.locator("#f-youth_age").input_value() == "16"
    page.shots("verify-errors")
    for name in ("lives_in_region", "severe_complex_multiple", "youth_informed", "clarification_interview"):
        yes(page, name)
    yes(page, "youth_endangered", False)
    page.locator("#f-failed_attempts").fill("3")
    page.locator("#f-consents-0-person").select_option("youth")
    page.locator("#f-consents-0-status").select_option("given")
    add_row(page, "consents")
    page.locator("#f-consents-1-person").select_option("legal_representative")
    page.locator("#f-consents-1-label").fill("mère")
    page.locator("#f-consents-1-status").select_option("given")
    complete(page, "verify")

    # Clarification interview.
    open_task(page, base, reference, "Entretien de clarification")
    page.locator("#f-held_on").fill(today)
    page.locator("#f-needs").fill("Retrouver un cadre scolaire <b>stable</b>.")
    complete(page, "clarification")

    # Concertation: the plan.
    open_task(page, base, reference, "Concertation : co-construire le plan")
    fill_plan(page, today)
    complete(page, "concertation")
    page.goto(f"{base}/cases/{reference}")
    assert page.locator("#plan").get_by_text("Visite du lieu de vie").is_visible()
    assert page.locator("#timeline").get_by_text("Retrouver un cadre").count() == 0  # forms are summarised
    page.shots("case-with-plan")
    sign_out(page)

    # A partner takes her action from her inbox (others see she is on it), reports on it, and
    # sees only what concerns her.
    sign_in(page, base, "sophie")
    page.goto(f"{base}/inbox?case={reference}")
    page.locator("tbody").get_by_role("button", name=re.compile("^Prendre")).first.click()
    page.wait_for_url(re.compile(rf".*/inbox\?case={reference}$"))
    assert page.locator(".flash-success").get_by_text("Vous avez pris cette tâche").is_visible()
    # Every row hers: no column of her own name; the row she holds offers to give it back.
    assert page.locator("tbody").get_by_role("button", name=re.compile("^Libérer")).count() == 1
    page.shots("partner-took-action")
    report(page, base, reference)
    page.goto(f"{base}/cases/{reference}")
    assert page.get_by_text("Rencontre avec l'école").count() >= 1
    page.shots("partner-case")
    sign_out(page)

    # The case manager reports for the two other partners, then evaluates: not met, second pass.
    sign_in(page, base, "anne")
    report(page, base, reference, scope="partners")
    report(page, base, reference, scope="partners")
    open_task(page, base, reference, "Évaluation du plan")
    assert page.get_by_text("Présence 3 jours par semaine").is_visible()  # each objective's indicator
    for i in range(2):  # each objective is judged: neither answer is chosen beforehand
        assert page.locator(f'input[name="objectives.{i}.met"]:checked').count() == 0
    yes(page, "objectives.0.met")
    yes(page, "objectives.1.met", False)
    page.locator('input[name="cooperation_quality"][value="3"]').check()
    complete(page, "evaluation-not-met")

    # Second pass: the concertation starts from the previous plan.
    open_task(page, base, reference, "Concertation : co-construire le plan")
    assert page.locator("#f-objectives-1-title").input_value() == "Stabiliser le lieu de vie"
    page.locator("#f-held_on").fill(today)
    page.locator("#f-objectives-1-title").fill("Trouver un lieu de vie stable")
    for i in range(2):
        page.locator(f"#f-participants-{i}-charter_acknowledged").check()
    yes(page, "youth_present")
    complete(page, "concertation-2")
    for _ in range(3):
        report(page, base, reference, scope="partners")
    open_task(page, base, reference, "Évaluation du plan")
    for i in range(2):
        yes(page, f"objectives.{i}.met")
    page.locator('input[name="cooperation_quality"][value="4"]').check()
    complete(page, "evaluation-met")

    # Exit.
    open_task(page, base, reference, "Sortie du dispositif")
    page.locator('input[name="exit_reason"][value="objectives_met"]').check()
    complete(page, "exit")
    page.goto(f"{base}/cases/{reference}")
    assert page.get_by_text("sorti").first.is_visible()
    assert page.get_by_text("Ce qui a changé depuis la version 1").is_visible()
    assert "<b>stable</b>" not in page.content() or "&lt;b&gt;" in page.content()
    page.shots("case-exited")
