"""Open sign-ins, kept server-side so that signing out ends a session for good.

A session lives in a signed cookie. Without a record here, signing out only deleted the
browser's copy: a copy taken from a shared computer (or a request in flight from another tab,
which sets the cookie back) stayed valid until its idle time or its 12 hours ran out. Each
sign-in now has a row, named by a digest (SHA-256) of a random key the cookie carries; every
request reads the user only together with that row (the same statement, see `live`), and
signing out deletes it. The database holds no key a cookie could be made from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import ColumnElement, ForeignKey, String, bindparam, delete, exists
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base, UTCDateTime

# However busy, a session ends this long after signing in (web.access checks it on every
# request); older rows serve no one and go at the next sign-in.
MAX_AGE = dt.timedelta(hours=12)


class SignIn(Base):
    __tablename__ = "sign_in"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's key, hex
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


def digest(cookie_key: str) -> str:
    return hashlib.sha256(cookie_key.encode()).hexdigest()


def open_one(session: Session, user_id: int, now: dt.datetime) -> str:
    """Record a new sign-in of `user_id`; the key for the session's cookie. Rows of sessions
    past MAX_AGE (anyone's) go at the same time."""
    session.execute(delete(SignIn).where(SignIn.opened_at < now - MAX_AGE))
    cookie_key = secrets.token_urlsafe(32)
    session.add(SignIn(key=digest(cookie_key), user_id=user_id, opened_at=now))
    return cookie_key


def close(session: Session, cookie_key: str | None) -> int:
    """End the sign-in whose cookie carries `cookie_key` (nothing if there is none); 1 if it
    was open, else 0."""
    if not cookie_key:
        return 0
    return session.execute(delete(SignIn).where(SignIn.key == digest(cookie_key))).rowcount


def close_all(session: Session, user_id: int) -> int:
    """End every sign-in of `user_id`, on every device; how many there were."""
    return session.execute(delete(SignIn).where(SignIn.user_id == user_id)).rowcount


def live(user_id: ColumnElement[int]) -> ColumnElement[bool]:
    """True while the sign-in named by the statement's parameter `sign_in` (a `digest`) is open
    for `user_id`: for the statements that read who is signed in."""
    return exists().where(SignIn.key == bindparam("sign_in"), SignIn.user_id == user_id)
