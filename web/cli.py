"""`casework run`: serve the web app with a multi-threaded WSGI server (waitress).

This module is the console script's entry point (`casework = web.cli:main`): it adds the
commands that need the web layer to the `workflows.cli` group, which may not import flask.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from workflows import demo as demo_mod
from workflows.bootstrap import Casework
from workflows.cli import State, cli, handle_errors, pass_state


def start_background(casework: Casework) -> list[Callable[[], None]]:
    """Start what runs beside the web server in `casework run`; return how to stop each.

    The place for the scheduler (timers, notification outbox): start it here when
    `casework.settings.scheduler_enabled`, and return its shutdown function.
    """
    stops: list[Callable[[], None]] = []
    if casework.settings.scheduler_enabled:
        from workflows.scheduling import build_scheduler

        scheduler = build_scheduler(casework)  # timers and the e-mail outbox, in a background thread
        scheduler.start()
        stops.append(scheduler.shutdown)
    return stops


def _dev_secret(casework: Casework) -> dict[str, str]:
    """Without CASEWORK_SECRET_KEY (development only: production refuses to start), keep one in
    var/ so that sign-ins survive a restart."""
    if casework.settings.secret_key or casework.settings.production:
        return {}
    import secrets
    from pathlib import Path

    path = Path.cwd() / "var" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return {"SECRET_KEY": path.read_text().strip()}


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Request threads.")
@pass_state
@handle_errors
def run(state: State, host: str, port: int, threads: int) -> None:
    """Serve the task inbox and case pages (run `casework init` first; `make run` does)."""
    from sqlalchemy import select
    from waitress import create_server

    from engine.models import ProcessVersion

    from . import create_app

    casework = state.app
    with casework.db.transaction(write=False) as session:
        if session.scalar(select(ProcessVersion.id).limit(1)) is None:
            raise click.ClickException("no process is deployed: run `casework init` first")
    app = create_app({"CASEWORK": casework, **_dev_secret(casework)})
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="casework")
    except OSError as err:  # the port is taken (another casework?), or the address is not this machine's
        raise click.ClickException(f"cannot listen on {host}:{port}: {err.strerror or err} "
                                   "(choose another with --port, or stop what uses it)") from None
    stops = start_background(casework)
    url = f"http://{host}:{server.effective_port}/"
    click.echo(f"casework is running at {url}  (Ctrl+C to stop)")
    if not casework.settings.production:
        click.echo(f"demo logins (password {demo_mod.DEMO_PASSWORD}): case managers anne, marc; professionals "
                   "sophie, karim, lea, tom; process owner paul; coordinator chantal")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        for stop in stops:
            stop()
        click.echo("stopped")


def main() -> None:
    cli(prog_name="casework")
