"""One database transaction per request: committed after a response below 400, else rolled back."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from engine import audit
from workflows.bootstrap import Casework

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def casework() -> Casework:
    return current_app.extensions["casework"]


def writes(view):
    """Mark a GET view that writes (an audited read): it gets the write path of the database."""
    view.casework_writes = True
    return view


def _wants_write() -> bool:
    if request.method not in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "casework_writes", False))


def db() -> Session:
    """The request's session (opened on first use)."""
    if "db" not in g:
        g.db = casework().db.session(write=_wants_write())
    return g.db


def now():
    return casework().clock.now()


def _keep_reads(events: list[dict] | None) -> None:
    """The audited reads of a response that rolled back (it still showed the case), on their own."""
    if events:
        with casework().db.transaction() as session:
            for event in events:
                audit.record(session, **event)


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit(response):
        session = g.pop("db", None)
        if session is not None:
            try:
                if response.status_code < 400:
                    session.commit()
                else:
                    session.rollback()
                    _keep_reads(g.pop("casework_reads", None))
            finally:
                session.close()
        return response

    @app.teardown_request
    def _close(_exc):
        session = g.pop("db", None)
        if session is not None:  # an error escaped before after_request: nothing is kept
            session.rollback()
            session.close()
