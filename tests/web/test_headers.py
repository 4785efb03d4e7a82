"""Security headers: pages are never cached, scripts only come from casework, no framing."""

from __future__ import annotations

from flask import Flask

from web import headers

from .conftest import login


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in policy.split("; ")}


def test_a_case_page_is_not_kept_by_the_browser_and_runs_only_caseworks_scripts(client, seeded):
    login(client, "anne")
    page = client.get("/cases/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    policy = _csp(page)
    assert policy["script-src"] == "'self'"  # no inline script, no other site
    assert policy["frame-ancestors"] == "'none'" and page.headers["X-Frame-Options"] == "DENY"
    assert policy["form-action"] == "'self'" and policy["object-src"] == "'none'"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in page.headers  # development: plain HTTP on 127.0.0.1


def test_the_sign_in_page_errors_and_the_api_are_not_cached_either(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    assert client.get("/no-such-page").headers["Cache-Control"] == "no-store"
    api = client.get("/api/v1/tasks")
    assert api.status_code == 401 and api.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client):
    response = client.get("/static/casework.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_templates_hold_no_inline_script():
    # The policy forbids inline scripts: one added to a template would silently not run.
    import re
    from pathlib import Path

    root = Path(headers.__file__).parent / "templates"
    for template in root.rglob("*.html"):
        source = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", source):
            assert "src=" in tag, f"{template.relative_to(root)}: inline <script> (use a file in web/static)"
        assert not re.search(r"\son[a-z]+\s*=", source), f"{template.relative_to(root)}: inline event handler"


def test_production_asks_browsers_to_keep_to_https():
    app = Flask(__name__)
    headers.init_app(app, production=True)
    app.add_url_rule("/", "home", lambda: "ok")
    assert app.test_client().get("/").headers["Strict-Transport-Security"] == headers.HSTS
