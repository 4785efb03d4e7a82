"""Settings from the environment (CASEWORK_*), checked for what is unsafe in production."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BPMN_DIR = PROJECT_ROOT / "bpmn"
_LOCAL = re.compile(r"^https://(localhost|127\.|\[::1\])")
_OFFSET = re.compile(r"^(?P<sign>[+-]?)(?P<n>\d+)(?P<unit>[dhm])$")


def parse_offset(text: str) -> dt.timedelta:
    """'+3d', '12h', '-30m' -> timedelta. Raises SettingsError."""
    match = _OFFSET.match(text.strip())
    if not match:
        raise SettingsError(f"clock offset '{text}' is not like +3d, 12h or 30m")
    n = int(match.group("n")) * (-1 if match.group("sign") == "-" else 1)
    return {"d": dt.timedelta(days=n), "h": dt.timedelta(hours=n), "m": dt.timedelta(minutes=n)}[match.group("unit")]


# A signed-in session ends after CASEWORK_IDLE_MINUTES without activity (health data about minors
# on computers that are often shared); pages warn before, and keep a task form as a draft.
IDLE_DEFAULT, IDLE_MIN, IDLE_MAX = 30, 5, 480


def _number(env: Mapping[str, str], name: str, default: int | float, kind: type = int) -> int | float:
    """The number a CASEWORK_* variable holds (`default` when unset or empty); SettingsError
    naming it, not a traceback, when it holds something else."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{name} must be {what}, not '{text}'") from None


@dataclass(frozen=True)
class Settings:
    database_url: str
    environment: str = "development"  # development | production
    secret_key: str = ""
    clock_offset: dt.timedelta | None = None
    bpmn_dir: Path = DEFAULT_BPMN_DIR
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_tls: str = "none"  # none | starttls | ssl
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_sender: str = "casework@localhost"
    base_url: str = "http://127.0.0.1:5000"
    scheduler_interval: float = 5.0
    scheduler_enabled: bool = True
    digest_hour: int = 7  # local hour (Europe/Brussels) of the daily e-mail digest
    idle_minutes: int = IDLE_DEFAULT  # a signed-in session ends after this long without activity

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Settings:
        env = os.environ if env is None else env
        offset = env.get("CASEWORK_CLOCK_OFFSET")
        values = dict(
            database_url=env.get("CASEWORK_DATABASE_URL") or f"sqlite:///{Path.cwd() / 'var' / 'casework.db'}",
            environment=env.get("CASEWORK_ENV", "development"),
            secret_key=env.get("CASEWORK_SECRET_KEY", ""),
            clock_offset=parse_offset(offset) if offset else None,
            bpmn_dir=Path(env.get("CASEWORK_BPMN_DIR", DEFAULT_BPMN_DIR)),
            smtp_host=env.get("CASEWORK_SMTP_HOST") or None,
            smtp_port=_number(env, "CASEWORK_SMTP_PORT", 25),
            smtp_tls=env.get("CASEWORK_SMTP_TLS", "none"),
            smtp_user=env.get("CASEWORK_SMTP_USER") or None,
            smtp_password=env.get("CASEWORK_SMTP_PASSWORD") or None,
            mail_sender=env.get("CASEWORK_MAIL_SENDER", "casework@localhost"),
            base_url=env.get("CASEWORK_BASE_URL", "http://127.0.0.1:5000"),
            scheduler_interval=_number(env, "CASEWORK_SCHEDULER_INTERVAL", 5.0, float),
            scheduler_enabled=env.get("CASEWORK_SCHEDULER", "on") != "off",
            digest_hour=_number(env, "CASEWORK_DIGEST_HOUR", 7),
            idle_minutes=_number(env, "CASEWORK_IDLE_MINUTES", IDLE_DEFAULT),
        )
        values.update(overrides)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse settings that are unsafe where real data lives."""
        if self.environment not in ("development", "production"):
            raise SettingsError("CASEWORK_ENV must be 'development' or 'production'")
        if self.smtp_tls not in ("none", "starttls", "ssl"):
            raise SettingsError("CASEWORK_SMTP_TLS must be none, starttls or ssl")
        if not 0 <= self.digest_hour <= 23:
            raise SettingsError("CASEWORK_DIGEST_HOUR must be an hour from 0 to 23")
        if not IDLE_MIN <= self.idle_minutes <= IDLE_MAX:
            raise SettingsError(f"CASEWORK_IDLE_MINUTES must be a number of minutes from {IDLE_MIN} to {IDLE_MAX}")
        if self.production:
            if self.clock_offset:
                raise SettingsError("an offset clock (CASEWORK_CLOCK_OFFSET) is for demos; it is refused in production")
            if len(self.secret_key) < 32:
                raise SettingsError("production needs CASEWORK_SECRET_KEY of at least 32 characters")
            if self.database_url.startswith("sqlite") and ":memory:" in self.database_url:
                raise SettingsError("production cannot run on an in-memory database")
            # The links of e-mails (notifications, a new password) lead there, and a session cookie
            # is sent over HTTPS only in production.
            if not self.base_url.startswith("https://") or _LOCAL.match(self.base_url):
                raise SettingsError("production needs CASEWORK_BASE_URL, the https:// address users open casework "
                                    "at (e-mails link to it)")

    def effective_secret(self) -> str:
        return self.secret_key or secrets.token_hex(32)
