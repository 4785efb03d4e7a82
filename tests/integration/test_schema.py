"""The schema is made only by Alembic, and the migrations agree with the models."""

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import engine.models  # noqa: F401
import workflows.models  # noqa: F401
from engine.db import Base
from tests.conftest import PG_ADMIN_URL
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


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrade_to_0006_gives_open_tasks_their_case_manager_as_supervisor(kind, tmp_path):
    if kind == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'old.db'}", None
    else:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = f"cw_mig_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

        def drop():
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
    try:
        schema.upgrade(url, "0005")
        engine = sa.create_engine(url)
        now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
        tables = Base.metadata.tables
        rows = [  # what 0005 has: the models' tables, without the column 0006 adds
            ("app_user", {"id": 1, "username": "anne", "display_name": "Anne", "role": "case_manager",
                          "created_at": now}),
            ("process_version", {"id": 1, "process_id": "p", "number": 1, "content_hash": "h", "files": {},
                                 "spec_json": "", "created_at": now}),
            ("process_instance", {"id": 1, "version_id": 1, "business_key": "CM-1", "state": "{}",
                                  "serializer_version": "1", "created_at": now, "updated_at": now}),
            ("case_file", {"id": 1, "reference": "CM-1", "instance_id": 1, "requester_kind": "family",
                           "youth_pseudonym": "J", "age_band": "12-15", "region": "r", "case_manager_id": 1,
                           "opened_at": now}),
            ("human_task", {"id": "t1", "instance_id": 1, "business_key": "CM-1", "spec_name": "report_action",
                            "title": "Report", "lane": "professional", "assignee": "sophie", "created_at": now}),
        ]
        with engine.begin() as connection:
            for table, values in rows:
                connection.execute(tables[table].insert().values(values))
        schema.upgrade(url)
        with engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT supervisor FROM human_task WHERE id = 't1'")) == "anne"
        engine.dispose()
    finally:
        if drop:
            drop()


def test_instance_states_are_compressed_with_lz4_on_postgresql(app):
    if app.db.dialect != "postgresql":
        pytest.skip("PostgreSQL's TOAST compression")
    from workflows import cases, demo
    from workflows.users import find_active

    with app.db.transaction() as session:
        case = cases.start_case(session, app.runtime, actor=find_active(session, "anne"), requester_kind="family",
                                youth_pseudonym="Jeune Z.", age_band="12-15", region="Brabant wallon")
        for step in ("verify_request", "clarification_interview", "concertation"):  # a state over 2 KB
            demo.advance(session, app.runtime, case, step)
        instance_id = case.instance_id
    with app.db.transaction(write=False) as session:
        setting = session.scalar(sa.text("SELECT attcompression FROM pg_attribute WHERE attname = 'state' "
                                         "AND attrelid = 'process_instance'::regclass"))
        size, method = session.execute(sa.text("SELECT octet_length(state), pg_column_compression(state) "
                                               "FROM process_instance WHERE id = :id"), {"id": instance_id}).one()
    assert setting == "l" and size > 2000 and method == "lz4"
