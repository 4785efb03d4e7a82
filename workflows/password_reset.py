"""A new password by e-mail, for someone who forgot theirs ("Mot de passe oublié ?").

Whoever asks names an account (its username or its e-mail address). If an active account with an
e-mail address matches, it is sent a link that lets its owner choose a new password within
`VALID`. Nothing tells the asker whether an account matched.

The link carries a token signed with the app's secret key over the user's id, the time it was
made and the user's stored password hash, and nothing is stored: the token ends when it expires,
when the password changes (so it serves once) and when the account is disabled. At most one
e-mail per account per `RESEND`, so that nobody can flood someone's mailbox. Both the request
and the reset are audited (the account, never the address typed).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine import audit
from engine.models import AuditEvent

from . import throttle, users
from .errors import FormError
from .models import User

VALID = dt.timedelta(minutes=60)
RESEND = dt.timedelta(minutes=5)
ASKED = "password_reset_asked"
DONE = "password_reset"


class InvalidLink(Exception):
    """The link is malformed, expired, already used, or its account disabled (one answer for all)."""


@dataclass(frozen=True)
class Request:
    """What the e-mail needs: to whom, and the token of its link."""

    user: User
    token: str


def _key(secret: str | bytes) -> bytes:
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, b"casework password reset", hashlib.sha256).digest()


def _signature(secret: str | bytes, user_id: int, issued: int, password_hash: str) -> str:
    mac = hmac.new(_key(secret), f"{user_id}.{issued}.{password_hash}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")


def make_token(secret: str | bytes, user: User, now: dt.datetime) -> str:
    issued = int(now.timestamp())
    return f"{user.id:x}.{issued:x}.{_signature(secret, user.id, issued, user.password_hash or '')}"


def check(session: Session, secret: str | bytes, token: str, now: dt.datetime) -> User:
    """The active user the token was made for, while it holds. Raises InvalidLink."""
    try:
        user_part, issued_part, signature = (token or "").split(".")
        user_id, issued = int(user_part, 16), int(issued_part, 16)
    except ValueError:
        raise InvalidLink() from None
    age = now.timestamp() - issued
    if not 0 <= age <= VALID.total_seconds() or not 0 < user_id < 2**31:  # an id no row can have
        raise InvalidLink()
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise InvalidLink()
    expected = _signature(secret, user_id, issued, user.password_hash or "")
    if not hmac.compare_digest(signature.encode(), expected.encode()):  # bytes: the link's text may not be ASCII
        raise InvalidLink()
    return user


def request_reset(session: Session, secret: str | bytes, name_or_email: str, now: dt.datetime) -> Request | None:
    """A link for the account named (None when none matches or one was sent within `RESEND`)."""
    wanted = (name_or_email or "").strip().lower()
    if not wanted:
        return None
    candidates = list(session.scalars(select(User).where(
        User.active.is_(True), or_(User.username == wanted, func.lower(User.email) == wanted))))
    if len(candidates) != 1:  # none, or an address two accounts share: nobody to pick
        return None
    user = candidates[0]
    if not user.email:
        return None
    recent = session.scalars(select(AuditEvent.detail).where(AuditEvent.kind == ASKED, AuditEvent.at > now - RESEND))
    if any(detail.get("user") == user.username for detail in recent):
        return None
    audit.record(session, at=now, actor="anonymous", kind=ASKED, detail={"user": user.username})
    return Request(user=user, token=make_token(secret, user, now))


def reset(session: Session, user: User, new: str, again: str, *, now: dt.datetime) -> None:
    """Set the new password chosen by `user`, whose link `check` has just accepted. Raises
    FormError listing the fields in error (nothing changed then)."""
    errors = users.new_password_errors(new, again)
    if errors:
        raise FormError(errors)
    user.password_hash = users.hash_password(new)
    throttle.clear(session, user.username)  # the failed sign-ins that may have led here
    audit.record(session, at=now, actor=user.username, kind=DONE, detail={"user": user.username, "via": "e-mail"})

