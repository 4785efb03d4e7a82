"""Declarative base, UTC datetimes, and the Database: engines and transactions."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy import DateTime, Delete, Insert, MetaData, Table, Update, bindparam, create_engine, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

S = TypeVar("S")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in Python whatever the database keeps (SQLite keeps naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _configure_sqlite(engine: Engine, *, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A writer takes SQLite's write lock up front: two writers queue instead of the second
        # failing with SQLITE_BUSY_SNAPSHOT after it has read a stale snapshot. Sent on the
        # driver's connection: through SQLAlchemy's statement machinery it was a third of the
        # time a transaction takes to begin, paid by every request.
        try:
            connection.connection.driver_connection.execute(begin)
        except sqlite3.Error as err:  # as SQLAlchemy would raise it (e.g. "database is locked")
            raise exc.DBAPIError.instance(begin, (), err, sqlite3.Error) from err


def make_engine(url: str, *, immediate: bool = False, echo: bool = False) -> Engine:
    if is_sqlite(url):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})
        _configure_sqlite(engine, immediate=immediate)
        return engine
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=10)
    _ping_when_idle(engine)
    return engine


# A pooled connection idle longer than this is pinged before use (the server may have restarted or
# a firewall dropped it meanwhile). One in use within the last seconds is not: pinging on every
# checkout costs each request a round trip. Should the server go away within that window, the
# next statement fails, SQLAlchemy discards the whole pool, and later requests reconnect.
PING_AFTER_IDLE_S = 10.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record):
        record.info["casework_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy):
        since = record.info.get("casework_idle_since")
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as err:  # the pool drops this connection and checks out another
            raise exc.DisconnectionError() from err


class Database:
    """The database of one deployment: a read path and a write path.

    On SQLite the write path begins with BEGIN IMMEDIATE, so writers queue on the file lock;
    on PostgreSQL both paths share one engine (the read path in autocommit) and writers lock the
    rows they advance.
    """

    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.write_engine = make_engine(url, immediate=True, echo=echo) if is_sqlite(url) else self.engine
        # PostgreSQL's read path sends each statement on its own (autocommit), from the same pool:
        # at READ COMMITTED each statement sees its own snapshot inside a transaction too, and a
        # page that only reads saves BEGIN and COMMIT, two round trips.
        read_engine = self.engine if is_sqlite(url) else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._read = sessionmaker(read_engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        session = (self._write if write else self._read)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def session(self, *, write: bool = False) -> Session:
        """A session the caller manages (web requests)."""
        return (self._write if write else self._read)()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


MAX_ROW_ID = 2**31 - 1  # PostgreSQL's integer: the largest id or number a row can have


def statement(build: Callable[..., S]) -> Callable[..., S]:
    """Decorate a function that builds a SQL statement, with `bindparam`s for its values: it runs
    once per arguments, and the statement is reused. Building a statement and its cache key costs
    about as much as running it on SQLite (0.2 ms of 0.4 here), and SQLAlchemy does both again for
    every new statement object: hot paths (every request, every step) build theirs once."""
    return functools.cache(build)


def insert_rows(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert rows of an append-only table at once, in the session's transaction, without the
    ORM's unit of work: for records that nothing changes or reads back as objects in the same
    transaction (audit events outside a save). A third of the cost of flushing as many objects.

    Sent on the session's connection, so pending changes are not flushed first (the session
    would flush before each of these statements): rows must not refer to a pending object.
    """
    if rows:
        session.connection().execute(_insert_into(model.__table__), rows)


@statement
def _insert_into(table: Table) -> Insert:
    return table.insert()


class Writes:
    """Rows to insert, update and delete, sent with one last UPDATE: as one statement on PostgreSQL
    (the others ride in its WITH clause, so a save is one round trip instead of four or five),
    one after the other elsewhere. Statements for the driver, built once per shape, without the
    ORM's unit of work or SQLAlchemy's per-execution work: for rows the ORM does not track, or
    whose objects the caller attaches afterwards.

    PostgreSQL runs every statement of a WITH clause whatever the last one matches: a caller
    that finds the UPDATE matched nothing must roll the transaction back (a stale write).
    """

    def __init__(self) -> None:
        self._parts: list[tuple[str, Table, tuple[str, ...], list[Any]]] = []

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            columns = tuple(rows[0])
            if any(tuple(row) != columns for row in rows):
                raise ValueError(f"rows for {table.name} must name the same columns in the same order")
            self._parts.append(("insert", table, columns, rows))

    def delete(self, table: Table, ids: list[Any]) -> None:
        """Delete rows of `table` by primary key (a single-column one)."""
        if ids:
            self._parts.append(("delete", table, (), list(ids)))

    def update(self, table: Table, key: Any, values: dict[str, Any]) -> None:
        """Set `values` on the row of `table` whose primary key (a single-column one) is `key`.
        Nothing says whether it was found: for rows the caller knows exist."""
        self._parts.append(("update", table, tuple(values), [key, values]))

    def send(self, session: Session, last: Update, params: dict[str, Any]) -> bool:
        """Run the writes, then `last` (an UPDATE ... RETURNING with `params`, built once by
        `statement`): True if it matched a row. On the session's connection, in its transaction."""
        connection = session.connection()
        if connection.dialect.name != "postgresql":
            # One statement per part, each compiled once for the driver: SQLAlchemy's own
            # execution (its compiled cache, its parameter processing) cost as much as SQLite's.
            dialect = connection.dialect
            for kind, table, columns, rows in self._parts:
                if kind == "insert":
                    connection.exec_driver_sql(*_for_driver(_insert_into(table), dialect, columns, rows))
                elif kind == "update":
                    key, values = rows
                    connection.exec_driver_sql(*_for_driver(_update_by_id(table, columns), dialect, None, [
                        {"id": key, **{f"v_{name}": value for name, value in values.items()}}]))
                else:
                    connection.exec_driver_sql(*_for_driver(_delete_by_id(table), dialect, ("id",),
                                                            [{"id": key} for key in rows]))
            return connection.exec_driver_sql(*_for_driver(last, dialect, None, [params])).first() is not None
        sql, processors = _pg_form(last, connection.dialect, tuple(
            (kind, table, columns, len(rows) if kind == "delete" else 0) for kind, table, columns, rows in self._parts))
        values = {name: params[name] if convert is None else convert(params[name]) for name, convert in processors}
        for index, (kind, _table, _columns, rows) in enumerate(self._parts):
            if kind == "insert":
                values[f"w{index}"] = json.dumps(rows, default=_json_value)
            elif kind == "update":
                values[f"w{index}_0"], values[f"w{index}"] = rows[0], json.dumps(rows[1], default=_json_value)
            else:
                values.update((f"w{index}_{n}", key) for n, key in enumerate(rows))
        return connection.exec_driver_sql(sql, values).first() is not None


