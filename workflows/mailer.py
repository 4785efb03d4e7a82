"""E-mails for notifications: what they say (no health details) and how they reach the SMTP server.

An e-mail says there is something to see in casework and links to the app; at most it names the
case's pseudonymous reference. It is in French, or English when the person's locale is `en`.

Sending is split into the SMTP steps so that a failure can be told apart:
- before the message body was handed over (connection, MAIL, RCPT, the DATA command), or when
  the server answers with an error code: the message did not go out (`Transient`: retry later;
  `Permanent`: a 5xx refusal, do not retry);
- after the body was handed over but before the server's answer: it may have gone out
  (`Uncertain`), and casework does not send it again on its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr

from engine.clock import BRUSSELS

from . import reasons
from .settings import Settings

TIMEOUT = 20  # seconds, per SMTP operation
# Lines up to 120 characters: the stricter default folds a long all-ASCII subject before its first word.
SMTP_POLICY = SMTP.clone(max_line_length=120)


class DeliveryError(Exception):
    """An e-mail was not delivered; subclasses say whether to try again."""


class Transient(DeliveryError):
    """Not sent; may work later (server down, 4xx answer)."""


class Unreachable(Transient):
    """Not sent: the SMTP server could not be reached at all (no point trying the next e-mail)."""


class Permanent(DeliveryError):
    """Not sent; the server refused it for good (5xx answer)."""


class Uncertain(DeliveryError):
    """The connection failed after the message was handed over: it may have been sent."""


@dataclass(frozen=True)
class Mail:
    """One e-mail ready to go: envelope recipient and the message."""

    to: str
    message: EmailMessage


# -- what the e-mails say --------------------------------------------------------------------------
_GREETING = ("Bonjour {name},", "Hello {name},")
_SOMETHING = ("Vous avez quelque chose à voir dans casework :", "There is something for you to see in casework:")
_OPEN = ("Ouvrez casework pour en savoir plus : {link}", "Open casework to see it: {link}")
_FOOTER = ("Ce message ne contient volontairement aucun détail : les informations restent dans casework.\n"
           "Vous recevez ce message parce que vous participez au dispositif de case management.",
           "This message deliberately holds no details: the information stays in casework.\n"
           "You receive it because you take part in the case-management network.")
_DIGEST_NEW = ("Nouveau depuis le dernier résumé :", "New since the last summary:")
_DIGEST_OVERDUE = ("En retard :", "Overdue:")
_TASKS_OVERDUE = ("{n} tâche(s) en retard", "{n} overdue task(s)")
_ACTIONS_OVERDUE = ("{n} action(s) du plan en retard", "{n} overdue plan action(s)")


def _message_id(key: str, sender: str) -> str:
    # The same notification always has the same Message-ID: should it ever reach the server
    # twice, mail systems that de-duplicate by Message-ID show it once.
    domain = sender.rpartition("@")[2] or "casework.invalid"
    return f"<casework.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def _envelope(settings: Settings, *, to: str, name: str, subject: str, body: str, key: str,
              now: dt.datetime) -> Mail:
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = formataddr(("casework", settings.mail_sender))
    message["To"] = formataddr((name, to))
    message["Subject"] = subject
    message["Date"] = format_datetime(now.astimezone(BRUSSELS))
    message["Message-ID"] = _message_id(key, settings.mail_sender)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, cte="quoted-printable")  # 7-bit safe for any server
    return Mail(to=to, message=message)


def render(settings: Settings, *, key: str, reason: str, reference: str | None, name: str, to: str,
           locale: str | None, now: dt.datetime) -> Mail:
    """The e-mail of one notification."""
    i = reasons.lang(locale)
    headline = reasons.headline(reason, reference, locale)
    link = settings.base_url.rstrip("/") + "/notifications"
    body = "\n\n".join([_GREETING[i].format(name=name), _SOMETHING[i], "  " + headline,
                        _OPEN[i].format(link=link), "-- \n" + _FOOTER[i]]) + "\n"
    return _envelope(settings, to=to, name=name, subject=f"casework : {headline}" if i == 0 else
                     f"casework: {headline}", body=body, key=key, now=now)


def render_digest(settings: Settings, *, key: str, name: str, to: str, locale: str | None, now: dt.datetime,
                  new: list[tuple[str, str | None]], overdue_tasks: int, overdue_actions: int) -> Mail:
    """The daily digest: new notifications (reason, case reference) and what is overdue, counted."""
    i = reasons.lang(locale)
    parts = [_GREETING[i].format(name=name), _SOMETHING[i]]
    if new:
        parts.append(_DIGEST_NEW[i] + "\n" + "\n".join("  - " + reasons.headline(r, ref, locale) for r, ref in new))
    lines = []
    if overdue_tasks:
        lines.append("  - " + _TASKS_OVERDUE[i].format(n=overdue_tasks))
    if overdue_actions:
        lines.append("  - " + _ACTIONS_OVERDUE[i].format(n=overdue_actions))
    if lines:
        parts.append(_DIGEST_OVERDUE[i] + "\n" + "\n".join(lines))
    link = settings.base_url.rstrip("/") + "/notifications"
    parts += [_OPEN[i].format(link=link), "-- \n" + _FOOTER[i]]
    day = now.astimezone(BRUSSELS).strftime("%d/%m/%Y")
    subject = f"casework : {reasons.title(reasons.DIGEST, locale)} ({day})" if i == 0 else \
        f"casework: {reasons.title(reasons.DIGEST, locale)} ({day})"
    return _envelope(settings, to=to, name=name, subject=subject, body="\n\n".join(parts) + "\n", key=key, now=now)


_RESET_SUBJECT = ("casework : choisir un nouveau mot de passe", "casework: choose a new password")
_RESET_BODY = (
    "Quelqu'un, vous peut-être, a demandé un nouveau mot de passe pour votre compte casework « {username} ».\n\n"
    "Pour le choisir, ouvrez ce lien dans les {minutes} minutes :\n{link}\n\n"
    "Le lien ne sert qu'une fois. Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.",
    "Someone, perhaps you, asked for a new password for your casework account \"{username}\".\n\n"
    "To choose it, open this link within {minutes} minutes:\n{link}\n\n"
    "The link works once. If you did not ask for anything, ignore this message: your password does not change.")
_RESET_FOOTER = ("Vous recevez ce message parce que votre adresse est celle d'un compte casework.",
                 "You receive it because your address is that of a casework account.")


def render_password_reset(settings: Settings, *, name: str, to: str, username: str, link: str, minutes: int,
                          locale: str | None, now: dt.datetime) -> Mail:
    """The e-mail with the link to choose a new password (see workflows.password_reset)."""
    i = reasons.lang(locale)
    body = "\n\n".join([_GREETING[i].format(name=name),
                         _RESET_BODY[i].format(username=username, minutes=minutes, link=link),
                         "-- \n" + _RESET_FOOTER[i]]) + "\n"
    # A Message-ID of its own each time: two requests are two e-mails.
    return _envelope(settings, to=to, name=name, subject=_RESET_SUBJECT[i], body=body,
                     key=f"password-reset:{username}:{now.isoformat()}", now=now)


_INVITE_SUBJECT = ("casework : votre compte vous attend", "casework: your account is ready")
_INVITE_BODY = (
    "Un compte casework a été ouvert pour vous : « {username} ». Le réseau y suit les situations de "
    "case management auxquelles vous prenez part.\n\n"
    "Pour choisir votre mot de passe, ouvrez ce lien dans les {days} jours :\n{link}\n\n"
    "Le lien ne sert qu'une fois. Ensuite, connectez-vous à {site} avec « {username} » et ce mot de passe. "
    "Si vous ne vous attendiez pas à ce message, ignorez-le ou signalez-le à qui gère les comptes de votre réseau.",
    "A casework account was opened for you: \"{username}\". Your network follows there the case management "
    "situations you take part in.\n\n"
    "To choose your password, open this link within {days} days:\n{link}\n\n"
    "The link works once. Then sign in at {site} with \"{username}\" and that password. "
    "If you did not expect this message, ignore it or tell whoever manages your network's accounts.")


def render_invitation(settings: Settings, *, name: str, to: str, username: str, link: str, days: int,
                      locale: str | None, now: dt.datetime) -> Mail:
    """The e-mail that invites a new account to choose its first password (workflows.password_reset)."""
    i = reasons.lang(locale)
    body = "\n\n".join([_GREETING[i].format(name=name),
                         _INVITE_BODY[i].format(username=username, days=days, link=link,
                                                site=settings.base_url.rstrip("/")),
                         "-- \n" + _RESET_FOOTER[i]]) + "\n"
    return _envelope(settings, to=to, name=name, subject=_INVITE_SUBJECT[i], body=body,
                     key=f"invitation:{username}:{now.isoformat()}", now=now)


# -- how they go out ---------------------------------------------------------------------------------
_LEADING_DOT = re.compile(rb"(?m)^\.")


def _check(code: int, reply: bytes | str, step: str) -> None:
    if 200 <= code < 400:
        return
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    detail = f"{step}: {code} {text}"[:300]
    raise (Permanent if code >= 500 else Transient)(detail)


class SmtpTransport:
    """Sends `Mail` over SMTP with the settings' host, port, TLS mode and credentials.

    Keeps one connection open across e-mails of a run; `close()` ends it.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self._conn: smtplib.SMTP | None = None

    @property
    def configured(self) -> bool:
        return bool(self.settings.smtp_host)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.smtp_tls == "ssl":
                conn = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=TIMEOUT,
                                        context=ssl.create_default_context())
            else:
                conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=TIMEOUT)
                if s.smtp_tls == "starttls":
                    conn.starttls(context=ssl.create_default_context())
            conn.ehlo_or_helo_if_needed()
            if s.smtp_user:
                conn.login(s.smtp_user, s.smtp_password or "")
        except smtplib.SMTPAuthenticationError as err:
            # A settings problem, not this e-mail's: every e-mail waits until it is fixed.
            raise Unreachable(f"SMTP login refused ({err.smtp_code}): check CASEWORK_SMTP_USER and "
                              "CASEWORK_SMTP_PASSWORD") from None
        except (OSError, smtplib.SMTPException, ssl.SSLError) as err:
            raise Unreachable(f"cannot reach the SMTP server: {type(err).__name__}: {err}"[:300]) from None
        return conn

    def send(self, mail: Mail) -> None:
        """Hand `mail` to the SMTP server. Raises Transient, Permanent or Uncertain."""
        reused = self._conn is not None
        while True:
            if self._conn is None:
                self._conn = self._connect()
            conn = self._conn
            try:
                _check(*conn.mail(self.settings.mail_sender), "MAIL FROM")
                _check(*conn.rcpt(mail.to), "RCPT TO")
                _check(*conn.docmd("DATA"), "DATA")
                break
            except DeliveryError:
                self._reset()
                raise
            except (OSError, smtplib.SMTPException) as err:
                self.close()
                if reused:  # the server closed an idle connection: one fresh try
                    reused = False
                    continue
                raise Transient(f"SMTP connection lost before the message: {type(err).__name__}") from None
        payload = _LEADING_DOT.sub(b"..", mail.message.as_bytes(policy=SMTP_POLICY))
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        try:
            conn.send(payload + b".\r\n")
            code, reply = conn.getreply()
        except (OSError, smtplib.SMTPException) as err:
            self.close()
            raise Uncertain(f"SMTP connection lost after the message was handed over: {type(err).__name__}") from None
        if code >= 400:
            self._reset()
        _check(code, reply, "message")

    def _reset(self) -> None:
        try:
            if self._conn is not None:
                self._conn.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                try:
                    conn.close()
                except OSError:
                    pass
