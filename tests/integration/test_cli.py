"""The command line, as a user at a prompt would use it: help everywhere, clear errors, no traceback."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from workflows.cli import cli


@pytest.fixture
def run(bare_app, tmp_path):
    runner = CliRunner()

    def invoke(*args, user=None, input=None):
        env = {"CASEWORK_DATABASE_URL": bare_app.settings.database_url, "CASEWORK_USER": user or ""}
        result = runner.invoke(cli, list(args), env=env, input=input, catch_exceptions=False)
        assert "Traceback" not in result.output
        return result

    invoke("init")
    return invoke


def test_cli_help_on_every_command():
    runner = CliRunner()
    groups = {"": ["init", "deploy", "validate", "versions", "demo", "users", "cases", "tasks"],
              "users": ["add", "invite", "list", "disable", "enable", "password"], "cases": ["start", "list", "show", "message"],
              "tasks": ["list", "show", "complete"]}
    for group, names in groups.items():
        for name in names:
            args = ([group] if group else []) + [name, "--help"]
            result = runner.invoke(cli, args)
            assert result.exit_code == 0, (args, result.output)
            assert "Usage:" in result.output


def test_cli_init_is_idempotent(run):
    result = run("init")
    assert result.exit_code == 0
    assert "already deployed" in result.output


def test_cli_case_from_start_to_concertation(run, tmp_path):
    out = run("cases", "start", "--requester-kind", "family", "--pseudonym", "Jeune Z.", "--age-band", "12-15",
              "--region", "Brabant wallon", user="anne")
    assert out.exit_code == 0, out.output
    reference = out.output.split()[1]
    tasks = json.loads(run("tasks", "list", "--case", reference, "--json", user="anne").output)
    assert [t["step"] for t in tasks] == ["verify_request"]
    shown = run("tasks", "show", tasks[0]["id"], user="anne")
    assert "youth_age *" in shown.output
    answers = tmp_path / "verify.json"
    answers.write_text(json.dumps({
        "youth_age": 15, "lives_in_region": True, "severe_complex_multiple": True, "failed_attempts": 2,
        "youth_informed": True, "consents": [{"person": "youth", "status": "given"},
                                             {"person": "legal_representative", "label": "père", "status": "given"}],
        "youth_endangered": False, "clarification_interview": False}))
    done = run("tasks", "complete", tasks[0]["id"], "--data", f"@{answers}", user="anne")
    assert done.exit_code == 0, done.output
    assert "Informations du demandeur" in done.output
    overview = run("cases", "show", reference, user="anne")
    assert "Informations du demandeur" in overview.output and "given" in overview.output


@pytest.mark.parametrize("args, user, code, message", [
    (("tasks", "list"), None, 1, "--as USERNAME"),
    (("tasks", "list"), "nobody", 1, "no active user"),
    (("tasks", "complete", "00000000-0000-0000-0000-000000000000", "--data", "{}"), "anne", 1, "no such open task"),
    (("tasks", "complete", "x", "--data", "{not json"), "anne", 1, "not valid JSON"),
    (("tasks", "complete", "x", "--data", "@/nonexistent.json"), "anne", 1, "no file"),
    (("cases", "show", "CM-NOPE00"), "anne", 1, "no case"),
    (("cases", "start", "--requester-kind", "family", "--pseudonym", " ", "--age-band", "12-15", "--region", "BW"),
     "paul", 4, "only case managers and professionals"),
])
def test_cli_user_errors_are_one_clear_line_and_nonzero(run, args, user, code, message):
    result = run(*args, user=user)
    assert result.exit_code == code, result.output
    assert message in result.output


def test_cli_a_full_name_as_pseudonym_is_refused_unless_confirmed(run):
    args = ("cases", "start", "--requester-kind", "family", "--pseudonym", "Lou Martin", "--age-band", "6-11",
            "--region", "BW")
    refused = run(*args, user="anne")
    assert refused.exit_code != 0 and "youth_pseudonym" in refused.output and "prénom et un nom" in refused.output
    assert run(*args, "--pseudonym-confirmed", user="anne").exit_code == 0


def test_cli_form_errors_list_every_field(run):
    reference = run("cases", "start", "--requester-kind", "family", "--pseudonym", "Jeune Y.", "--age-band", "6-11",
                    "--region", "BW", user="anne").output.split()[1]
    task = json.loads(run("tasks", "list", "--case", reference, "--json", user="anne").output)[0]
    result = run("tasks", "complete", task["id"], "--data", json.dumps({"youth_age": "x"}), user="anne")
    assert result.exit_code == 1
    for field in ("youth_age", "lives_in_region", "consents", "clarification_interview"):
        assert f"- {field}:" in result.output
    # nothing was saved: the task is still open
    assert json.loads(run("tasks", "list", "--case", reference, "--json", user="anne").output)[0]["id"] == task["id"]


def test_cli_professional_cannot_act_on_the_case_manager_lane(run):
    reference = run("cases", "start", "--requester-kind", "professional", "--pseudonym", "Jeune X.",
                    "--age-band", "16-17", "--region", "BW", user="tom").output.split()[1]
    task_id = json.loads(run("tasks", "list", "--case", reference, "--json", user="anne").output)[0]["id"]
    result = run("tasks", "complete", task_id, "--data", "{}", user="tom")
    assert result.exit_code == 4
    assert "this task is the case manager's" in result.output


def test_cli_users_add_list_disable(run):
    added = run("users", "add", "nadia", "--name", "Nadia B.", "--role", "professional", "--password",
                "long-enough-pw")
    assert added.exit_code == 0, added.output
    assert "nadia" in run("users", "list").output
    assert run("users", "disable", "nadia").exit_code == 0
    assert "DISABLED" in run("users", "list").output
    again = run("users", "add", "nadia", "--name", "N", "--role", "professional", "--password", "long-enough-pw")
    assert again.exit_code == 1 and "already taken" in again.output
    short = run("users", "add", "zoe", "--name", "Z", "--role", "professional", "--password", "short")
    assert short.exit_code == 1 and "at least 10" in short.output


def test_cli_users_password_gives_a_new_one(app, run):
    from sqlalchemy import select

    from engine.models import AuditEvent
    from workflows import users

    run("users", "add", "nadia", "--name", "Nadia B.", "--role", "professional", "--password", "long-enough-pw")
    changed = run("users", "password", "nadia", input="a-new-long-password\na-new-long-password\n")
    assert changed.exit_code == 0 and "new password set for nadia" in changed.output
    with app.db.transaction() as session:
        assert users.authenticate(session, "nadia", "long-enough-pw") is None
        assert users.authenticate(session, "nadia", "a-new-long-password") is not None
        (event,) = session.scalars(select(AuditEvent).where(AuditEvent.kind == "password_changed")).all()
        assert (event.actor, event.detail) == ("cli", {"user": "nadia"})
    assert run("users", "password", "nadia", "--password", "short").exit_code == 1
    assert run("users", "password", "nobody", "--password", "long-enough-pw").exit_code == 1


def test_cli_validate_lists_problems_and_deploy_refuses(run, tmp_path, monkeypatch):
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<bpmn:definitions")
    result = run("validate", str(broken))
    assert result.exit_code == 1 and "broken.bpmn:1 : le XML est mal formé" in result.output
    result = run("deploy", str(broken), user="paul")
    assert result.exit_code == 1 and "rien n'a été déployé" in result.output and "le XML est mal formé" in result.output
    assert "v1" in run("versions").output
    monkeypatch.setenv("CASEWORK_LANG", "en")
    result = run("validate", str(broken))
    assert result.exit_code == 1 and "broken.bpmn:1: not well-formed XML" in result.output
    result = run("deploy", str(broken), user="paul")
    assert result.exit_code == 1 and "nothing was deployed" in result.output


def test_cli_only_a_process_owner_deploys_or_moves_cases(run):
    # As in the browser; and the version list names a real person, not "cli" or a made-up name.
    bundle = str(Path(__file__).resolve().parents[2] / "bpmn")
    for user, said in ((None, "--as USERNAME"), ("nobody", "no active user 'nobody'"),
                       ("anne", "seul un responsable du processus déploie une version ou déplace des dossiers : "
                                "anne ne l'est pas")):
        for args in (("deploy", bundle, "--note", "x"), ("migrate", "--to", "1")):
            result = run(*args, user=user)
            assert result.exit_code == 1 and said in result.output, (user, args, result.output)
    assert run("deploy", bundle, user="paul").exit_code == 0  # the same content: already version 1


def test_cli_demo_spreads_cases_over_every_step(run):
    result = run("demo")
    assert result.exit_code == 0, result.output
    listing = run("tasks", "list", user="anne").output
    for step in ("verify_request", "obtain_consent", "inform_youth_without_consent", "clarification_interview",
                 "requester_information", "concertation", "report_action", "evaluation",
                 "acknowledge_youth_message"):
        assert f"[{step}]" in listing, step
    assert "[report_action]" in run("tasks", "list", user="sophie").output


def test_cli_case_show_gives_a_professional_only_what_concerns_them(run):
    run("demo")
    listing = run("cases", "list", user="lea").output
    reference = listing.split()[0]
    shown = run("cases", "show", reference, "--json", user="lea")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["plans"] and all(not p["full"] for p in data["plans"])
    assert {a["carrier"] for p in data["plans"] for a in p["actions"]} == {"lea"}
    assert all(item["actor"] in ("lea", "") for item in data["history"])


def test_cli_run_on_a_port_in_use_says_so_in_one_line(run, bare_app):
    import socket

    from web.cli import cli as web_cli  # `casework run`: the web's command on the same group

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(web_cli, ["run", "--port", str(port)],
                                    env={"CASEWORK_DATABASE_URL": bare_app.settings.database_url})
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.output
