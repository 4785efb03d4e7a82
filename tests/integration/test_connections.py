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


def test_the_read_path_sends_each_statement_on_its_own_and_the_write_path_one_transaction(database_url):
    # now() is when the transaction began: the same for every statement of one, not on the read
    # path, where BEGIN and COMMIT are not sent.
    import time

    database = Database(database_url)
    try:
        for write, together in ((False, False), (True, True)):
            with database.transaction(write=write) as session:
                first = session.scalar(sa.text("SELECT now()"))
                time.sleep(0.01)
                second = session.scalar(sa.text("SELECT now()"))
                assert (first == second) is together
        with database.transaction() as session:  # the pool's connection is back to transactions
            first = session.scalar(sa.text("SELECT now()"))
            time.sleep(0.01)
            assert session.scalar(sa.text("SELECT now()")) == first
    finally:
        database.dispose()
