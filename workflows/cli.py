"""`casework ...`: set up, deploy, and drive cases and tasks from the command line."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from engine.bundles import Bundle
from engine.deployments import deploy as deploy_bundle

from . import case_view, mailer, messages, password_reset, schema, services, tasks, users
from . import cases as cases_mod
from . import demo as demo_mod
from .bootstrap import Casework, build
from .errors import (
    ConflictError,
    DomainError,
    EngineError,
    FormError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from .models import Case


class CliError(click.ClickException):
    exit_code = 1


def cli_locale() -> str:
    """The language of problems and form errors: French, or English with CASEWORK_LANG=en.

    LANG is not read: servers often run with en_US.UTF-8 whoever types the command.
    """
    return "en" if os.environ.get("CASEWORK_LANG", "").strip().lower().startswith("en") else "fr"


def _explain(err: Exception) -> str:
    if isinstance(err, FormError):
        locale = cli_locale()
        head = "le formulaire a des erreurs :" if locale == "fr" else "the form has errors:"
        lines = [head] + [f"  - {e.path or '(form)'}: {e.message(locale)}" for e in err.errors]
        return "\n".join(lines)
    if isinstance(err, ValidationError):
        locale = cli_locale()
        head = "refusé, rien n'a été déployé :" if locale == "fr" else "refused, nothing was deployed:"
        return head + "\n" + "\n".join(f"  - {p.located(locale)}" for p in err.problems)
    if isinstance(err, (OperationalError, ProgrammingError)):
        return "the database is not ready (run `casework init`)"
    return str(err)


def handle_errors(func):
    """A user error is one clear message and a non-zero exit, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except (DomainError, EngineError, OperationalError, ProgrammingError) as err:
            code = 3 if isinstance(err, ConflictError) else 4 if isinstance(err, PermissionDeniedError) else 1
            exc = CliError(_explain(err))
            exc.exit_code = code
            raise exc from None
        except SQLAlchemyError as err:  # a value the database refuses: its statement holds case data, not shown
            raise CliError(f"the database refused the change ({type(err).__name__}); nothing was saved") from None

    return wrapper


class State:
    def __init__(self, user: str | None):
        self.username = user
        self._app: Casework | None = None

    @property
    def app(self) -> Casework:
        if self._app is None:
            self._app = build()
        return self._app

    def actor(self, session):
        if not self.username:
            raise CliError("say who you are: --as USERNAME (or set CASEWORK_USER)")
        user = users.find_active(session, self.username)
        if user is None:
            raise CliError(f"no active user '{self.username}'")
        return user


pass_state = click.make_pass_decorator(State)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--as", "user", envvar="CASEWORK_USER", metavar="USERNAME",
              help="Act as this user (or set CASEWORK_USER). Needed for cases and tasks.")
@click.pass_context
def cli(ctx: click.Context, user: str | None) -> None:
    """casework: the case-management process of a youth mental-health network, run as BPMN.

    Settings come from the environment: CASEWORK_DATABASE_URL (default: SQLite file var/casework.db),
    CASEWORK_ENV (development | production), CASEWORK_SECRET_KEY, CASEWORK_SMTP_*. Problems with a
    process are in French; CASEWORK_LANG=en prints them in English.
    """
    ctx.obj = State(user)
    ctx.call_on_close(lambda: ctx.obj._app and ctx.obj._app.close())


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# -- setup ------------------------------------------------------------------------------------------------
@cli.command()
@click.option("--demo-users/--no-demo-users", default=None,
              help="Create the fictional demo users (default: yes, unless CASEWORK_ENV=production).")
