"""The schema is made only by Alembic, and the migrations agree with the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import engine.models  # noqa: F401
import workflows.models  # noqa: F401
from engine.db import Base
from workflows import schema


def test_schema_migrations_match_the_models(bare_app):
    engine = create_engine(bare_app.settings.database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], diff


def test_schema_upgrade_is_idempotent(bare_app):
    url = bare_app.settings.database_url
    head = schema.current_revision(url)
    schema.upgrade(url)
    assert schema.current_revision(url) == head
