"""The OpenAPI 3.1 description of /api/v1 (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}


def _responses(ok: dict[str, Any], *codes: int) -> dict[str, Any]:
    texts = {400: "A query parameter given a value it does not take (`invalid_parameter`, `fields` names each), "
                  "a call with the session cookie but without the X-CSRF-Token header (`csrf`), or a null "
                  "character (`null_character`)",
             401: "Not signed in (or a wrong username or password)", 403: "Not allowed for this user",
             404: "Unknown, or not visible to this user",
             409: "Completed already (`task_closed`: by whom and when, `link` to its case) or changed by "
                  "someone else meanwhile",
             415: "Sent with HTTP Basic, a body that is not JSON (`json_required`): send Content-Type: "
                  "application/json",
             422: "Invalid data; `fields` lists every error (a body that is not a JSON object: one with path \"\")"}
    out = {"200": ok}
    for code in codes:
        out[str(code)] = {"description": texts[code], "content": {"application/json": {"schema": _ERROR}}}
    return out


def _object(required: str, optional: str = "", **properties: Any) -> dict[str, Any]:
    """An object with exactly these properties (`required` and `optional`: space-separated names,
    each given in `properties`): a field the API adds and the document forgets fails the test
    that checks answers against it."""
    return {"type": "object", "required": required.split(), "additionalProperties": False,
            "properties": {name: properties[name] for name in required.split() + optional.split()}}


_TEXT, _INT, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
_DAY = {"type": ["string", "null"], "format": "date"}
_WHEN = {"type": ["string", "null"], "format": "date-time"}


def _list(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


_CASE = _object(
    "reference status outcome pass youth case_manager opened_at current_steps open_tasks consents consent_obtained "
    "plans messages timeline", "request",
    reference=_TEXT, status={"enum": ["open", "exited", "closed"]}, outcome={"type": ["string", "null"]}, **{"pass": _INT},
    youth=_object("pseudonym age_band region", pseudonym=_TEXT, age_band=_TEXT, region=_TEXT),
    case_manager=_TEXT, opened_at=_WHEN, current_steps=_list(_TEXT),
    open_tasks=_list({"$ref": "#/components/schemas/Task"}),
    consents=_list(_object("person label status scope decided_on", person=_TEXT, label={"type": ["string", "null"]},
                           status=_TEXT, scope={"type": ["string", "null"]}, decided_on=_DAY)),
    consent_obtained={"type": ["boolean", "null"],
                      "description": "For a viewer shown no one's consent (the requester): whether all gave it."},
    plans=_list(_object(
        "version held_on full participants objectives actions changes", version=_INT, held_on=_DAY, full=_BOOL,
        participants=_list(_object("name organisation kind", name=_TEXT, organisation=_TEXT, kind=_TEXT)),
        objectives=_list(_object("key title indicator", key=_TEXT, title=_TEXT, indicator={"type": ["string", "null"]})),
        actions=_list(_object(
            "id objective what how duration carrier due_on status reports", id=_INT, objective=_TEXT, what=_TEXT,
            how={"type": ["string", "null"]}, duration={"type": ["string", "null"]}, carrier=_TEXT, due_on=_DAY,
            status={"enum": ["open", "done", "abandoned"]},
            reports=_list(_object("reported_at by status result effectiveness", reported_at=_WHEN, by=_TEXT,
                                  status=_TEXT, result=_TEXT, effectiveness={"type": ["string", "null"]})))),
        changes=_list(_object("kind what label detail", kind={"enum": ["added", "removed", "changed"]}, what=_TEXT,
                              label=_TEXT, detail={})))),
    messages=_list(_object("kind text received_on acknowledged", kind=_TEXT, text=_TEXT, received_on=_DAY,
                           acknowledged=_BOOL)),
    timeline=_list(_object("at kind actor detail", at=_WHEN, kind=_TEXT, actor={"type": ["string", "null"]},
                           detail={})),
    request=_object("requester_kind difficulties previous_attempts", requester_kind=_TEXT,
                    difficulties={"type": ["string", "null"]}, previous_attempts={"type": ["string", "null"]}))


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document() -> dict[str, Any]:
    task = {"$ref": "#/components/schemas/Task"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "casework API", "version": "1",
                 "description": "Tasks and cases of the case-management process. Same permissions as the web pages: "
                                "a professional sees only the cases they take part in and only what concerns "
                                "them; every read of a case or task is audited. Task titles and error messages "
                                "are in the session's language, else in the one the Accept-Language header "
                                "prefers (fr or en), else in French."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"basic": []}, {"session": []}],
        "paths": {
            "/tasks": {"get": {
                "summary": "Open tasks the user may act on, overdue first, then by due date",
                "parameters": [
                    {"name": "scope", "in": "query", "schema": {"enum": ["mine", "partners"]},
                     "description": "partners: the partners' actions in the case manager's cases"},
                    {"name": "step", "in": "query", "schema": {"type": "string"}, "description": "a user task id"},
                    {"name": "case", "in": "query", "schema": {"type": "string"},
                     "description": "a case reference, or part of one (3 characters at least besides the CM- prefix)"},
                    {"name": "due", "in": "query", "schema": {"enum": ["overdue", "week", "draft"]},
                     "description": "overdue, due this week, or whose form has a saved draft"},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
                "responses": _responses(_json({"type": "object", "properties": {
                    "tasks": {"type": "array", "items": task}, "page": {"type": "integer"},
                    "pages": {"type": "integer"}, "counts": {"$ref": "#/components/schemas/Counts"}}},
                    "A page of tasks and the counts per filter"), 400, 401, 403)}},
            "/tasks/{task_id}": {"get": {
                "summary": "A task with its form's JSON Schema and the values to prefill (draft or defaults)",
                "parameters": [{"$ref": "#/components/parameters/TaskId"}],
                "responses": _responses(_json({"allOf": [task, {"type": "object", "properties": {
                    "schema": {"type": "object", "description": "JSON Schema draft 2020-12 of the form"},
                    "values": {"type": "object"}, "draft_saved_at": {"type": ["string", "null"]}}}]}, "The task"),
                    401, 403, 404)}},
            "/tasks/{task_id}/complete": {"post": {
                "summary": "Complete the task with the form's data; the process moves on",
                "parameters": [{"$ref": "#/components/parameters/TaskId"}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "description": "The form's data, valid against the task's schema "
                                                     "(optionally wrapped as {\"data\": {...}})"}}}},
                "responses": _responses(_json({"type": "object", "properties": {
                    "case": {"type": "string"}, "status": {"type": "string"},
                    "open_tasks": {"type": "array", "items": task}}}, "Completed"), 400, 401, 403, 404, 409, 415, 422)}},
            "/cases": {"get": {
                "summary": "Cases the user may open",
                "parameters": [{"name": "status", "in": "query", "schema": {"enum": ["open", "exited", "closed"]}},
                               {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
                "responses": _responses(_json({"type": "object", "properties": {
                    "cases": {"type": "array", "items": {"type": "object", "properties": {
                        "reference": {"type": "string"}, "status": {"enum": ["open", "exited", "closed"]},
                        "pass": {"type": "integer"}, "opened_at": {"type": "string", "format": "date-time"},
                        "url": {"type": "string"}}}},
                    "page": {"type": "integer"}, "pages": {"type": "integer"}, "total": {"type": "integer"}}},
                    "A page of cases"), 400, 401, 403)}},
            "/cases/{reference}": {"get": {
                "summary": "A case as the user may see it (as its page shows it): status, steps, consent, plans with "
                           "their participants, actions and the reports on them, messages, timeline",
                "parameters": [{"name": "reference", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": "^CM-[A-Z0-9]{6}$"}}],
                "responses": _responses(_json({"$ref": "#/components/schemas/Case"}, "The case"), 401, 403, 404)}},
        },
        "components": {
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "session": {"type": "apiKey", "in": "cookie", "name": "casework_session",
                            "description": "The web session; POST requests then need the X-CSRF-Token header"}},
            "parameters": {"TaskId": {"name": "task_id", "in": "path", "required": True,
                                      "schema": {"type": "string", "format": "uuid"}}},
            "schemas": {
                "Task": {"type": "object", "properties": {
                    "id": {"type": "string", "format": "uuid"}, "case": {"type": "string"},
                    "step": {"type": "string"}, "title": {"type": "string"}, "lane": {"type": ["string", "null"]},
                    "assignee": {"type": ["string", "null"]}, "claimed_by": {"type": ["string", "null"]},
                    "due_at": {"type": ["string", "null"], "format": "date-time"}, "url": {"type": "string"}}},
                "Counts": {"type": "object", "properties": {
                    "total": {"type": "integer"}, "overdue": {"type": "integer"}, "week": {"type": "integer"},
                    "draft": {"type": "integer"},
                    "by_step": {"type": "object", "additionalProperties": {"type": "integer"}}}},
                "Case": _CASE,
                "Error": {"type": "object", "required": ["error", "message"], "properties": {
                    "error": {"type": "string"}, "message": {"type": "string"},
                    "fields": {"type": "array", "items": {"type": "object", "properties": {
                        "path": {"type": "string"}, "message": {"type": "string"}}}},
                    "link": {"type": "string"}}},
            },
        },
    }
