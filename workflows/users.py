"""Users and passwords (argon2)."""

from __future__ import annotations

import datetime as dt
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .errors import InputError, NotFoundError
from .models import ROLES, User

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
_hasher = PasswordHasher()
# Verified against when the user does not exist, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("casework-dummy-password")
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password must have at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def create_user(session: Session, *, username: str, display_name: str, role: str, now: dt.datetime,
                password: str | None = None, email: str | None = None, organisation: str = "",
                locale: str = "fr") -> User:
    """Add a user. Raises InputError for a bad name, role, password or a name already taken."""
    if not _USERNAME.match(username or ""):
        raise InputError("a username has 2 to 60 characters: lower-case letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise InputError(f"unknown role '{role}' (one of: {', '.join(ROLES)})")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InputError(f"the username '{username}' is already taken")
    user = User(username=username, display_name=display_name or username, role=role, email=email or None,
                organisation=organisation, locale=locale, created_at=now, active=True,
                password_hash=hash_password(password) if password else "")
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise InputError(f"the username '{username}' is already taken") from None
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user '{username}'")
    return user


def find_active(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username, User.active.is_(True)))


def list_users(session: Session, role: str | None = None) -> list[User]:
    query = select(User).order_by(User.role, User.username)
    if role:
        query = query.where(User.role == role)
    return list(session.scalars(query))


def set_active(session: Session, username: str, active: bool) -> User:
    user = get_user(session, username)
    user.active = active
    return user


def set_password(session: Session, username: str, password: str) -> User:
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None (same cost either way)."""
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active or stored is _DUMMY_HASH:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return user
