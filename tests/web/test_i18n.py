"""Every English message id of the web layer has its French translation (French is the default)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from .conftest import login, post, text

ROOT = Path(__file__).resolve().parents[2]


def test_every_message_has_a_french_translation():
    # The domain layer's permission reasons are shown by the web layer in the page's language.
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2"), ("workflows/**.py", "python")]
    keywords = {"_": None, "gettext": None, "N_": None, "PermissionDeniedError": None}
    found = {message for _file, _line, message, _comments, _context in
             extract_from_dir(str(ROOT), method_map=method_map, keywords=keywords)
             if isinstance(message, str)}
    with (ROOT / "web/translations/fr/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    missing = sorted(m for m in found if m not in catalog or not catalog[m].string)
    assert not missing, f"add these to messages.po: {missing}"


def test_every_plural_message_has_its_french_forms():
    # ngettext("1 error", "%(num)d errors", n): a msgid_plural beside the msgid, and each plural form.
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    found = {message for _file, _line, message, _comments, _context in
             extract_from_dir(str(ROOT), method_map=method_map, keywords={"ngettext": (1, 2)})
             if isinstance(message, tuple) and all(message)}
    assert found  # the extractor reads them (the task form's error summary has one)
    with (ROOT / "web/translations/fr/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    missing = sorted(message for message in found if (entry := catalog.get(message[0])) is None
                     or entry.id != message or len(entry.string) != catalog.num_plurals or not all(entry.string))
    assert not missing, f"add these to messages.po, with msgid_plural and each msgstr[n]: {missing}"


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


def test_in_english_steps_are_named_by_their_forms_english_titles(app, client, seeded):
    reference = seeded["Jeune J."]  # at the evaluation, after a concertation and three reports
    login(client, "anne")
    post(client, "/language", {"lang": "en", "next": "/"})
    inbox = text(client.get("/inbox"))
    assert ">Plan evaluation</a>" in inbox and "Plan evaluation (1)</option>" in inbox  # row and filter
    assert "Évaluation du plan" not in inbox
    page = text(client.get(f"/cases/{reference}"))
    assert ">Plan evaluation</a>" in page  # what is open now
    assert "Form sent: Concertation: co-build the plan" in page and "Form sent: Report on the action" in page
    # Its diagram too: steps by their forms, gateways, events and flows by their English names.
    assert ">Plan evaluation<" in page and ">Objectives met?<" in page and ">Not met: new pass<" in page
    assert "Objectifs atteints" not in page
    post(client, "/language", {"lang": "fr", "next": "/"})
    assert ">Évaluation du plan</a>" in text(client.get("/inbox"))
    assert ">Objectifs atteints ?<" in text(client.get(f"/cases/{reference}"))
    login(client, "chantal")  # a coordinator's figures by step
    post(client, "/language", {"lang": "en", "next": "/"})
    home = text(client.get("/"))
    assert "Report on the action" in home and "Rendre compte de l" not in home


def test_colons_are_written_as_each_language_writes_them(app, client, seeded):
    # "Prendre : …" in French, "Take: …" in English (no space before the colon).
    reference = seeded["Jeune J."]
    login(client, "anne")
    french = " ".join(text(client.get(f"/cases/{reference}")).split())
    assert '</strong> : <span class="badge ok">donné' in french  # a consent
    post(client, "/language", {"lang": "en", "next": "/"})
    english = " ".join(text(client.get(f"/cases/{reference}")).split())
    assert '</strong>: <span class="badge ok">given' in english and "</strong> :" not in english
    login(client, "sophie")  # a partner's own actions can be taken from her inbox
    assert 'aria-label="Prendre : ' in text(client.get("/inbox"))
    post(client, "/language", {"lang": "en", "next": "/"})
    inbox = text(client.get("/inbox"))
    assert 'aria-label="Take: ' in inbox and 'aria-label="Take :' not in inbox


def test_error_pages_name_what_went_wrong_and_lead_each_role_home(app, client, seeded):
    login(client, "chantal")  # a coordinator has no tasks
    page = text(client.get("/inbox"))
    assert "Retour à l'accueil" in page and "Retour à mes tâches" not in page
    login(client, "anne")
    page = text(client.get(f"/cases/{seeded['Jeune H.']}/notes"))  # a form's address, opened
    assert "Action impossible ici" in page and "Non autorisé" not in page and "Retour à mes tâches" in page
