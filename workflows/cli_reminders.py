"""`casework scheduler / timers / notifications / overdue`: reminders, deadlines and their e-mails."""

from __future__ import annotations

import json
import logging
from typing import Any

import click

from . import notifications, overdue, reasons, upcoming
from .cli import CliError, State, cli, handle_errors, pass_state
from .models import Notification
from .scheduling import build_scheduler, ticks

STATUSES = tuple(reasons.EMAIL_STATUSES)


def _clock_line(state: State) -> str:
    app = state.app
    offset = app.settings.clock_offset
    shown = upcoming.format_wait(offset).replace("in ", "+").replace("late by ", "-") if offset else ""
    return f"now (application clock): {app.clock.now():%Y-%m-%d %H:%M:%S}Z" + (f", offset {shown}" if offset else "")


def _json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# -- the scheduler ---------------------------------------------------------------------------------------
@cli.command()
@click.option("--once", is_flag=True, help="One tick of each job (timers, then e-mails), then exit.")
@click.option("--drain", is_flag=True, help="Tick until nothing is due any more, then exit (cron, tests).")
@click.option("--interval", type=float, default=None, metavar="SECONDS",
              help="Seconds between ticks (default CASEWORK_SCHEDULER_INTERVAL, 5).")
@click.option("--email/--no-email", default=True, show_default=True, help="Also send the e-mail outbox.")
@pass_state
@handle_errors
def scheduler(state: State, once: bool, drain: bool, interval: float | None, email: bool) -> None:
    """Fire due BPMN timers and send notification e-mails: the production scheduler, blocking.

    Any number may run, on any number of machines: all state is in the database. Stops cleanly
    on SIGTERM or Ctrl+C (the running tick finishes first). `casework run` starts one in the
    background of the web server; run this instead when web and scheduler are separate.
    """
    app = state.app
    if once or drain:
        work = ticks(app)
        if once:
            timers = work.timers.tick()
            mail = work.outbox.tick() if email else None
            click.echo(f"fired {timers.fired} instance(s), {timers.errors} in error"
                       + (f"; e-mails sent {mail.sent}, retrying {mail.retrying}, failed {mail.failed}" if mail else ""))
        else:
            if not email:
                fired = 0
                while (report := work.timers.tick()).fired or report.more:
                    fired += report.fired
                sent = 0
            else:
                fired, sent = work.drain()
            click.echo(f"fired {fired} instance(s); e-mails sent {sent}")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per job run; ours say what was done
    runner = build_scheduler(app, blocking=True, interval=interval, email=email)
    every = interval or app.settings.scheduler_interval
    click.echo(f"scheduler running: timers{' and e-mails' if email else ''} every {every:g} s; "
               + _clock_line(state) + "  (Ctrl+C to stop)")
    if email and not app.settings.smtp_host:
        click.echo("e-mail is not configured (CASEWORK_SMTP_HOST): notifications stay in the app and wait")
    runner.run_until_signalled()
    click.echo("scheduler stopped")


@cli.command()
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def timers(state: State, limit: int, as_json: bool) -> None:
    """The next timers to fire and the cases stopped in error (references and times only).

    To show reminders in a demo, restart with CASEWORK_CLOCK_OFFSET set past the due time.
    """
    app = state.app
    with app.db.transaction(write=False) as session:
        viewer = state.actor(session)
        now = app.clock.now()
        waiting = upcoming.timers(session, viewer, now, limit)
        stuck = upcoming.errors(session, viewer)
    if as_json:
        _json({"now": now, "timers": [vars(w) for w in waiting], "errors": [vars(s) for s in stuck]})
        return
    click.echo(_clock_line(state))
    click.echo("next timers:" if waiting else "no timer is waiting")
    for w in waiting:
        click.echo(f"  {w.reference:<12} {w.due:%Y-%m-%d %H:%M}Z  ({upcoming.format_wait(w.wait)})")
    if stuck:
        click.echo("stopped in error:")
        for s in stuck:
            click.echo(f"  {s.reference:<12} at {s.element or '?'} since {s.since:%Y-%m-%d %H:%M}Z: {s.error}")


# -- notifications -------------------------------------------------------------------------------------
@cli.group("notifications")
def notifications_group() -> None:
    """Your notifications; the e-mail outbox (coordinators, case managers)."""


def _row(n: Notification, locale: str, with_case: bool = True) -> dict[str, Any]:
    return {"id": n.id, "at": n.created_at, "reason": n.reason,
            "case": n.case.reference if n.case and with_case else None,
            "text": reasons.describe(n, locale, with_case=with_case),
            "read": n.read_at is not None, "recipient": n.recipient.username,
            "email": n.email_status, "attempts": n.attempts, "next_attempt": n.next_attempt_at,
            "sent_at": n.sent_at, "error": n.last_error}


