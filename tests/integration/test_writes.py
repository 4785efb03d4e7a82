"""engine.db.Writes: rows in and out with one last UPDATE, as one statement on PostgreSQL."""

import pytest
from sqlalchemy import bindparam, event, func, select

from engine.db import Writes, statement
from engine.models import AuditEvent

EVENTS = AuditEvent.__table__


@statement
def _rename_actor():
    return (EVENTS.update().where(EVENTS.c.id == bindparam("at_id"), EVENTS.c.actor == bindparam("was"))
            .values(actor=bindparam("now_actor")).returning(EVENTS.c.id))


def _event(app, actor: str, detail=None) -> dict:
    return {"at": app.clock.now(), "actor": actor, "kind": "test", "business_key": None, "instance_id": None,
            "detail": detail or {}}


def _sent(app):
    seen: list[str] = []

    def record(_conn, _cursor, statement_, _params, _context, _many):
        seen.append(statement_.split()[0])

    event.listen(app.db.write_engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(app.db.write_engine, "before_cursor_execute", record)


def test_writes_insert_delete_and_update_together(app):
    with app.db.transaction() as session:
        session.connection().execute(EVENTS.insert(), [_event(app, "gone-1"), _event(app, "gone-2"),
                                                       _event(app, "kept")])
    with app.db.transaction() as session:
        ids = {row.actor: row.id for row in session.execute(select(EVENTS.c.id, EVENTS.c.actor)
                                                             .where(EVENTS.c.kind == "test"))}
        writes = Writes()
        writes.insert(EVENTS, [_event(app, "new-1", {"n": 1}), _event(app, "new-2", {"n": [2, "deux"]})])
        writes.delete(EVENTS, [ids["gone-1"], ids["gone-2"]])
        seen, stop = _sent(app)
        try:
            matched = writes.send(session, _rename_actor(), {"at_id": ids["kept"], "was": "kept",
                                                             "now_actor": "renamed"})
        finally:
            stop()
    assert matched
    # One statement on PostgreSQL; one per part elsewhere (two inserts sent at once, a delete, the update).
    assert seen == (["WITH"] if app.db.dialect == "postgresql" else ["INSERT", "DELETE", "UPDATE"])
    with app.db.transaction(write=False) as session:
        rows = {row.actor: row.detail for row in session.execute(select(EVENTS.c.actor, EVENTS.c.detail)
                                                                 .where(EVENTS.c.kind == "test"))}
    assert rows == {"renamed": {}, "new-1": {"n": 1}, "new-2": {"n": [2, "deux"]}}


def test_writes_report_an_update_that_matched_nothing_and_the_caller_rolls_back(app):
    with app.db.transaction() as session:
        session.connection().execute(EVENTS.insert(), [_event(app, "kept")])
    session = app.db.session(write=True)
    try:
        kept = session.scalar(select(EVENTS.c.id).where(EVENTS.c.actor == "kept"))
        writes = Writes()
        writes.insert(EVENTS, [_event(app, "new")])
        assert not writes.send(session, _rename_actor(), {"at_id": kept, "was": "someone else", "now_actor": "x"})
    finally:
        session.rollback()
        session.close()
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(EVENTS).where(EVENTS.c.kind == "test")) == 1


def test_writes_refuse_rows_that_name_different_columns():
    with pytest.raises(ValueError, match="same columns"):
        Writes().insert(EVENTS, [{"actor": "a", "kind": "k"}, {"kind": "k", "actor": "a"}])
