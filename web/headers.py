"""Security headers on every response.

casework's pages hold health data about minors, and they are often opened on shared computers:
- no page of a signed-in user is kept by the browser (`Cache-Control: no-store`), so the Back
  button after signing out, or the browser's disk cache, shows nothing; only the static files
  (stylesheets, scripts, the diagram editor) are cached;
- scripts come from casework itself only (a Content-Security-Policy without inline scripts: text
  that ever escaped the templates' escaping still could not run), no page can be framed by
  another site (clickjacking on a form), and forms post only to casework;
- a link followed to another site does not tell it which casework page it came from;
- in production, browsers keep to HTTPS (HSTS).
"""

from __future__ import annotations

from flask import Flask, request

# Inline styles stay allowed: the process editor's diagram library sets them, and a style cannot run code.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
CACHED_ENDPOINTS = frozenset({"static", "processes.vendor"})
HSTS = "max-age=31536000"


def init_app(app: Flask, *, production: bool) -> None:
    fixed = [("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Content-Type-Options", "nosniff"),
             ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"),
             ("Permissions-Policy", "camera=(), microphone=(), geolocation=()")]
    if production:
        fixed.append(("Strict-Transport-Security", HSTS))

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        # Appended, not set: no view sends these, and setting each would compare it with every header.
        for name, value in fixed:
            headers.add(name, value)
        if request.endpoint not in CACHED_ENDPOINTS:
            headers["Cache-Control"] = "no-store"
        return response
