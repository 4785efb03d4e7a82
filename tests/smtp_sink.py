"""A real SMTP server for the tests (aiosmtpd on a free local port) that can fail on demand."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


@dataclass
class Received:
    sender: str
    to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_content()


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    answer: str = "250 OK"  # what to answer after DATA: "451 ..." (try later), "550 ..." (refused)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if not self.answer.startswith("250"):
            return self.answer
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          email.message_from_bytes(envelope.original_content, policy=email.policy.default)))
        return self.answer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """Start, stop (the server is down: connection refused) and restart on the same port."""

    def __init__(self, login: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.handler = _Handler()
        self.login = login
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return list(self.handler.received)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.to]

    def start(self) -> None:
        if self._controller is None:
            auth = {}
            if self.login:
                auth = dict(auth_required=True, auth_require_tls=False, authenticator=self._authenticate)
            self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **auth)
            self._controller.start()

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login.decode(), auth_data.password.decode()) == self.login
        return AuthResult(success=ok, handled=False)  # the server answers 235 or 535 itself

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def answer(self, text: str) -> None:
        self.handler.answer = text

    def settings_for(self, settings):
        return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=self.port, smtp_tls="none",
                                   mail_sender="casework@reseau.example", base_url="https://casework.example")


@pytest.fixture
def smtp():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()
