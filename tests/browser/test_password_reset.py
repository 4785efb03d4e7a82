"""A partner who forgot her password asks for a link from the sign-in page, receives it by e-mail
(a real SMTP server) and chooses a new password, in Debian's Chromium against a real WSGI server."""

from __future__ import annotations

import dataclasses
import re
import time

import pytest

from tests import smtp_sink

pytestmark = [pytest.mark.sqlite_only]
smtp = smtp_sink.smtp  # the SMTP server fixture
NEW = "un-nouveau-mot-de-passe"


def _wait_for_mail(smtp, address: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not smtp.to(address):  # sent once the page's answer is on its way
        assert time.monotonic() < deadline, f"no e-mail to {address}"
        time.sleep(0.05)
    return smtp.to(address)[-1]


def test_browser_partner_resets_a_forgotten_password_by_email(app, serve, smtp, page):
    base = serve(dataclasses.replace(app, settings=smtp.settings_for(app.settings)))
    page.goto(base + "/login")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill("sophie@example.org")
    page.shots("forgot")
    page.get_by_role("button", name="M'envoyer un lien").click()
    page.wait_for_url(re.compile(r".*/login$"))
    assert "un lien pour choisir un nouveau mot de passe est en route" in page.inner_text("main")
    page.shots("asked")

    mail = _wait_for_mail(smtp, "sophie@example.org")
    link = re.search(r"https://casework\.example(/password/reset/\S+)", mail.body).group(1)
    page.goto(base + link)
    page.wait_for_url(re.compile(r".*/password/reset$"))  # the token is out of the address bar
    page.get_by_label("Nouveau mot de passe (au moins 10 caractères)").fill("court")
    page.get_by_label("Nouveau mot de passe, une seconde fois").fill("court")
    page.get_by_role("button", name="Enregistrer mon nouveau mot de passe").click()
    assert "Au moins 10 caractères." in page.inner_text("main")
    page.shots("too-short")
    page.get_by_label("Nouveau mot de passe (au moins 10 caractères)").fill(NEW)
    page.get_by_label("Nouveau mot de passe, une seconde fois").fill(NEW)
    page.get_by_role("button", name="Enregistrer mon nouveau mot de passe").click()
    page.wait_for_url(re.compile(r".*/inbox$"))
    assert "Votre nouveau mot de passe est enregistré." in page.inner_text("main")
    page.shots("inbox")

    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_label("Nom d'utilisateur").fill("sophie")
    page.get_by_label("Mot de passe").fill(NEW)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/inbox$"))
    page.goto(base + link)
    assert "Ce lien ne fonctionne plus" in page.inner_text("main")
