"""The professional who sent a request learns, once, that the case it opened has ended; nothing
about it (the case page says what they may read)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from engine.scheduler import TimerSweep
from tests.timer_cases import TO_TIMER, user
from workflows import cases, demo
from workflows.models import Notification


def _start(session, app, asker: str):
    return cases.start_case(session, app.runtime, actor=user(session, asker), requester_kind="professional",
                            youth_pseudonym="Jeune R.", age_band="12-15", region="Brabant wallon",
                            case_manager=user(session, "anne"))


def _told(app) -> list[tuple[str, str, dict]]:
    with app.db.transaction(write=False) as session:
        return [(n.recipient.username, n.case.reference, n.detail) for n in session.scalars(
            select(Notification).where(Notification.reason == "request_ended").order_by(Notification.id))]


def test_the_requester_is_told_once_when_the_youth_leaves_and_not_again_when_the_case_closes(app, clock):
    with app.db.transaction() as session:
        case = _start(session, app, "tom")
        for step, options in TO_TIMER["post_exit_wait"][:-1]:
            demo.advance(session, app.runtime, case, step, **options)
        ref = case.reference
    assert _told(app) == []  # a plan followed, evaluated: nothing yet
    with app.db.transaction() as session:
        demo.advance(session, app.runtime, cases.get_case(session, ref), "exit_case")
    assert _told(app) == [("tom", ref, {})]
    clock.set(clock.now() + dt.timedelta(days=100))
    TimerSweep(app.db, app.runtime).tick()
    with app.db.transaction() as session:
        demo.advance(session, app.runtime, cases.get_case(session, ref), "post_exit_check_in")
        assert cases.get_case(session, ref).status == "closed"
    assert _told(app) == [("tom", ref, {})]


def test_the_requester_is_told_when_the_request_is_closed_not_eligible(app):
    with app.db.transaction() as session:
        case = _start(session, app, "tom")
        demo.advance(session, app.runtime, case, "verify_request", eligible=False)
        ref = case.reference
    assert _told(app) == []  # the case manager informs them first (the next step)
    with app.db.transaction() as session:
        demo.advance(session, app.runtime, cases.get_case(session, ref), "inform_requester_not_eligible")
    assert _told(app) == [("tom", ref, {})]


def test_no_notice_for_a_request_the_case_manager_made_for_a_family_or_a_disabled_requester(app):
    with app.db.transaction() as session:
        family = cases.start_case(session, app.runtime, actor=user(session, "anne"), requester_kind="family",
                                  youth_pseudonym="Jeune F.", age_band="12-15", region="Brabant wallon")
        gone = _start(session, app, "tom")
        user(session, "tom").active = False
        for case in (family, gone):
            demo.advance(session, app.runtime, case, "verify_request", eligible=False)
            demo.advance(session, app.runtime, case, "inform_requester_not_eligible")
    assert _told(app) == []