def _json_value(value: Any) -> str:
    """Values of a row as `json_populate_recordset` reads them (see `_pg_form`)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # as UTCDateTime refuses them
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value Writes can send")


@functools.lru_cache(maxsize=256)
def _pg_form(last: Update, dialect, shape: tuple) -> tuple[str, tuple]:
    """`last` with the writes of `shape` in its WITH clause, as the driver's SQL text, and the
    names and conversions of `last`'s own parameters.

    An INSERT takes its rows as one parameter whatever their count, a JSON array of objects that
    PostgreSQL turns into rows of the table's column types (json_populate_recordset; a None in
    a JSON column is stored as SQL NULL, which the ORM reads as None too); an UPDATE its values
    likewise, as one object (json_populate_record), and its key as a parameter. A DELETE takes a
    parameter per key: with `= ANY(array)` the server planned the statement anew at each save.
    A verification's save went from 58 parameters, each processed by SQLAlchemy and then by the
    driver, to 11, and its text (which depends on the tables written and the keys deleted)
    stays short enough for the driver to keep parsed."""
    quote = dialect.identifier_preparer.quote
    ctes = []
    for index, (kind, table, columns, count) in enumerate(shape):
        name = quote(table.name)
        listed = ", ".join(quote(column) for column in columns)
        (key,) = table.primary_key.columns
        if kind == "insert":
            ctes.append(f"w{index} AS (INSERT INTO {name} ({listed}) SELECT {listed} "
                        f"FROM json_populate_recordset(NULL::{name}, %(w{index})s::json))")
        elif kind == "update":
            ctes.append(f"w{index} AS (UPDATE {name} SET ({listed}) = (SELECT {listed} "
                        f"FROM json_populate_record(NULL::{name}, %(w{index})s::json)) "
                        f"WHERE {quote(key.name)} = %(w{index}_0)s)")
        else:
            keys = ", ".join(f"%(w{index}_{n})s" for n in range(count))
            ctes.append(f"w{index} AS (DELETE FROM {name} WHERE {quote(key.name)} IN ({keys}))")
    compiled = last.compile(dialect=dialect)
    processors = tuple((name, bind.type.dialect_impl(dialect).bind_processor(dialect))
                       for name, bind in compiled.binds.items())
    return ("WITH " + ",\n".join(ctes) + "\n" if ctes else "") + compiled.string, processors


def _for_driver(stmt: Insert | Update | Delete, dialect, columns: tuple[str, ...] | None,
                rows: list[dict[str, Any]]) -> tuple[str, list[tuple] | tuple]:
    """`stmt` as the driver's SQL text and its parameters for `rows` (several: executemany), with
    the column types' conversions applied (UTC datetimes, JSON, booleans) as SQLAlchemy would."""
    sql, processors = _driver_form(stmt, dialect, columns)
    values = [tuple(row[name] if convert is None else convert(row[name]) for name, convert in processors)
              for row in rows]
    return sql, values if len(values) > 1 else values[0]


@functools.lru_cache(maxsize=256)
def _driver_form(stmt: Insert | Update | Delete, dialect, columns: tuple[str, ...] | None):
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns) if columns is not None else None)
    if compiled.positiontup is None:
        raise ValueError(f"{dialect.name}: the driver takes named parameters, not positional ones")
    processors = tuple((name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                       for name in compiled.positiontup)
    return compiled.string, processors


@statement
def _update_by_id(table: Table, columns: tuple[str, ...]) -> Update:
    """UPDATE of `columns` (bound as `v_<column>`) on one row by primary key (bound as `id`)."""
    (key,) = table.primary_key.columns
    return (table.update().where(key == bindparam("id"))
            .values({name: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns}))


@statement
def _delete_by_id(table: Table) -> Delete:
    """DELETE of one row by primary key (a single-column one) bound as `id`: sent to the driver
    with a row per key (see `_for_driver`), where `_delete_by_ids`' expanding list cannot go."""
    (key,) = table.primary_key.columns
    return table.delete().where(key == bindparam("id"))


def single_connection_engine(url: str) -> Engine:
    """An engine that keeps no pool: for tools that open the database once (migrations)."""
    return create_engine(url, poolclass=NullPool)
