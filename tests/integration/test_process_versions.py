"""Deploy through the check, compare versions, migrate running cases (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.bundles import Bundle
from engine.errors import ValidationError
from engine.models import AuditEvent, HumanTask, ProcessInstance, ProcessVersion
from workflows import cases, demo, drafts, processes
from workflows.cli import cli
from workflows.models import Case
from workflows.users import find_active

from ..conftest import BPMN_DIR


def _shorter_concertation_reminder(bundle: Bundle) -> Bundle:
    text = bundle.files["case_management.bpmn"].replace('<bpmn:timeDuration>"P21D"', '<bpmn:timeDuration>"P14D"')
    return bundle.with_files({"case_management.bpmn": text})


def _without_requester_information(bundle: Bundle) -> Bundle:
    text = bundle.files["case_management.bpmn"]
    text = re.sub(r'<bpmn:userTask id="requester_information".*?</bpmn:userTask>', "", text, flags=re.S)
    text = re.sub(r'<bpmndi:BPMNShape id="requester_information_di".*?</bpmndi:BPMNShape>', "", text, flags=re.S)
    text = re.sub(r'<bpmndi:BPMNEdge id="f_informed_di".*?</bpmndi:BPMNEdge>', "", text, flags=re.S)
    text = text.replace('<bpmn:sequenceFlow id="f_informed" sourceRef="requester_information" '
                        'targetRef="to_concertation" />', "")
    text = text.replace("<bpmn:flowNodeRef>requester_information</bpmn:flowNodeRef>", "")
    text = text.replace("<bpmn:incoming>f_informed</bpmn:incoming>", "")
    text = text.replace('targetRef="requester_information"', 'targetRef="to_concertation"')
    return bundle.with_files({"case_management.bpmn": text})


def _case_at(session, app, step: str) -> Case:
    anne = find_active(session, "anne")
    case = cases.start_case(session, app.runtime, actor=anne, requester_kind="family", youth_pseudonym="Jeune T.",
                            age_band="12-15", region="Brabant wallon")
    for name, options in demo._path_to(step):
        demo.advance(session, app.runtime, case, name, **options)
    return case


def _deploy(app, bundle: Bundle) -> ProcessVersion:
    with app.db.transaction() as session:
        version, created, _ = processes.deploy(session, app.runtime, bundle, author="paul")
        assert created
        return version


def _instance(session, case: Case) -> ProcessInstance:
    return session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == case.reference)
                          .execution_options(populate_existing=True))


def test_deploy_new_cases_start_on_it_running_cases_keep_theirs(app):
    with app.db.transaction() as session:
        old = _case_at(session, app, "concertation")
    _deploy(app, _shorter_concertation_reminder(Bundle.from_directory(BPMN_DIR)))
    with app.db.transaction() as session:
        new = _case_at(session, app, "concertation")
    now = app.clock.now()
    with app.db.transaction(write=False) as session:
        old_instance, new_instance = _instance(session, old), _instance(session, new)
        assert (old_instance.version.number, new_instance.version.number) == (1, 2)
        assert round((old_instance.next_timer_due - now).total_seconds() / 86400) == 21
        assert round((new_instance.next_timer_due - now).total_seconds() / 86400) == 14
        summaries = processes.versions(session)
        assert [(s.version.number, s.running) for s in summaries] == [(2, 1), (1, 1)]
        change = summaries[0].changes[0]
        assert change.element_id == "concertation_reminder" and change.details == ['timer: "P21D" → "P14D"']


def test_deploy_refused_bundle_stores_nothing_and_leaves_cases_alone(app):
    with app.db.transaction() as session:
        case = _case_at(session, app, "concertation")
        before = _instance(session, case).state
    bundle = Bundle.from_directory(BPMN_DIR)
    broken = bundle.with_files({"case_management.bpmn": bundle.files["case_management.bpmn"].replace(
        '"P21D"</bpmn:timeDuration>', '"P" + str(days) + "D"</bpmn:timeDuration>')})
    with pytest.raises(ValidationError) as refused, app.db.transaction() as session:
        processes.deploy(session, app.runtime, broken, author="paul")
    assert any(p.element_id == "concertation_reminder" and "days" in p.message for p in refused.value.problems)
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == 1
        assert _instance(session, case).state == before


def test_migrate_moves_case_records_it_and_the_case_goes_on(app):
    with app.db.transaction() as session:
        case = _case_at(session, app, "concertation")
        revision = _instance(session, case).revision
        open_task = session.scalar(select(HumanTask).where(HumanTask.business_key == case.reference))
        drafts.save(session, task_id=open_task.id, business_key=case.reference, user=find_active(session, "anne"),
                    data={"shared_information": "Typed before the move"}, now=app.clock.now())
    target = _deploy(app, _shorter_concertation_reminder(Bundle.from_directory(BPMN_DIR)))
    app.clock.advance(days=2)
    with app.db.transaction() as session:
        instance = _instance(session, case)
        preview = processes.preview(session, app.runtime, instance, session.get(ProcessVersion, target.id))
        assert preview.can_move and preview.open_after == ["Concertation : co-construire le plan"]
        assert any("starts again" in e for e in preview.effects)
        assert not any("draft" in e for e in preview.effects)  # the concertation itself did not change
        assert _instance(session, case).revision == revision  # a preview writes nothing
    with app.db.transaction() as session:
        instance = _instance(session, case)
        result = processes.migrate_one(session, app.runtime, instance, session.get(ProcessVersion, target.id),
                                       actor="paul")
        assert result.migrated
    with app.db.transaction() as session:
        instance = _instance(session, case)
        assert instance.version.number == 2
        assert round((instance.next_timer_due - app.clock.now()).total_seconds() / 86400) == 14
        event = session.scalar(select(AuditEvent).where(AuditEvent.kind == "instance_migrated"))
        assert (event.actor, event.business_key, event.detail["to_version"]) == ("paul", case.reference, 2)
        task = session.scalar(select(HumanTask).where(HumanTask.business_key == case.reference))
        assert task.spec_name == "concertation" and task.id == open_task.id  # the same task, its draft with it
        assert drafts.get(session, task.id).data == {"shared_information": "Typed before the move"}
        demo.advance(session, app.runtime, session.get(Case, case.id), "concertation")
        assert {t.spec_name for t in session.scalars(select(HumanTask).where(
            HumanTask.business_key == case.reference))} == {"report_action"}


def test_migrate_leaves_case_at_a_removed_step_untouched_with_the_reason(app):
    with app.db.transaction() as session:
        staying = _case_at(session, app, "requester_information")
        moving = _case_at(session, app, "concertation")
        before = _instance(session, staying).state
    target = _deploy(app, _without_requester_information(Bundle.from_directory(BPMN_DIR)))
    results = {}
    with app.db.transaction(write=False) as session:
        ids = [i.id for i in processes.instances_to_move(session, target)]
    for instance_id in ids:
        with app.db.transaction() as session:
            instance = session.get(ProcessInstance, instance_id)
            results[instance.business_key] = processes.migrate_one(session, app.runtime, instance,
                                                                   session.get(ProcessVersion, target.id), actor="paul")
    assert results[moving.reference].migrated
    assert not results[staying.reference].can_move
    assert results[staying.reference].reasons == ["the case is at 'Informations du demandeur', which the new "
                                                  "version removes"]
    assert [r.text("fr") for r in results[staying.reference].reasons] == [
        "le dossier est à l'étape « Informations du demandeur », que la nouvelle version supprime"]
    with app.db.transaction(write=False) as session:
        assert _instance(session, staying).state == before and _instance(session, staying).version.number == 1
        kinds = list(session.scalars(select(AuditEvent.business_key).where(AuditEvent.kind == "instance_migrated")))
        assert kinds == [moving.reference]


def test_migrate_case_with_triggered_event_subprocess(app):
    with app.db.transaction() as session:
        case = _case_at(session, app, "report_action")
        from workflows import messages

        messages.record(session, app.runtime, user=find_active(session, "anne"), case=case, kind="wish", text="(fictif)")
    target = _deploy(app, _shorter_concertation_reminder(Bundle.from_directory(BPMN_DIR)))
    with app.db.transaction() as session:
        result = processes.migrate_one(session, app.runtime, _instance(session, case),
                                       session.get(ProcessVersion, target.id), actor="paul")
        assert result.migrated, result.reasons
    with app.db.transaction() as session:
        demo.advance(session, app.runtime, session.get(Case, case.id), "acknowledge_youth_message")
        assert _instance(session, case).status == "running"


def test_cli_migrate_dry_run_then_for_one_case(app, tmp_path):
    with app.db.transaction() as session:
        first, second = _case_at(session, app, "concertation"), _case_at(session, app, "evaluation")
    folder = tmp_path / "bpmn"
    for name, text in _shorter_concertation_reminder(Bundle.from_directory(BPMN_DIR)).files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    runner = CliRunner()
    env = {"CASEWORK_DATABASE_URL": app.settings.database_url, "CASEWORK_USER": "paul"}
    deployed = runner.invoke(cli, ["deploy", str(folder), "--note", "rappel plus court"], env=env)
    assert deployed.exit_code == 0 and "version 2 déployée" in deployed.output, deployed.output
    listing = runner.invoke(cli, ["versions"], env=env).output
    assert 'minuterie : "P21D" → "P14D"' in listing and "dossiers en cours : 2" in listing
    english = runner.invoke(cli, ["versions"], env={**env, "CASEWORK_LANG": "en"}).output
    assert 'timer: "P21D" → "P14D"' in english and "running cases: 2" in english
    dry = runner.invoke(cli, ["migrate", "--to", "2", "--dry-run"], env={**env, "CASEWORK_LANG": "en"})
    assert dry.exit_code == 0 and "2 case(s) can move" in dry.output, dry.output
    assert "starts again" in dry.output and "repart de zéro" not in dry.output, dry.output
    one = runner.invoke(cli, ["migrate", "--to", "2", "--case", first.reference], env=env)
    assert one.exit_code == 0 and f"{first.reference}  v1 -> v2: déplacé" in one.output, one.output
    assert "repart de zéro" in one.output, one.output
    with app.db.transaction(write=False) as session:
        assert (_instance(session, first).version.number, _instance(session, second).version.number) == (2, 1)
    unknown = runner.invoke(cli, ["migrate", "--to", "2", "--case", "CM-NOPE00"], env=env)
    assert unknown.exit_code == 1 and "no running case CM-NOPE00" in unknown.output



def test_versions_say_a_changed_condition_before_and_after_on_its_flow(app):
    bundle = Bundle.from_directory(BPMN_DIR)
    text = bundle.files["case_management.bpmn"].replace("consent_attempts &lt; 3", "consent_attempts &lt; 4")
    _deploy(app, bundle.with_files({"case_management.bpmn": text}))
    with app.db.transaction(write=False) as session:
        (change,) = processes.versions(session)[0].changes
    assert change.element_id == "consent_retry_gateway"
    assert [d.text("fr") for d in change.details] == [
        "condition vers « Tenter d'obtenir le consentement » : consent != \"given\" and not youth_endangered and "
        "consent_attempts < 3 → consent != \"given\" and not youth_endangered and consent_attempts < 4"]


def test_versions_say_an_element_given_another_english_name(app):
    bundle = Bundle.from_directory(BPMN_DIR)
    text = bundle.files["case_management.bpmn"].replace('casework:nameEn="Objectives met?"',
                                                         'casework:nameEn="Were the objectives met?"')
    _deploy(app, bundle.with_files({"case_management.bpmn": text}))
    with app.db.transaction(write=False) as session:
        (change,) = processes.versions(session)[0].changes
    assert change.element_id == "exit_gateway"
    assert [d.text("fr") for d in change.details] == [
        "nom en anglais : Objectives met? → Were the objectives met?"]
