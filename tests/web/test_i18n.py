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
