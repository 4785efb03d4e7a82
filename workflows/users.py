"""Users and passwords (argon2)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import audit

from . import signins
from .errors import FormError, InputError, NotFoundError
from .forms import FieldError
from .models import ROLES, User

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
_hasher = PasswordHasher()
# Verified against when the user does not exist, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("casework-dummy-password")
MIN_PASSWORD = 10

# HTTP Basic sends the password with every API request, and argon2 is slow on purpose (tens of
# milliseconds and 64 MiB a check). A password verified for the API is remembered for a few
# minutes as a keyed hash (the key is random, this process's own, never stored), tied to the
# stored hash it matched: the next requests compare that instead, and a new password or a
# disabled account ends it at once. Sign-in through the page always runs argon2.
REMEMBER_S = 300.0
_REMEMBER_MAX = 1024
_KEY = secrets.token_bytes(32)
_remembered: dict[str, tuple[bytes, str, float]] = {}  # username -> (keyed hash, stored hash, until)
_remembered_lock = threading.Lock()


_RUNS = ("012345678901234567890", "azertyuiopqsdfghjklmwxcvbn", "qwertyuiopasdfghjklzxcvbnm",
         "qwertzuiopasdfghjklyxcvbnm", "abcdefghijklmnopqrstuvwxyz")
_COMMON = {"password", "motdepasse", "azertyuiop", "qwertyuiop", "bonjour", "soleil", "casework", "welcome",
           "bienvenue", "iloveyou", "jetaime", "admin"}


def guessable(password: str, username: str = "") -> bool:
    """A password tried first against an account: fewer than 5 different characters, a run of
    the keyboard or the alphabet, a common word with digits around it, or the username in it."""
    folded = password.lower()
    core = folded.strip("0123456789 !?.,;:-_*#@$&+=")
    return (len(set(folded)) < 5 or core in _COMMON or any(folded in run or folded in run[::-1] for run in _RUNS)
            or bool(username) and len(username) >= 3 and username.lower() in folded)


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
    """Enable or disable an account; disabling ends its sessions on every device."""
    user = get_user(session, username)
    user.active = active
    if not active:
        signins.close_all(session, user.id)
    return user


def replace_password(session: Session, user: User, password: str) -> None:
    """Give `user` a new password: every session signed in with the old one ends, on every
    device (the caller may sign the person in again)."""
    user.password_hash = hash_password(password)
    signins.close_all(session, user.id)


def set_password(session: Session, username: str, password: str, *, actor: str, now: dt.datetime) -> User:
    """Give `username` a new password (an administrator's act, audited). Raises NotFoundError,
    InputError (too short)."""
    user = get_user(session, username)
    replace_password(session, user, password)
    audit.record(session, at=now, actor=actor, kind="password_changed", detail={"user": username})
    return user


def change_password(session: Session, user: User, current: str, new: str, again: str, *,
                    now: dt.datetime) -> None:
    """A user's change of their own password, proved by the current one (audited).

    Raises FormError listing every field in error (the current password wrong, the new one too
    short, guessable, unchanged or typed differently the second time); nothing is changed then."""
    errors = []
    try:
        right = bool(user.password_hash) and _hasher.verify(user.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        right = False
    if not right:
        errors.append(FieldError("current_password", "wrong_password", custom={
            "fr": "Ce n'est pas votre mot de passe actuel.", "en": "This is not your current password."}))
    if right and new == current:
        errors.append(FieldError("new_password", "unchanged", custom={
            "fr": "C'est votre mot de passe actuel : choisissez-en un autre.",
            "en": "This is your current password: choose another one."}))
    else:
        errors += new_password_errors(new, again, user.username)
    if errors:
        raise FormError(errors)
    replace_password(session, user, new)
    audit.record(session, at=now, actor=user.username, kind="password_changed", detail={"user": user.username})


def new_password_errors(new: str, again: str, username: str = "") -> list[FieldError]:
    """What is wrong with a new password typed twice (fields `new_password`, `new_password_again`)."""
    if len(new or "") < MIN_PASSWORD:
        return [FieldError("new_password", "too_short", custom={
            "fr": f"Au moins {MIN_PASSWORD} caractères.", "en": f"At least {MIN_PASSWORD} characters."})]
    if guessable(new, username):
        return [FieldError("new_password", "guessable", custom={
            "fr": "Trop facile à deviner (peu de caractères différents, une suite du clavier, votre identifiant) : "
                  "une phrase de quelques mots, par exemple.",
            "en": "Too easy to guess (few different characters, a keyboard run, your username): a phrase of a few "
                  "words, for instance."})]
    if new != again:
        return [FieldError("new_password_again", "mismatch", custom={
            "fr": "Les deux saisies du nouveau mot de passe diffèrent.",
            "en": "The two entries of the new password differ."})]
    return []


def authenticate(session: Session, username: str, password: str, *, remember: bool = False) -> User | None:
    """The active user with this name and password, or None (a wrong name costs as long as a
    wrong password).

    `remember`: for credentials sent with every request (HTTP Basic), a password verified here
    is recognised without argon2 for `REMEMBER_S` seconds, while its user's stored hash stays
    the same and the user active. A wrong password always costs a full check."""
    name = (username or "").strip().lower()
    user = session.scalar(select(User).where(User.username == name))
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    if remember and user is not None and user.active and stored is not _DUMMY_HASH \
            and _recognised(name, password or "", stored):
        return user
    try:
        _hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active or stored is _DUMMY_HASH:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    if remember:
        _remember(name, password, user.password_hash)
    return user


def _keyed(username: str, password: str) -> bytes:
    return hmac.new(_KEY, f"{username}\0{password}".encode(), hashlib.sha256).digest()


def _recognised(username: str, password: str, stored: str) -> bool:
    entry = _remembered.get(username)
    return (entry is not None and entry[1] == stored and time.monotonic() < entry[2]
            and hmac.compare_digest(entry[0], _keyed(username, password)))


def _remember(username: str, password: str, stored: str) -> None:
    with _remembered_lock:
        _remembered.pop(username, None)
        while len(_remembered) >= _REMEMBER_MAX:  # the oldest go first
            _remembered.pop(next(iter(_remembered)))
        _remembered[username] = (_keyed(username, password), stored, time.monotonic() + REMEMBER_S)