@pass_state
@handle_errors
def init(state: State, demo_users: bool | None) -> None:
    """Create or upgrade the database, deploy bpmn/, and create the demo users."""
    app = state.app
    schema.upgrade(app.settings.database_url)
    with app.db.transaction() as session:
        version, created = deploy_bundle(session, Bundle.from_directory(app.settings.bpmn_dir), codec=app.runtime.codec,
                                         now=app.clock.now(), author="casework init", services=set(services.HANDLERS))
        click.echo(f"process {version.process_id}: version {version.number}"
                   + (" deployed" if created else " already deployed"))
        if demo_users if demo_users is not None else not app.settings.production:
            made = demo_mod.ensure_demo_users(session, app.clock.now())
            if made:
                click.echo(f"demo users created: {', '.join(u.username for u in made)} "
                           f"(password: {demo_mod.DEMO_PASSWORD})")
    click.echo(f"database ready: {_safe_url(app.settings.database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# validate, deploy, versions and migrate live in cli_processes.py.


# -- users ----------------------------------------------------------------------------------------------------
@cli.group("users")
def users_group() -> None:
    """Add, list and disable user accounts; set a new password."""


@users_group.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Full name as shown to others.")
@click.option("--role", type=click.Choice(["case_manager", "professional", "process_owner", "coordinator"]),
              required=True)
@click.option("--email", default=None)
@click.option("--organisation", default="")
@click.option("--lang", "locale", type=click.Choice(["fr", "en"]), default="fr",
              help="The language of the pages and e-mails (fr).")
@click.option("--invite", is_flag=True,
              help="E-mail the person a link to choose their password (valid 7 days) instead of setting one.")
@click.option("--password", default=None, help="At least 10 characters (prompted when not given, unless --invite).")
@pass_state
@handle_errors
def users_add(state, username, display_name, role, email, organisation, locale, invite, password) -> None:
    """Create a user account, with a password or an invitation by e-mail."""
    app = state.app
    if invite:
        if password:
            raise CliError("--invite sends a link to choose the password: give no --password with it")
        _can_invite(app)
    elif password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with app.db.transaction() as session:
        user = users.create_user(session, username=username, display_name=display_name, role=role, email=email,
                                 organisation=organisation, password=password, locale=locale, now=app.clock.now())
        if invite:
            session.flush()
            # Sent before the account is committed: an e-mail that cannot leave creates nothing.
            _send_invitation(app, session, user, actor=state.username or "cli")
    click.echo(f"user {username} ({role}) created" + (f"; invitation sent to {email}" if invite else ""))


@users_group.command("invite")
@click.argument("username")
@pass_state
@handle_errors
def users_invite(state, username) -> None:
    """E-mail a new link to an account that has not chosen its password yet (the last one expired)."""
    app = state.app
    _can_invite(app)
    with app.db.transaction() as session:
        user = users.get_user(session, username)
        _send_invitation(app, session, user, actor=state.username or "cli")
    click.echo(f"invitation sent to {user.email}")


def _can_invite(app: Casework) -> None:
    if not app.settings.smtp_host:
        raise CliError("invitations go by e-mail: set CASEWORK_SMTP_HOST (and CASEWORK_SMTP_PORT, ...)")
    if not app.settings.secret_key:
        raise CliError("invitations are signed with the web service's key: set CASEWORK_SECRET_KEY, the same "
                       "as the web service's")


def _send_invitation(app: Casework, session, user, *, actor: str) -> None:
    """The invitation's link by e-mail, now (the command waits for the SMTP server)."""
    now = app.clock.now()
    invitation = password_reset.invite(session, app.settings.secret_key, user, now, actor=actor)
    link = app.settings.base_url.rstrip("/") + password_reset.WELCOME_PATH + invitation.token
    mail = mailer.render_invitation(app.settings, name=user.display_name, to=user.email, username=user.username,
                                    link=link, days=password_reset.INVITE_VALID.days, locale=user.locale, now=now)
    transport = mailer.SmtpTransport(app.settings)
    try:
        transport.send(mail)
    except mailer.DeliveryError as err:
        raise CliError(f"the invitation could not be sent ({err}); nothing was changed") from None
    finally:
        transport.close()


@users_group.command("list")
@pass_state
@handle_errors
def users_list(state) -> None:
    """List user accounts."""
    with state.app.db.transaction(write=False) as session:
        for user in users.list_users(session):
            status = "DISABLED" if not user.active else "invited" if not user.password_hash else "active"
            click.echo(f"{user.username:<16} {user.role:<14} {status:<9} "
                       f"{user.display_name} ({user.organisation})")


@users_group.command("password")
@click.argument("username")
@click.option("--password", prompt="New password", hide_input=True, confirmation_prompt=True,
              help="At least 10 characters (prompted when not given).")
@pass_state
@handle_errors
def users_password(state, username, password) -> None:
    """Give an account a new password (for someone who forgot theirs); their open sessions end."""
    app = state.app
    with app.db.transaction() as session:
        # Whoever runs it at the server; named in the audit log when they say who they are.
        users.set_password(session, username, password, actor=state.username or "cli", now=app.clock.now())
    click.echo(f"new password set for {username}")


@users_group.command("disable")
@click.argument("username")
@pass_state
@handle_errors
def users_disable(state, username) -> None:
    """Disable an account: the user can no longer sign in or act."""
    with state.app.db.transaction() as session:
        users.set_active(session, username, False)
    click.echo(f"user {username} disabled")


@users_group.command("enable")
@click.argument("username")
@pass_state
@handle_errors
def users_enable(state, username) -> None:
    """Enable a disabled account again."""
    with state.app.db.transaction() as session:
        users.set_active(session, username, True)
    click.echo(f"user {username} enabled")


# -- cases ----------------------------------------------------------------------------------------------------
@cli.group("cases")
def cases_group() -> None:
    """Open, list and show cases; record a youth's wish or complaint."""


@cases_group.command("start")
@click.option("--requester-kind", type=click.Choice(cases_mod.REQUESTER_KINDS), required=True)
@click.option("--pseudonym", required=True, help="How the team refers to the youth (never the full name).")
@click.option("--age-band", type=click.Choice(cases_mod.AGE_BANDS), required=True)
@click.option("--region", required=True)
@click.option("--difficulties", default="")
@click.option("--previous-attempts", default="")
@click.option("--contact", default="", help="How to reach the requester.")
@click.option("--pseudonym-confirmed", is_flag=True,
              help="The pseudonym reads like a first name and a surname but is not the youth's name.")
@pass_state
@handle_errors
def cases_start(state, requester_kind, pseudonym, age_band, region, difficulties, previous_attempts, contact,
                pseudonym_confirmed) -> None:
    """Open a case on a new request; it starts at the verification step."""
    app = state.app
    with app.db.transaction() as session:
        actor = state.actor(session)
        case = cases_mod.start_case(session, app.runtime, actor=actor, requester_kind=requester_kind,
                                    youth_pseudonym=pseudonym, age_band=age_band, region=region,
                                    difficulties=difficulties, previous_attempts=previous_attempts,
                                    requester_contact=contact, pseudonym_confirmed=pseudonym_confirmed)
        reference, manager = case.reference, case.case_manager.username
    click.echo(f"case {reference} opened; case manager: {manager}")


@cases_group.command("list")
@click.option("--status", type=click.Choice(["open", "exited", "closed"]), default=None)
@pass_state
@handle_errors
def cases_list(state, status) -> None:
    """List the cases you may see."""
    from sqlalchemy import select

    from .permissions import can_view_case

    with state.app.db.transaction(write=False) as session:
        actor = state.actor(session)
        query = select(Case).order_by(Case.opened_at.desc())
        if status:
            query = query.where(Case.status == status)
        for case in session.scalars(query):
            if can_view_case(session, actor, case):
                click.echo(f"{case.reference}  {case.status:<7} pass {case.pass_number}  {case.youth_pseudonym:<12} "
                           f"{case.age_band:<6} {case.opened_at:%Y-%m-%d}")


@cases_group.command("show")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
@handle_errors
def cases_show(state, reference, as_json) -> None:
    """Where a case stands, its consent, its plan and its history (what you may see of it)."""
    from engine import audit

    app = state.app
    with app.db.transaction() as session:
        actor = state.actor(session)
        case = cases_mod.get_case(session, reference)
        view = case_view.for_viewer(session, actor, case)
        audit.record(session, at=app.clock.now(), actor=actor.username, kind="case_viewed",
                     business_key=case.reference, instance_id=case.instance_id, detail={"via": "cli"})
        data = _view_dict(view)
    if as_json:
        _echo_json(data)
        return
    _print_view(data)


def _view_dict(view: case_view.CaseView) -> dict[str, Any]:
    case, instance = view.case, view.instance
    return {
        "reference": case.reference, "status": case.status, "outcome": case.outcome, "pass": case.pass_number,
        "case_manager": case.case_manager.username, "youth": case.youth_pseudonym, "age_band": case.age_band,
        "region": case.region, "requester_kind": case.requester_kind,
        "process": instance and {"version": instance.version.number, "status": instance.status,
                                 "revision": instance.revision, "next_timer_due": instance.next_timer_due,
                                 "error": instance.error},
        "now_at": view.current_steps,
        "open_tasks": [{"id": t.id, "step": t.spec_name, "title": t.title, "lane": t.lane, "assignee": t.assignee,
                        "due": t.due_at} for t in view.open_tasks],
        "consents": [{"person": c.person, "label": c.label, "status": c.status, "scope": c.scope,
                      "collected_by": c.collected_by.username, "recorded_at": c.recorded_at} for c in view.consents],
        "plans": [{"version": p.version.number, "held_on": p.version.held_on, "full": p.full,
                   "objectives": [{"key": o.key, "title": o.title, "indicator": o.indicator} for o in p.objectives],
                   "actions": [{"objective": a.objective.key, "what": a.what, "carrier": a.carrier.username,
                                "due": a.due_on, "status": a.status} for a in p.actions]} for p in view.plans],
        "messages": [{"kind": m.kind, "received_on": m.received_on, "acknowledged": m.acknowledged_at is not None,
                      "informed": [r.user.username for r in m.recipients if r.informed_at]} for m in view.messages],
        "history": list(reversed(view.timeline)),
    }


def _print_view(data: dict[str, Any]) -> None:
    click.echo(f"{data['reference']}  {data['status']}" + (f" ({data['outcome']})" if data["outcome"] else "")
               + f"  pass {data['pass']}  case manager: {data['case_manager']}")
    click.echo(f"youth: {data['youth']}, {data['age_band']}, {data['region']}; requester: {data['requester_kind']}")
    process = data["process"]
    if process:
        click.echo(f"process: version {process['version']}, {process['status']}, revision {process['revision']}"
                   + (f", next timer {process['next_timer_due']:%Y-%m-%d %H:%M}Z" if process["next_timer_due"] else "")
                   + (f", ERROR: {process['error']}" if process["error"] else ""))
    click.echo("now at: " + (", ".join(data["now_at"]) or "nothing open"))
    for task in data["open_tasks"]:
        due = f", due {task['due']:%Y-%m-%d}" if task["due"] else ""
        click.echo(f"  - {task['title']} [{task['step']}] ({task['lane']}: {task['assignee'] or '-'}{due})  {task['id']}")
    if data["consents"]:
        click.echo("consent:")
        for c in data["consents"]:
            click.echo(f"  - {c['label'] or c['person']}: {c['status']} (collected by {c['collected_by']})")
    for plan in data["plans"][-1:]:
        click.echo(f"plan version {plan['version']} (concertation {plan['held_on']}); "
                   f"{len(data['plans']) - 1} earlier version(s)" + ("" if plan["full"] else "; your actions only"))
        for objective in plan["objectives"]:
            click.echo(f"  {objective['key']} {objective['title']}")
            for action in plan["actions"]:
                if action["objective"] == objective["key"]:
                    click.echo(f"     - {action['what']} ({action['carrier']}, due {action['due']}, {action['status']})")
    for message in data["messages"]:
        click.echo(f"youth {message['kind']} of {message['received_on']}: "
                   + ("passed on to " + ", ".join(message["informed"]) if message["informed"] else "not passed on yet"))
    click.echo("history:")
    for item in data["history"]:
        detail = item["detail"]
        what = detail.get("title") or detail.get("task") or detail.get("message") or detail.get("reason") or ""
        click.echo(f"  {item['at']:%Y-%m-%d %H:%M}Z  {item['actor'] or '-':<10} {item['kind']:<16} {what}")


@cases_group.command("message")
@click.argument("reference")
@click.option("--kind", type=click.Choice(messages.KINDS), required=True)
@click.option("--text", required=True, help="The wish or complaint, in the youth's words.")
@pass_state
@handle_errors
def cases_message(state, reference, kind, text) -> None:
    """Record a youth's wish or complaint; the process has it acknowledged and passed on."""
    app = state.app
    with app.db.transaction() as session:
        actor = state.actor(session)
        case = cases_mod.get_case(session, reference)
        messages.record(session, app.runtime, user=actor, case=case, kind=kind, text=text)
    click.echo(f"{kind} recorded on {reference}; an acknowledgement task is open")


# -- tasks ----------------------------------------------------------------------------------------------------
@cli.group("tasks")
def tasks_group() -> None:
    """List, show and complete the tasks you may act on."""


@tasks_group.command("list")
@click.option("--case", "case_ref", default=None, help="Only this case's tasks.")
@click.option("--lane", type=click.Choice(["case_manager", "professional"]), default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def tasks_list(state, case_ref, lane, as_json) -> None:
    """Your open tasks, overdue first, then by due date."""
    app = state.app
    with app.db.transaction(write=False) as session:
        actor = state.actor(session)
        rows = tasks.open_tasks(session, actor, case_ref=case_ref, lane=lane)
        data = [{"id": t.id, "case": t.business_key, "step": t.spec_name, "title": t.title, "lane": t.lane,
                 "assignee": t.assignee, "due": t.due_at} for t in rows]
    if as_json:
        _echo_json(data)
        return
    if not data:
        click.echo("no open task")
    now = app.clock.now()
    for t in data:
        due = t["due"].strftime("%Y-%m-%d") if t["due"] else "-"
        late = "LATE " if t["due"] and t["due"] < now else ""
        click.echo(f"{t['id']}  {t['case']}  {late}{due:<10}  {t['title']} [{t['step']}]")


@tasks_group.command("show")
@click.argument("task_id")
@pass_state
@handle_errors
def tasks_show(state, task_id) -> None:
    """A task: its case, instructions, form fields and prefilled values."""
    from engine import audit

    from .permissions import require_act

    app = state.app
    with app.db.transaction() as session:
        actor = state.actor(session)
        task = tasks.get_task(session, task_id)
        case = tasks.case_of(session, task)
        require_act(session, actor, task, case)
        audit.record(session, at=app.clock.now(), actor=actor.username, kind="task_viewed",
                     business_key=case.reference, instance_id=case.instance_id, detail={"task_id": task.id})
        schema_ = tasks.schema_of(session, task)
        defaults = tasks.defaults(session, task, case)
    click.echo(f"{task.title} [{task.spec_name}] on case {case.reference}")
    click.echo(f"lane: {task.lane}, assignee: {task.assignee or '-'}"
               + (f", due {task.due_at:%Y-%m-%d}" if task.due_at else ""))
    if schema_.get("description"):
        click.echo(schema_["description"])
    required = set(schema_.get("required", []))
    click.echo("fields:")
    for name, prop in (schema_.get("properties") or {}).items():
        kind = prop.get("type", "")
        choices = f" one of {prop['enum']}" if "enum" in prop else ""
        click.echo(f"  {name}{' *' if name in required else ''}: {kind}{choices}  - {prop.get('title', '')}")
    if defaults:
        click.echo("prefilled:")
        click.echo(json.dumps(defaults, ensure_ascii=False, indent=2))


@tasks_group.command("complete")
@click.argument("task_id")
@click.option("--data", "raw", required=True, metavar="JSON|@FILE", help="The form's answers as JSON, or @file.json.")
@pass_state
@handle_errors
def tasks_complete(state, task_id, raw) -> None:
    """Complete a task with the form's answers; the process moves on."""
    data = _read_data(raw)
    app = state.app
    with app.db.transaction() as session:
        actor = state.actor(session)
        case = tasks.complete(session, app.runtime, actor, task_id, data)
        reference = case.reference
        remaining = [t.title for t in tasks.open_tasks(session, actor, case_ref=reference)]
    click.echo(f"done; case {reference} now at: " + ("; ".join(remaining) if remaining else "nothing open for you"))


def _read_data(raw: str) -> Any:
    text = raw
    if raw.startswith("@"):
        path = Path(raw[1:])
        if not path.is_file():
            raise CliError(f"no file {path}")
        text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise CliError(f"--data is not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})") from None


# -- demo ------------------------------------------------------------------------------------------------------
@cli.command()
@click.option("--if-empty", is_flag=True, help="Do nothing when cases already exist.")
@pass_state
@handle_errors
def demo(state, if_empty) -> None:
    """Create fictional demo cases spread over every step of the process."""
    from sqlalchemy import func, select

    app = state.app
    if app.settings.production:
        raise CliError("demo data is refused in production")
    with app.db.transaction() as session:
        if if_empty and session.scalar(select(func.count()).select_from(Case)):
            click.echo("demo cases already present")
            return
        demo_mod.ensure_demo_users(session, app.clock.now())
        made = demo_mod.seed_cases(session, app.runtime)
        click.echo(f"{len(made)} demo cases created for case manager anne (password {demo_mod.DEMO_PASSWORD}):")
        for case in made:
            click.echo(f"  {case.reference}  {case.youth_pseudonym}")


from . import (  # noqa: E402 - the commands register themselves on `cli`
    cli_processes,  # noqa: F401 - validate, deploy, versions, migrate
    cli_reminders,  # noqa: F401 - scheduler, timers, notifications, overdue
)


def main() -> None:
    cli(prog_name="casework")


__all__ = ["cli", "main", "NotFoundError"]
