"""Alembic environment: the engine's and the domain's tables, one metadata."""

from __future__ import annotations

from alembic import context

import engine.models  # noqa: F401 - registers the engine tables on Base.metadata
import workflows.models  # noqa: F401 - and the domain tables
import workflows.throttle  # noqa: F401 - failed sign-ins (web rate limit)
import workflows.drafts  # noqa: F401 - task form drafts
import workflows.signins  # noqa: F401 - open sign-ins
from engine.db import Base, single_connection_engine
from workflows.settings import Settings

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("database_url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = single_connection_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
