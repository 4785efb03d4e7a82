"""A new password by e-mail, for someone who forgot theirs ("Mot de passe oublié ?").

Whoever asks names an account (its username or its e-mail address). If an active account with an
e-mail address matches, it is sent a link that lets its owner choose a new password within
`VALID`. Nothing tells the asker whether an account matched.

The link carries a token signed with the app's secret key over the user's id, the time it was
made and the user's stored password hash, and nothing is stored: the token ends when it expires,
when the password changes (so it serves once) and when the account is disabled. At most one
e-mail per account per `RESEND`, so that nobody can flood someone's mailbox. Both the request
and the reset are audited (the account, never the address typed).

An invitation is the same link for a new account that has no password yet (`casework users add
--invite`, `casework users invite`): signed with a key of its own, it works for `INVITE_VALID`
and leads to the same page, where its owner chooses their first password.
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
from engine.db import MAX_ROW_ID
from engine.models import AuditEvent

from . import throttle, users
from .errors import FormError, InputError
from .models import User

VALID = dt.timedelta(minutes=60)
RESEND = dt.timedelta(minutes=5)
ASKED = "password_reset_asked"
DONE = "password_reset"
INVITE_VALID = dt.timedelta(days=7)
INVITED = "user_invited"
WELCOME_PATH = "/welcome/"  # + an invitation's token: the link of its e-mail (web/auth.py)

# What a token is for: each is signed with a key of its own, so neither serves as the other.
RESET, INVITATION = "reset", "invitation"
_PURPOSES = {RESET: (b"casework password reset", VALID), INVITATION: (b"casework invitation", INVITE_VALID)}


class InvalidLink(Exception):
    """The link is malformed, expired, already used, or its account disabled (one answer for all)."""


@dataclass(frozen=True)
class Request:
    """What the e-mail needs: to whom, and the token of its link."""

    user: User
    token: str


def _key(secret: str | bytes, purpose: str) -> bytes:
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, _PURPOSES[purpose][0], hashlib.sha256).digest()


def _signature(secret: str | bytes, user_id: int, issued: int, password_hash: str, purpose: str) -> str:
    mac = hmac.new(_key(secret, purpose), f"{user_id}.{issued}.{password_hash}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")


def make_token(secret: str | bytes, user: User, now: dt.datetime, purpose: str = RESET) -> str:
    issued = int(now.timestamp())
    return f"{user.id:x}.{issued:x}.{_signature(secret, user.id, issued, user.password_hash or '', purpose)}"


def check(session: Session, secret: str | bytes, token: str, now: dt.datetime, purpose: str = RESET) -> User:
    """The active user the token was made for, while it holds. Raises InvalidLink."""
    try:
        user_part, issued_part, signature = (token or "").split(".")
        user_id, issued = int(user_part, 16), int(issued_part, 16)
    except ValueError:
        raise InvalidLink() from None
    age = now.timestamp() - issued
    if not 0 <= age <= _PURPOSES[purpose][1].total_seconds() or not 0 < user_id <= MAX_ROW_ID:
        raise InvalidLink()
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise InvalidLink()
    expected = _signature(secret, user_id, issued, user.password_hash or "", purpose)
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


def invite(session: Session, secret: str | bytes, user: User, now: dt.datetime, *, actor: str) -> Request:
    """A link for a new account to choose its first password (audited, with who invited).
    Raises InputError for an account that is disabled, has no e-mail address, or has chosen a
    password already (it has "Mot de passe oublié ?" for that)."""
    if not user.active:
        raise InputError(f"the account '{user.username}' is disabled")
    if not user.email:
        raise InputError(f"the account '{user.username}' has no e-mail address to send an invitation to")
    if user.password_hash:
        raise InputError(f"the account '{user.username}' has a password already; a forgotten one is replaced "
                         "from the sign-in page (\"Mot de passe oublié ?\") or with `casework users password`")
    audit.record(session, at=now, actor=actor, kind=INVITED, detail={"user": user.username})
    return Request(user=user, token=make_token(secret, user, now, INVITATION))


def reset(session: Session, user: User, new: str, again: str, *, now: dt.datetime, purpose: str = RESET) -> None:
    """Set the new password chosen by `user`, whose link `check` has just accepted. Raises
    FormError listing the fields in error (nothing changed then)."""
    errors = users.new_password_errors(new, again, user.username)
    if errors:
        raise FormError(errors)
    users.replace_password(session, user, new)
    throttle.clear(session, user.username)  # the failed sign-ins that may have led here
    audit.record(session, at=now, actor=user.username, kind=DONE,
                 detail={"user": user.username, "via": "invitation" if purpose == INVITATION else "e-mail"})

