"""Every English message id of the web layer has its French translation (French is the default)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def test_every_message_has_a_french_translation():
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    found = {message for _file, _line, message, _comments, _context in
             extract_from_dir(str(ROOT), method_map=method_map, keywords={"_": None, "gettext": None})
             if isinstance(message, str)}
    with (ROOT / "web/translations/fr/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    missing = sorted(m for m in found if m not in catalog or not catalog[m].string)
    assert not missing, f"add these to messages.po: {missing}"


def test_template_texts_follow_the_page_language_and_escape_their_values(app):
    from flask import render_template_string

    from web import create_app

    web_app = create_app({"CASEWORK": app, "SECRET_KEY": "test"})
    source = '{{ _("taken by %(name)s", name=who) }} | {{ _("Sign out") }}'
    with web_app.test_request_context("/"):
        assert render_template_string(source, who="<b>Léa</b>") == "prise par &lt;b&gt;Léa&lt;/b&gt; | Se déconnecter"
    with web_app.test_request_context("/"):
        from flask import session

        session["lang"] = "en"
        assert render_template_string(source, who="Léa & co") == "taken by Léa &amp; co | Sign out"
