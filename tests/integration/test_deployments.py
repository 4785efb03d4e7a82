"""Deployments: immutable numbered versions keyed by content; a case stays on its version."""

import pytest
from sqlalchemy import func, select

from engine.bundles import Bundle
from engine.deployments import deploy, latest_version, list_versions
from engine.errors import ValidationError
from engine.models import ProcessInstance, ProcessVersion
from tests.conftest import BPMN_DIR
from workflows import cases, demo, processes, services
from workflows.users import find_active


def _deploy(app, bundle):
    with app.db.transaction() as session:
        version, created = deploy(session, bundle, codec=app.runtime.codec, now=app.clock.now(), author="paul",
                                  services=set(services.HANDLERS))
        return version.number, created


def _longer_consent_reminder(bundle: Bundle) -> Bundle:
    text = bundle.files["case_management.bpmn"].replace('"R3/P7D"', '"R3/P10D"')
    return bundle.with_files({"case_management.bpmn": text})


def test_deployments_same_content_is_the_same_version_new_content_a_new_one(app):
    bundle = Bundle.from_directory(BPMN_DIR)
    assert _deploy(app, bundle) == (1, False)
    assert _deploy(app, _longer_consent_reminder(bundle)) == (2, True)
    assert _deploy(app, _longer_consent_reminder(bundle)) == (2, False)  # the newest's content again: nothing


def test_deployments_an_earlier_content_deployed_again_is_the_way_back_from_a_faulty_version(app):
    # Version 2 turned out wrong: deploying version 1's content makes it the newest, version 3,
    # which new cases start on and cases on version 2 can move to.
    bundle = Bundle.from_directory(BPMN_DIR)
    _deploy(app, _longer_consent_reminder(bundle))
    with app.db.transaction() as session:
        stuck = cases.start_case(session, app.runtime, actor=find_active(session, "anne"), requester_kind="family",
                                 youth_pseudonym="Jeune W.", age_band="12-15", region="Brabant wallon")
        stuck_id = stuck.instance_id
    assert _deploy(app, bundle) == (3, True)
    with app.db.transaction() as session:
        fresh = cases.start_case(session, app.runtime, actor=find_active(session, "anne"), requester_kind="family",
                                 youth_pseudonym="Jeune X.", age_band="12-15", region="Brabant wallon")
        assert session.get(ProcessInstance, fresh.instance_id).version.number == 3
        versions = {v.number: v for v in session.scalars(select(ProcessVersion))}
        assert versions[3].content_hash == versions[1].content_hash != versions[2].content_hash
        result = processes.migrate_one(session, app.runtime, session.get(ProcessInstance, stuck_id), versions[3],
                                       actor="paul")
        assert result.migrated, result.reasons


def test_deployments_running_case_stays_on_its_version(app):
    with app.db.transaction() as session:
        manager = find_active(session, "anne")
        old = cases.start_case(session, app.runtime, actor=manager, requester_kind="family",
                               youth_pseudonym="Jeune V.", age_band="12-15", region="Brabant wallon")
        old_ref = old.reference
    _deploy(app, _longer_consent_reminder(Bundle.from_directory(BPMN_DIR)))
    with app.db.transaction() as session:
        manager = find_active(session, "anne")
        new = cases.start_case(session, app.runtime, actor=manager, requester_kind="family",
                               youth_pseudonym="Jeune W.", age_band="12-15", region="Brabant wallon")
        for reference in (old_ref, new.reference):
            demo.advance(session, app.runtime, cases.get_case(session, reference), "verify_request", consent="pending")
        due = {}
        for reference in (old_ref, new.reference):
            instance = session.get(ProcessInstance, cases.get_case(session, reference).instance_id)
            due[reference] = (instance.version.number, instance.next_timer_due - app.clock.now())
        assert [(v, d.days) for v, d in due.values()] == [(1, 7), (2, 10)]
        assert [(v.number, n) for v, n in list_versions(session, "case_management")] == [(2, 1), (1, 1)]


def test_deployments_broken_bundle_lists_every_problem_and_deploys_nothing(app):
    bundle = Bundle.from_directory(BPMN_DIR)
    text = bundle.files["case_management.bpmn"]
    text = text.replace('"P21D"', '"three weeks"').replace("not eligible", "not eligible or __import__('os')")
    broken = bundle.with_files({"case_management.bpmn": text, "forms/report_action.json": None})
    with pytest.raises(ValidationError) as caught:
        _deploy(app, broken)
    problems = caught.value.problems
    ids = {p.element_id for p in problems}
    assert {"concertation_reminder", "f_not_eligible", "report_action"} <= ids, [str(p) for p in problems]
    assert all(p.line for p in problems if p.element_id)
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == 1
        assert latest_version(session, "case_management").number == 1


@pytest.mark.parametrize("text, expected", [
    ("not xml at all", "not well-formed"),
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "DOCTYPE"),
    ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
     'targetNamespace="t"></bpmn:definitions>', "no executable process"),
])
def test_deployments_refuses_files_that_are_not_runnable_bpmn(app, text, expected):
    with pytest.raises(ValidationError) as caught:
        _deploy(app, Bundle({"x.bpmn": text}))
    assert expected in str(caught.value)