@notifications_group.command("list")
@click.option("--unread", is_flag=True, help="Only the unread ones.")
@click.option("--limit", default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def notifications_list(state: State, unread: bool, limit: int, as_json: bool) -> None:
    """Your notifications, newest first."""
    with state.app.db.transaction(write=False) as session:
        user = state.actor(session)
        rows = [_row(n, user.locale) for n in notifications.for_user(session, user, limit, unread_only=unread)]
        count = notifications.unread_count(session, user)
    if as_json:
        _json({"unread": count, "notifications": rows})
        return
    click.echo(f"{count} unread")
    for r in rows:
        click.echo(f"  {'*' if not r['read'] else ' '} {r['id']:>6}  {r['at']:%Y-%m-%d %H:%M}Z  {r['text']}")


@notifications_group.command("read")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "all_", is_flag=True, help="Mark all your notifications read.")
@pass_state
@handle_errors
def notifications_read(state: State, ids: tuple[int, ...], all_: bool) -> None:
    """Mark notifications read (by id, or --all)."""
    if not ids and not all_:
        raise CliError("name the notifications to mark read, or --all")
    app = state.app
    with app.db.transaction() as session:
        changed = notifications.mark_read(session, state.actor(session), app.clock.now(), None if all_ else ids)
    click.echo(f"{changed} marked read")


@notifications_group.command("digest")
@click.argument("choice", type=click.Choice(["on", "off"]))
@pass_state
@handle_errors
def notifications_digest(state: State, choice: str) -> None:
    """One e-mail a day listing what is new and overdue (on), or one e-mail per notification (off)."""
    app = state.app
    with app.db.transaction() as session:
        user = state.actor(session)
        notifications.set_email_digest(session, user, choice == "on")
    click.echo(f"daily digest {choice} for {user.username}" + (f" (sent after {app.settings.digest_hour}:00)"
                                                               if choice == "on" else ""))


@notifications_group.command("outbox")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES),
              help="Only these e-mail statuses (repeatable). Default: what has not gone out.")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def notifications_outbox(state: State, statuses: tuple[str, ...], limit: int, as_json: bool) -> None:
    """E-mails pending or failing, with counts per status (coordinators: all; case managers: their cases)."""
    app = state.app
    with app.db.transaction(write=False) as session:
        viewer = state.actor(session)
        counts = notifications.outbox_counts(session, viewer)
        wanted = list(statuses) if statuses else ["pending", "sending", "failed", "unknown"]
        rows = [_row(n, "en", notifications.outbox_names_cases(viewer))
                for n in notifications.outbox(session, viewer, wanted, limit)]
        waiting = notifications.oldest_waiting(session, viewer, app.clock.now())
    if as_json:
        _json({"counts": counts, "smtp_configured": bool(app.settings.smtp_host), "notifications": rows})
        return
    if not app.settings.smtp_host:
        click.echo("e-mail is not configured (CASEWORK_SMTP_HOST): e-mails wait")
    click.echo("by status: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing"))
    if waiting is not None:
        click.echo(f"oldest e-mail waiting since {app.clock.now() - waiting:%Y-%m-%d %H:%M}Z")
    for r in rows:
        when = r["next_attempt"] if r["email"] == "pending" else r["sent_at"] or r["at"]
        click.echo(f"  {r['id']:>6}  {r['email']:<9} {r['recipient']:<10} {r['case'] or '-':<11} {r['reason']:<28}"
                   f" tries {r['attempts']}  {when:%Y-%m-%d %H:%M}Z" + (f"  {r['error']}" if r["error"] else ""))


@notifications_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Every failed e-mail you may see.")
@pass_state
@handle_errors
def notifications_retry(state: State, ids: tuple[int, ...], all_failed: bool) -> None:
    """Send failed e-mails again (uncertain ones only when named by id: they may have gone out)."""
    if not ids and not all_failed:
        raise CliError("name the notifications to retry, or --all-failed")
    app = state.app
    with app.db.transaction() as session:
        n = notifications.retry(session, state.actor(session), app.clock.now(), None if all_failed else ids)
    click.echo(f"{n} e-mail(s) queued again")


@notifications_group.command("send")
@pass_state
@handle_errors
def notifications_send(state: State) -> None:
    """Send the e-mails due now (one outbox tick), without waiting for the scheduler."""
    if not state.app.settings.smtp_host:
        raise CliError("e-mail is not configured (CASEWORK_SMTP_HOST)")
    report = ticks(state.app).outbox.tick()
    click.echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}, "
               f"uncertain {report.uncertain}, skipped {report.skipped}, digests {report.digests}")


# -- overdue ---------------------------------------------------------------------------------------------
@cli.command("overdue")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@handle_errors
def overdue_command(state: State, as_json: bool) -> None:
    """What is past due: case managers see their cases, partners their own work, coordinators counts per person."""
    app = state.app
    with app.db.transaction(write=False) as session:
        viewer = state.actor(session)
        view = overdue.view_for(session, viewer, app.clock.now())
    if as_json:
        _json({"tasks": [vars(t) for t in view.tasks], "actions": [vars(a) for a in view.actions],
               "people": [vars(p) for p in view.people]})
        return
    if viewer.role == "coordinator":
        click.echo("overdue per person (tasks, plan actions):" if view.people else "nothing overdue")
        for p in view.people:
            click.echo(f"  {p.username:<10} {p.role:<13} {p.tasks:>4} {p.actions:>4}")
        return
    click.echo(f"{len(view.tasks)} overdue task(s), {len(view.actions)} overdue plan action(s)")
    for t in view.tasks:
        click.echo(f"  task    {t.reference:<11} {t.title} ({t.assignee or '-'}, due {t.due_at:%Y-%m-%d}, "
                   f"{upcoming.format_wait(-t.late).removeprefix('late by ')} late)")
    for a in view.actions:
        click.echo(f"  action  {a.reference:<11} {a.what} ({a.carrier}, due {a.due_on}, {a.days_late} day(s) late)")
