"""Every path of the seed through the real bpmn/ files: eligibility, consent, clarification,
concertation, follow-up, evaluation, passes, exit; on SQLite and PostgreSQL, each in one
transaction and again with a save-and-reload between every step."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.models import AuditEvent, ProcessInstance
from workflows import consent, plans
from workflows.models import ActionReport, Evaluation, Notification, PlanVersion, YouthMessageRecipient


def _through_follow_up(driver, ref, *, met: bool, actions: int = 3) -> None:
    assert driver.open_steps(ref) == ["concertation"]
    driver.do(ref, "concertation", objectives=2, actions=actions)
    assert driver.open_steps(ref) == ["report_action"] * actions
    assert driver.do_all(ref, "report_action") == actions
    assert driver.open_steps(ref) == ["evaluation"]
    driver.do(ref, "evaluation", met=met)


def _exit_and_check_in(driver, ref) -> None:
    assert driver.open_steps(ref) == ["exit_case"]
    driver.do(ref, "exit_case")
    assert driver.case(ref).status == "exited"
    assert driver.open_steps(ref) == []
    driver.advance_time(days=60)
    assert driver.open_steps(ref) == []  # the check-in comes some months after exit
    driver.advance_time(days=40)
    assert driver.open_steps(ref) == ["post_exit_check_in"]
    driver.do(ref, "post_exit_check_in")
    assert driver.open_steps(ref) == []
    assert driver.case(ref).status == "closed"


def test_process_not_eligible_closes_after_informing_requester(driver):
    ref = driver.start()
    assert driver.open_steps(ref) == ["verify_request"]
    driver.do(ref, "verify_request", eligible=False)
    assert driver.open_steps(ref) == ["inform_requester_not_eligible"]
    driver.do(ref, "inform_requester_not_eligible")
    case = driver.case(ref)
    assert (case.status, case.outcome) == ("closed", "not_eligible")
    assert driver.open_steps(ref) == []


def test_process_consent_given_clarification_one_pass_to_exit(driver):
    ref = driver.start()
    driver.do(ref, "verify_request", consent="given", clarification=True)
    assert driver.open_steps(ref) == ["clarification_interview"]
    driver.do(ref, "clarification_interview")
    _through_follow_up(driver, ref, met=True)
    _exit_and_check_in(driver, ref)
    case = driver.case(ref)
    assert (case.pass_number, case.outcome) == (1, "objectives_met")

    def records(session, case):
        return (session.scalar(select(func.count()).select_from(ActionReport)),
                session.scalar(select(func.count()).select_from(Evaluation).where(Evaluation.case_id == case.id)),
                consent.status(consent.current(session, case)))
    assert driver.query(ref, records) == (3, 1, "given")


def test_process_without_clarification_uses_requester_information(driver):
    ref = driver.start()
    driver.do(ref, "verify_request", clarification=False)
    assert driver.open_steps(ref) == ["requester_information"]
    driver.do(ref, "requester_information")
    assert driver.open_steps(ref) == ["concertation"]


def test_process_consent_refused_youth_endangered_professionals_meet_and_he_is_told(driver):
    ref = driver.start()
    driver.do(ref, "verify_request", consent="refused", endangered=True)
    assert driver.open_steps(ref) == ["inform_youth_without_consent"]
    driver.do(ref, "inform_youth_without_consent")
    assert driver.open_steps(ref) == ["clarification_interview"]

    def overrides(session, case):
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.business_key == case.reference, AuditEvent.kind == "consent_override"))
    assert driver.query(ref, overrides) == 1


def test_process_consent_obtained_on_a_later_attempt(driver):
    ref = driver.start()
    driver.do(ref, "verify_request", consent="pending")
    assert driver.open_steps(ref) == ["obtain_consent"]
    driver.do(ref, "obtain_consent", consent="refused")
    assert driver.open_steps(ref) == ["obtain_consent"]
    driver.do(ref, "obtain_consent", consent="given")
    assert driver.open_steps(ref) == ["clarification_interview"]
    assert driver.case(ref).consent_attempts == 2


def test_process_consent_refused_at_every_attempt_closes_with_a_reason(driver):
    ref = driver.start()
    driver.do(ref, "verify_request", consent="pending")
    for attempt in range(3):
        assert driver.open_steps(ref) == ["obtain_consent"], attempt
        driver.do(ref, "obtain_consent", consent="refused")
    assert driver.open_steps(ref) == ["close_without_consent"]
    driver.do(ref, "close_without_consent")
    case = driver.case(ref)
    assert (case.status, case.outcome, case.consent_attempts) == ("closed", "no_consent", 3)


def test_process_consent_attempt_reveals_danger(driver):
    ref = driver.start()
    driver.do(ref, "verify_request", consent="pending")
    driver.do(ref, "obtain_consent", consent="refused", endangered=True)
    assert driver.open_steps(ref) == ["inform_youth_without_consent"]


def test_process_second_pass_creates_plan_version_two_and_keeps_one(driver):
    ref = driver.start()
    driver.do(ref, "verify_request")
    driver.do(ref, "clarification_interview")
    _through_follow_up(driver, ref, met=False)
    _through_follow_up(driver, ref, met=True, actions=2)
    _exit_and_check_in(driver, ref)

    def versions(session, case):
        return [(p.number, len(p.objectives), len(p.actions)) for p in plans.versions(session, case)]
    assert driver.query(ref, versions) == [(1, 2, 3), (2, 2, 2)]
    assert driver.case(ref).pass_number == 2


def test_process_five_passes(driver):
    ref = driver.start()
    driver.do(ref, "verify_request", clarification=False)
    driver.do(ref, "requester_information")
    for n in range(1, 6):
        _through_follow_up(driver, ref, met=n == 5, actions=1)
        assert driver.case(ref).pass_number == n
    _exit_and_check_in(driver, ref)

    def count(session, case):
        return session.scalar(select(func.count()).select_from(PlanVersion).where(PlanVersion.case_id == case.id))
    assert driver.query(ref, count) == 5


def test_process_complaint_during_follow_up_is_recorded_and_passed_on(driver):
    ref = driver.start()
    driver.do(ref, "verify_request")
    driver.do(ref, "clarification_interview")
    driver.do(ref, "concertation", actions=2)
    driver.message(ref, kind="complaint")
    assert driver.open_steps(ref) == ["acknowledge_youth_message", "report_action", "report_action"]
    driver.do(ref, "acknowledge_youth_message", inform=("sophie", "karim"))

    def informed(session, case):
        recipients = session.scalars(select(YouthMessageRecipient)).all()
        notes = session.scalars(select(Notification).where(Notification.reason == "youth_complaint")).all()
        return (sorted((r.user.username, r.informed_at is not None) for r in recipients),
                sorted(n.recipient.username for n in notes))
    assert driver.query(ref, informed) == ([("karim", True), ("sophie", True)], ["karim", "sophie"])
    # The follow-up goes on; a wish later on is handled the same way.
    driver.message(ref, kind="wish", text="Je voudrais voir ma grand-mère.")
    driver.do(ref, "acknowledge_youth_message", inform=("karim",))
    assert driver.do_all(ref, "report_action") == 2
    driver.do(ref, "evaluation", met=True)
    _exit_and_check_in(driver, ref)


def test_process_passes_are_bounded_then_exit(driver):
    """After the tenth pass the diagram exits even if objectives are not met (loop stays shallow)."""
    ref = driver.start()
    driver.do(ref, "verify_request", clarification=False)
    driver.do(ref, "requester_information")
    for _ in range(10):
        _through_follow_up(driver, ref, met=False, actions=1)
    assert driver.open_steps(ref) == ["exit_case"]

    def status(session, case):
        return session.get(ProcessInstance, case.instance_id).status
    assert driver.query(ref, status) == "running"


def test_process_new_case_after_another_received_a_message_still_completes(driver):
    """A triggered event subprocess changes SpiffWorkflow's spec; other cases must not inherit it."""
    first = driver.start()
    driver.do(first, "verify_request")
    driver.message(first, kind="wish", text="Je voudrais plus de temps.")
    second = driver.start()
    driver.do(second, "verify_request", eligible=False)
    driver.do(second, "inform_requester_not_eligible")
    assert driver.case(second).status == "closed"
    assert driver.open_steps(first) == ["acknowledge_youth_message", "clarification_interview"]
