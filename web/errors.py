"""One error handler: domain and engine errors become friendly pages (JSON under /api/)."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from workflows.errors import (
    ConflictError,
    FormError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    TaskStateError,
    ValidationError,
    WorkflowRunError,
)

log = logging.getLogger(__name__)

# (status, code) per error class, most specific first.
MAPPING: tuple[tuple[type[Exception], int, str], ...] = (
    (NotFoundError, 404, "not_found"),
    (PermissionDeniedError, 403, "forbidden"),
    (FormError, 422, "invalid_form"),
    (ValidationError, 422, "invalid"),
    (InputError, 422, "invalid"),
    (TaskStateError, 409, "task_closed"),
    (ConflictError, 409, "conflict"),
    (WorkflowRunError, 500, "process_error"),
)


def _titles() -> dict[int, str]:
    return {400: _("Bad request"), 401: _("Please sign in"), 403: _("Not allowed"), 404: _("Not found"),
            405: _("Not possible here"), 409: _("Someone was faster"), 413: _("Too large"), 422: _("Please check the form"),
            429: _("Too many attempts"), 500: _("Something went wrong")}


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. If you were sending a form, reload the page and try again."),
        401: _("Sign in to see this page."),
        403: _("You may not see or do this."),
        404: _("This page does not exist, or you may not see it."),
        405: _("This action is not possible here."),
        409: _("Someone else changed this case meanwhile. Nothing of yours was lost: reload and check."),
        413: _("What you sent is too large."),
        422: _("Some values are not valid."),
        429: _("Too many attempts. Wait a few minutes."),
        500: _("An unexpected error occurred. It was logged; nothing was half saved."),
    }


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _rollback() -> None:
    session = g.get("db")
    if session is not None:
        session.rollback()


def render_error(status: int, code: str, message: str | None = None, *, fields=None, link=None,
                 title: str | None = None):
    """The friendly page (or JSON) for an error; `fields` = [{path, message}] for forms (and a
    `label` to show instead of the path), `title` instead of the status's."""
    _rollback()
    message = message or _messages().get(status, _messages()[500])
    if _wants_json():
        body = {"error": code, "message": message}
        if fields is not None:
            body["fields"] = fields
        if link:
            body["link"] = link
        response = jsonify(body)
        response.status_code = status
        return response
    title = title or _titles().get(status, _titles()[500])
    return render_template("errors/error.html", status=status, title=title, message=message,
                           fields=fields or [], link=link), status


def domain_message(err: Exception) -> str:
    """The user-facing text of a domain error (its own message when it has one for users)."""
    if isinstance(err, TaskStateError):
        return _("This task is no longer open: someone completed it meanwhile. Nothing you typed is lost "
                 "if you saved a draft; open the case to see where it stands.")
    if isinstance(err, FormError):  # each field's message is in `fields`, in the page's language
        return _messages()[422]
    if isinstance(err, ConflictError):
        return _messages()[409]
    if isinstance(err, NotFoundError):
        return _messages()[404]
    if isinstance(err, PermissionDeniedError):
        if not err.reason:
            return _messages()[403]
        return _("You may not do this: %(reason)s", reason=_(err.reason, **err.params))
    if isinstance(err, WorkflowRunError):
        return _("The process could not go on after this step (element %(element)s): the step is not completed. "
                 "What was sent is kept as the task's draft, and the process owners have been told.",
                 element=err.element_id or "?")
    return str(err) or _messages()[422]


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _joined(fields) -> str:
    """Every name and value of a MultiDict as one text (a MultiDict is a dict of lists: read at C
    speed, this check costs a few microseconds on a form of thirty fields)."""
    return "".join(fields) + "".join(map("".join, dict.values(fields))) if fields else ""


def _sent_nul() -> bool:
    """A null character anywhere in what the client sent as text: no browser's keyboard types
    it, PostgreSQL refuses it in any text, and no field of casework needs it."""
    auth = request.authorization
    texts = [request.path, _joined(request.args)]
    if auth is not None:
        texts += [auth.parameters.get("username") or "", auth.parameters.get("password") or ""]
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        texts.append(_joined(request.form))
        if request.files:
            texts += [part for name, file in request.files.items(multi=True) for part in (name, file.filename or "")]
        if request.is_json and _holds_nul(request.get_json(silent=True)):
            return True
    return "\x00" in "".join(texts)


def init_app(app: Flask) -> None:
    for cls, status, code in MAPPING:
        app.register_error_handler(cls, _domain_handler(status, code))

    @app.before_request
    def _refuse_nul():
        if _sent_nul():
            return render_error(400, "null_character", _(
                "What you sent contains a null character (U+0000), which casework does not accept. "
                "Nothing was saved: go back, remove it (it often comes with text pasted from another "
                "program) and send again."))
        return None

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        status = err.code or 500
        code = err.description if err.description in ("csrf", "json_required") else \
            (err.name or "error").lower().replace(" ", "_")
        message = None
        if err.description == "json_required":
            message = _("Send the body as JSON, with the header Content-Type: application/json.")
        if err.description == "csrf":
            message = (_("A call with the session cookie must send its CSRF token in the X-CSRF-Token header "
                         "(or sign in with HTTP Basic instead).") if request.path.startswith("/api/") else
                       _("Your form had expired. Reload the page and send it again."))
        response = render_error(status, code, message)
        allowed = getattr(err, "valid_methods", None)
        if status == 405 and allowed:  # the methods the address takes, as HTTP asks of a 405
            response = make_response(response)
            response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        # The type and place only: a message may quote personal data.
        log.error("unhandled %s on %s %s", type(err).__name__, request.method, request.endpoint, exc_info=app.debug)
        return render_error(500, "internal_error")


def _domain_handler(status: int, code: str):
    def handle(err: Exception):
        from .i18n import locale

        fields = None
        if isinstance(err, FormError):
            fields = [{"path": e.path, "message": e.message(locale())} for e in err.errors]
        elif isinstance(err, ValidationError):
            fields = [{"path": p.element_id or p.file or "", "message": p.text(locale())} for p in err.problems]
        if isinstance(err, WorkflowRunError):
            log.error("process error at element %s", err.element_id)
        return render_error(status, code, domain_message(err), fields=fields)

    return handle
