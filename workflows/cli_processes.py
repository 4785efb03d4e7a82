"""`casework validate / deploy / versions / migrate`: the process owner's commands, in French or English.

What they print is French unless CASEWORK_LANG=en (see `cli_locale`): the problems and reasons come
from the engine's catalogue (engine/problem_texts.py), the lines around them from LINES below.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.bundles import Bundle
from engine.problem_texts import localized

from . import processes
from .cli import CliError, State, cli, cli_locale, handle_errors, pass_state

LINES: dict[str, dict[str, str]] = {
    "problems": {"fr": "{n} problème(s) :", "en": "{n} problem(s):"},
    "walk.completed": {"fr": "parcours à blanc : allé jusqu'à la fin", "en": "dry run: reached the end"},
    "walk.stopped": {"fr": "parcours à blanc : arrêté avant la fin", "en": "dry run: stopped before the end"},
    "walk.note": {"fr": "remarque : {note}", "en": "note: {note}"},
    "kind.task": {"fr": "tâche", "en": "task"},
    "kind.timer": {"fr": "minuterie", "en": "timer"},
    "kind.service": {"fr": "service", "en": "service"},
    "kind.message": {"fr": "message", "en": "message"},
    "valid": {"fr": "valide : processus {process} ({name}), {forms} formulaire(s)",
              "en": "valid: process {process} ({name}), {forms} form(s)"},
    "deployed": {"fr": "{process} version {number} déployée ({hash})", "en": "{process} version {number} deployed ({hash})"},
    "already_deployed": {"fr": "{process} version {number} déjà déployée ({hash})",
                         "en": "{process} version {number} already deployed ({hash})"},
    "no_version": {"fr": "aucune version déployée (lancez `casework init`)",
                   "en": "no version deployed (run `casework init`)"},
    "running": {"fr": "dossiers en cours : {n}", "en": "running cases: {n}"},
    "change.added": {"fr": "ajouté", "en": "added"},
    "change.removed": {"fr": "retiré", "en": "removed"},
    "change.changed": {"fr": "modifié", "en": "changed"},
    "nothing_to_move": {"fr": "aucun dossier en cours à déplacer vers la version {number}",
                        "en": "no running case to move to version {number}"},
    "verdict.can_move": {"fr": "peut être déplacé", "en": "can move"},
    "verdict.moved": {"fr": "déplacé", "en": "moved"},
    "verdict.stays": {"fr": "reste sur sa version", "en": "stays"},
    "summary.can_move": {"fr": "{moved} dossier(s) peuvent être déplacés, {refused} restent sur leur version",
                         "en": "{moved} case(s) can move, {refused} left on their version"},
    "summary.moved": {"fr": "{moved} dossier(s) déplacé(s), {refused} laissé(s) sur leur version",
                      "en": "{moved} case(s) moved, {refused} left on their version"},
    "none_moved": {"fr": "aucun dossier n'a pu être déplacé", "en": "no case could move"},
    "owner_only": {"fr": "seul un responsable du processus déploie une version ou déplace des dossiers : {name} ne "
                         "l'est pas",
                   "en": "only a process owner deploys a version or moves cases: {name} is not one"},
}


def line(key: str, **params) -> str:
    """One line of these commands' output in the CLI's language."""
    return LINES[key][cli_locale()].format(**params)


def _print_problems(problems) -> None:
    locale = cli_locale()
    click.echo(line("problems", n=len(problems)))
    for problem in problems:
        click.echo(f"  - {problem.located(locale)}")


def _print_walk(result: processes.CheckResult) -> None:
    report = result.dry_run
    if report is None:
        return
    locale = cli_locale()
    click.echo(line("walk.completed" if report.completed else "walk.stopped"))
    for step in report.steps:
        if step.kind in ("task", "timer", "service", "message"):
            detail = localized(step.detail, locale)
            click.echo(f"  {step.at:%Y-%m-%d %H:%M}Z  {line('kind.' + step.kind):<9} {step.name or step.element_id}"
                       + (f"  ({detail})" if detail else ""))
    for note in report.notes:
        click.echo("  " + line("walk.note", note=localized(note, locale)))


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run/--no-dry-run", "run", default=True, help="Also walk the default path in memory (default).")
@click.option("--quiet", "-q", is_flag=True, help="Print the problems only, not the dry run's walk.")
@handle_errors
def validate(paths: tuple[Path, ...], run: bool, quiet: bool) -> None:
    """Check a bundle without deploying it: every problem with its element id and line, then a dry run.

    PATHS is a directory like bpmn/ or .bpmn/.dmn/.json files. Exit status 1 when anything is wrong.
    Messages are in French; set CASEWORK_LANG=en for English.
    """
    result = processes.check(Bundle.from_paths(list(paths)), run=run)
    if not quiet:
        _print_walk(result)
    if not result.ok:
        _print_problems(result.problems)
        sys.exit(1)
    parsed = result.parsed
    click.echo(line("valid", process=parsed.process_id, name=parsed.name, forms=len(parsed.forms)))


def _process_owner(state: State) -> str:
    """The username of who runs the command (--as), an active process owner: as in the browser,
    no one else deploys or moves cases, and the version list names a real person."""
    with state.app.db.transaction(write=False) as session:
        user = state.actor(session)
        if user.role != "process_owner":
            raise CliError(line("owner_only", name=user.username))
        return user.username


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--note", default="", help="Why this version (shown in the version list).")
@pass_state
@handle_errors
def deploy(state: State, paths: tuple[Path, ...], note: str) -> None:
    """Validate, dry-run and deploy a bundle: a directory like bpmn/, or .bpmn/.dmn/.json files.

    New cases start on the new version; running cases stay on theirs (see `casework migrate`).
    Deploying the same content again changes nothing. Nothing is deployed on any problem.
    Messages are in French; set CASEWORK_LANG=en for English.
    """
    app = state.app
    author = _process_owner(state)
    bundle = Bundle.from_paths(list(paths))
    with app.db.transaction() as session:
        version, created, _ = processes.deploy(session, app.runtime, bundle, author=author, note=note)
        number, process_id, content_hash = version.number, version.process_id, version.content_hash
    click.echo(line("deployed" if created else "already_deployed", process=process_id, number=number,
                    hash=content_hash[:12]))


@click.command()
@click.option("--process", "process_id", default=processes.PROCESS_ID, show_default=True)
@pass_state
@handle_errors
def versions(state: State, process_id: str) -> None:
    """Deployed versions, newest first: cases still running on each and what changed from the one before.

    Messages are in French; set CASEWORK_LANG=en for English.
    """
    locale = cli_locale()
    with state.app.db.transaction(write=False) as session:
        rows = processes.versions(session, process_id)
        if not rows:
            click.echo(line("no_version"))
        for row in rows:
            v = row.version
            click.echo(f"v{v.number}  {v.created_at:%Y-%m-%d %H:%M}Z  {v.created_by:<14} {v.content_hash[:12]}  "
                       + line("running", n=row.running) + (f"  - {v.note}" if v.note else ""))
            for change in row.changes:
                details = "; ".join(localized(d, locale) for d in change.details)
                click.echo(f"     {line('change.' + change.kind):<8} {change.element_id} ({change.name or change.type})"
                           + ((" : " if locale == "fr" else ": ") + details if details else ""))


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
    counts again from now); open steps stay open, with their drafts.
    Messages are in French; set CASEWORK_LANG=en for English.
    """
    app = state.app
    actor = _process_owner(state)
    with app.db.transaction(write=False) as session:
        target = processes.target_version(session, to_number, process_id)
        ids = [i.id for i in processes.instances_to_move(session, target, list(refs) or None)]
    if not ids:
        click.echo(line("nothing_to_move", number=to_number))
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
        verdict = line(("verdict.can_move" if dry_run else "verdict.moved") if result.can_move else "verdict.stays")
        click.echo(f"{result.business_key}  v{result.from_version} -> v{result.to_version}: {verdict}")
        for said in result.reasons if not result.can_move else result.effects:
            click.echo(f"    {localized(said, cli_locale())}")
    click.echo(line("summary.can_move" if dry_run else "summary.moved", moved=moved, refused=refused))
    if refused and not moved:
        raise CliError(line("none_moved"))


for _command in (validate, deploy, versions, migrate):
    cli.add_command(_command)
