"""`casework validate / deploy / versions / migrate`: the process owner's commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.bundles import Bundle

from . import processes
from .cli import CliError, State, cli, handle_errors, pass_state


def _print_problems(problems) -> None:
    click.echo(f"{len(problems)} problem(s):")
    for problem in problems:
        click.echo(f"  - {problem}")


def _print_walk(result: processes.CheckResult) -> None:
    report = result.dry_run
    if report is None:
        return
    click.echo("dry run: " + ("reached the end" if report.completed else "stopped before the end"))
    for step in report.steps:
        if step.kind in ("task", "timer", "service", "message"):
            click.echo(f"  {step.at:%Y-%m-%d %H:%M}Z  {step.kind:<7} {step.name or step.element_id}"
                       + (f"  ({step.detail})" if step.detail else ""))
    for note in report.notes:
        click.echo(f"  note: {note}")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run/--no-dry-run", "run", default=True, help="Also walk the default path in memory (default).")
@click.option("--quiet", "-q", is_flag=True, help="Print the problems only, not the dry run's walk.")
@handle_errors
def validate(paths: tuple[Path, ...], run: bool, quiet: bool) -> None:
    """Check a bundle without deploying it: every problem with its element id and line, then a dry run.

    PATHS is a directory like bpmn/ or .bpmn/.dmn/.json files. Exit status 1 when anything is wrong.
    """
    result = processes.check(Bundle.from_paths(list(paths)), run=run)
    if not quiet:
        _print_walk(result)
    if not result.ok:
        _print_problems(result.problems)
        sys.exit(1)
    parsed = result.parsed
    click.echo(f"valid: process {parsed.process_id} ({parsed.name}), {len(parsed.forms)} form(s)")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--note", default="", help="Why this version (shown in the version list).")
@pass_state
@handle_errors
def deploy(state: State, paths: tuple[Path, ...], note: str) -> None:
    """Validate, dry-run and deploy a bundle: a directory like bpmn/, or .bpmn/.dmn/.json files.

    New cases start on the new version; running cases stay on theirs (see `casework migrate`).
    Deploying the same content again changes nothing. Nothing is deployed on any problem.
    """
    app = state.app
    bundle = Bundle.from_paths(list(paths))
    with app.db.transaction() as session:
        version, created, _ = processes.deploy(session, app.runtime, bundle, author=state.username or "cli", note=note)
        number, process_id, content_hash = version.number, version.process_id, version.content_hash
    click.echo(f"{process_id} version {number} " + ("deployed" if created else "already deployed")
               + f" ({content_hash[:12]})")


@click.command()
@click.option("--process", "process_id", default=processes.PROCESS_ID, show_default=True)
@pass_state
@handle_errors
def versions(state: State, process_id: str) -> None:
    """Deployed versions, newest first: cases still running on each and what changed from the one before."""
    with state.app.db.transaction(write=False) as session:
        rows = processes.versions(session, process_id)
        if not rows:
            click.echo("no version deployed (run `casework init`)")
        for row in rows:
            v = row.version
            click.echo(f"v{v.number}  {v.created_at:%Y-%m-%d %H:%M}Z  {v.created_by:<14} {v.content_hash[:12]}  "
                       f"running cases: {row.running}" + (f"  - {v.note}" if v.note else ""))
            for change in row.changes:
                click.echo(f"     {change.kind:<8} {change.element_id} ({change.name or change.type})"
                           + (": " + "; ".join(change.details) if change.details else ""))


@click.command()
@click.option("--to", "to_number", type=int, required=True, help="The version number to move cases to.")
@click.option("--case", "refs", multiple=True, metavar="REF", help="Only this case (repeatable). Default: all "
              "running cases of older versions.")
@click.option("--dry-run", is_flag=True, help="Only show, per case, whether it can move and what moving does.")
@click.option("--process", "process_id", default=processes.PROCESS_ID, show_default=True)
@pass_state
@handle_errors
def migrate(state: State, to_number: int, refs: tuple[str, ...], dry_run: bool, process_id: str) -> None:
    """Move running cases onto a newer version, each in its own transaction, each recorded in the audit log.

    A case moves only if no step it went through or is at was removed; otherwise it is left as it is
    and the reason is printed. Moving restarts the timers of the steps a case is at (a reminder
    counts again from now) and loses answers typed into an open step but not yet submitted.
    """
    app = state.app
    actor = state.username or "cli"
    with app.db.transaction(write=False) as session:
        target = processes.target_version(session, to_number, process_id)
        ids = [i.id for i in processes.instances_to_move(session, target, list(refs) or None)]
    if not ids:
        click.echo(f"no running case to move to version {to_number}")
        return
    moved = refused = 0
    for instance_id in ids:
        with app.db.transaction(write=not dry_run) as session:
            from engine.models import ProcessInstance

            instance = session.get(ProcessInstance, instance_id)
            target = processes.target_version(session, to_number, process_id)
            if dry_run:
                result = processes.preview(session, app.runtime, instance, target)
            else:
                result = processes.migrate_one(session, app.runtime, instance, target, actor=actor)
        moved += result.can_move
        refused += not result.can_move
        verdict = ("can move" if dry_run else "moved") if result.can_move else "stays"
        click.echo(f"{result.business_key}  v{result.from_version} -> v{result.to_version}: {verdict}")
        for line in result.reasons if not result.can_move else result.effects:
            click.echo(f"    {line}")
    click.echo(f"{moved} case(s) {'can move' if dry_run else 'moved'}, {refused} left on their version")
    if refused and not moved:
        raise CliError("no case could move")


for _command in (validate, deploy, versions, migrate):
    cli.add_command(_command)
