"""Pooled PostgreSQL connections: a connection the server dropped while idle is replaced unseen."""

import pytest
import sqlalchemy as sa

from engine import db as db_mod
from engine.db import Database

pytestmark = pytest.mark.postgres_only


def test_a_connection_dropped_while_idle_is_replaced_before_use(database_url, monkeypatch):
    monkeypatch.setattr(db_mod, "PING_AFTER_IDLE_S", 0.0)  # every checkout counts as idle
    database = Database(database_url)
    try:
        with database.transaction() as session:
            backend = session.scalar(sa.text("SELECT pg_backend_pid()"))
        with sa.create_engine(database_url, isolation_level="AUTOCOMMIT").connect() as admin:
            assert admin.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        with database.transaction() as session:  # the pool pings, finds it dead, opens another
            assert session.scalar(sa.text("SELECT pg_backend_pid()")) != backend
    finally:
        database.dispose()


def test_a_connection_used_moments_ago_is_not_pinged(database_url, monkeypatch):
    database = Database(database_url)
    pings: list[object] = []
    ping = database.engine.dialect.do_ping
    monkeypatch.setattr(database.engine.dialect, "do_ping", lambda conn: pings.append(conn) or ping(conn))
    try:
        for _ in range(3):
            with database.transaction() as session:
                session.scalar(sa.text("SELECT 42"))
        assert pings == []
        monkeypatch.setattr(db_mod, "PING_AFTER_IDLE_S", 0.0)
        with database.transaction() as session:
            session.scalar(sa.text("SELECT 42"))
        assert len(pings) == 1
    finally:
        database.dispose()
