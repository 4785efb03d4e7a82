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


def test_writes_update_rows_by_key_keeping_each_column_type(app):
    import datetime as dt

    with app.db.transaction() as session:
        session.connection().execute(EVENTS.insert(), [_event(app, "first"), _event(app, "second"),
                                                       _event(app, "last")])
    text = 'Léa "la grande" \\ l\'aînée\n<b>&</b> 😀'
    later = dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=dt.UTC)
    with app.db.transaction() as session:
        ids = {row.actor: row.id for row in session.execute(select(EVENTS.c.id, EVENTS.c.actor)
                                                             .where(EVENTS.c.kind == "test"))}
        writes = Writes()
        writes.update(EVENTS, ids["first"], {"actor": text, "detail": {"n": [1, None, True]}, "at": later})
        writes.update(EVENTS, ids["second"], {"business_key": None, "kind": "updated"})
        writes.update(EVENTS, -1, {"actor": "nobody"})  # no such row: nothing happens
        seen, stop = _sent(app)
        try:
            assert writes.send(session, _rename_actor(), {"at_id": ids["last"], "was": "last", "now_actor": "x"})
        finally:
            stop()
    assert seen == (["WITH"] if app.db.dialect == "postgresql" else ["UPDATE"] * 4)
    with app.db.transaction(write=False) as session:
        rows = {row.id: (row.actor, row.kind, row.business_key, row.detail, row.at)
                for row in session.execute(select(EVENTS).where(EVENTS.c.id.in_(ids.values())))}
    assert rows[ids["first"]] == (text, "test", None, {"n": [1, None, True]}, later)
    assert rows[ids["second"]][:4] == ("second", "updated", None, {})
    assert rows[ids["last"]][:2] == ("x", "test")


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


def test_writes_keep_each_column_type_as_the_orm_reads_it(app):
    # PostgreSQL gets an INSERT's rows as one JSON document: times, dates, booleans, text with
    # quotes and accents, nested and empty values must come back as they went in.
    import datetime as dt
    import zoneinfo

    from engine.models import AuditEvent
    from workflows.models import Consent
    from workflows.users import find_active

    from .helpers import case_at_verification

    case = case_at_verification(app, "Jeune W.")
    brussels = dt.datetime(2026, 3, 29, 3, 30, 15, 123456, tzinfo=zoneinfo.ZoneInfo("Europe/Brussels"))
    text = 'Léa "la grande" \\ l\'aînée\n<b>&</b> 😀'
    with app.db.transaction() as session:
        anne, case_id = find_active(session, "anne"), _case_id(session, case.reference)
        writes = Writes()
        writes.insert(EVENTS, [{**_event(app, text, {"nested": {"list": [1, 2.5, None, True], "t": text}}),
                                "at": brussels}])
        writes.insert(Consent.__table__, [
            {"case_id": case_id, "person": "youth", "label": text,
             "status": "given", "scope": "", "decided_on": dt.date(2026, 2, 28), "collected_by_id": anne.id,
             "recorded_at": brussels, "youth_mature": True, "maturity_reasoning": text, "step": "test"},
            {"case_id": case_id, "person": "legal_representative", "label": "",
             "status": "pending", "scope": "", "decided_on": None, "collected_by_id": anne.id,
             "recorded_at": brussels, "youth_mature": None, "maturity_reasoning": "", "step": "test"}])
        assert writes.send(session, _rename_actor(), {"at_id": -1, "was": "", "now_actor": ""}) is False
    with app.db.transaction(write=False) as session:
        event_ = session.scalar(select(AuditEvent).where(AuditEvent.kind == "test"))
        consents = list(session.scalars(select(Consent).where(Consent.step == "test").order_by(Consent.id)))
    assert (event_.actor, event_.at, event_.detail) == (
        text, brussels.astimezone(dt.UTC), {"nested": {"list": [1, 2.5, None, True], "t": text}})
    assert [(c.label, c.decided_on, c.recorded_at, c.youth_mature, c.maturity_reasoning) for c in consents] == [
        (text, dt.date(2026, 2, 28), brussels.astimezone(dt.UTC), True, text),
        ("", None, brussels.astimezone(dt.UTC), None, "")]


def _case_id(session, reference):
    from workflows.models import Case

    return session.scalar(select(Case.id).where(Case.reference == reference))


def test_writes_refuse_a_naive_time_and_send_nothing(app):
    import datetime as dt

    session = app.db.session(write=True)
    try:
        writes = Writes()
        writes.insert(EVENTS, [{**_event(app, "naive"), "at": dt.datetime(2026, 1, 1, 12, 0)}])
        with pytest.raises(Exception, match="naive datetime"):
            writes.send(session, _rename_actor(), {"at_id": -1, "was": "", "now_actor": ""})
    finally:
        session.rollback()
        session.close()
    with app.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(EVENTS).where(EVENTS.c.actor == "naive")) == 0
