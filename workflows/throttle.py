"""Failed sign-in attempts, kept in the database so the limit holds across processes and machines."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base, UTCDateTime

WINDOW = dt.timedelta(minutes=15)
# Per submitted username (whether or not it exists, so the limit reveals nothing) and per address.
LIMITS = {"user": 5, "ip": 30}


class LoginFailure(Base):
    """One failed sign-in, keyed 'user:<name>' and 'ip:<address>' (two rows per failure)."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def _keys(username: str | None, address: str | None) -> dict[str, str]:
    """The keys counted: the name's (unless None: a request that names no one to sign in, such as
    asking for a password reset, counts only towards its address's limit) and the address's."""
    keys = {} if username is None else {"user": "user:" + username.strip().lower()[:120]}
    if address:
        keys["ip"] = "ip:" + address[:60]
    return keys


def blocked_until(session: Session, username: str | None, address: str | None, now: dt.datetime) -> dt.datetime | None:
    """When sign-in may be tried again for this name or address, or None if it may now."""
    until = None
    for kind, key in _keys(username, address).items():
        rows = session.execute(select(func.count(), func.min(LoginFailure.at))
                               .where(LoginFailure.key == key, LoginFailure.at > now - WINDOW)).one()
        count, oldest = rows
        if count >= LIMITS[kind] and oldest is not None:
            candidate = oldest + WINDOW
            until = candidate if until is None or candidate > until else until
    return until


def record_failure(session: Session, username: str | None, address: str | None, now: dt.datetime) -> None:
    for key in _keys(username, address).values():
        session.execute(delete(LoginFailure).where(LoginFailure.key == key, LoginFailure.at <= now - WINDOW))
        session.add(LoginFailure(key=key, at=now))
    session.flush()


def clear(session: Session, username: str) -> None:
    """A successful sign-in forgets the name's failures (not the address's)."""
    session.execute(delete(LoginFailure).where(LoginFailure.key == _keys(username, None)["user"]))
