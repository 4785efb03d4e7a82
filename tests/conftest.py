"""Fixtures shared by every test: databases (SQLite and a real PostgreSQL), a clock, the app."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

import workflows.drafts  # noqa: F401 - every table on Base.metadata (truncation)
import workflows.signins  # noqa: F401
import workflows.throttle  # noqa: F401
from engine.bundles import Bundle
from engine.clock import ManualClock
from engine.db import Base
from engine.deployments import deploy
from workflows import demo, schema, services
from workflows.bootstrap import Casework, build
from workflows.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BPMN_DIR = ROOT / "bpmn"
PG_ADMIN_URL = os.environ.get("CASEWORK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: run on SQLite only")
    config.addinivalue_line("markers", "postgres_only: run on PostgreSQL only")


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    """Argon2 with its production cost makes each demo user ~0.1 s; tests need the same code, not the cost."""
    from argon2 import PasswordHasher

    from workflows import users

    original = users._hasher
    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    users._hasher = original


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An empty, migrated SQLite file; each test copies it."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    schema.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url():
    """A PostgreSQL database of this test run only (concurrent runs do not collide), migrated."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"cw_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    schema.upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = sa.create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, sqlite_template):
    """Every test that uses it runs twice: on a SQLite file and on PostgreSQL."""
    kind = request.param
    marks = {m.name for m in request.node.iter_markers()}
    if kind == "postgresql" and "sqlite_only" in marks or kind == "sqlite" and "postgres_only" in marks:
        pytest.skip(f"not run on {kind}")
    if kind == "sqlite":
        path = tmp_path / "casework.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
        yield url
        _truncate_pg(url)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def bare_app(database_url, clock) -> Casework:
    """The app on a migrated, empty database (nothing deployed)."""
    app = build(Settings(database_url=database_url, bpmn_dir=BPMN_DIR), clock=clock)
    yield app
    app.close()


@pytest.fixture
def app(bare_app) -> Casework:
    """The app with bpmn/ deployed and the demo users created."""
    with bare_app.db.transaction() as session:
        deploy(session, Bundle.from_directory(BPMN_DIR), codec=bare_app.runtime.codec, now=bare_app.clock.now(),
               author="tests", services=set(services.HANDLERS))
        demo.ensure_demo_users(session, bare_app.clock.now())
    return bare_app


@pytest.fixture
def session(app):
    """A write session on the app's database, committed at the end of the test."""
    with app.db.transaction() as session:
        yield session
