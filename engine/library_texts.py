"""What libraries say of a text a process owner wrote, said in French as well when the pattern is known.

Python's JSON parser (`JSONDecodeError.msg`) on a form that is not JSON, jsonschema
(`SchemaError.message`) on a form that is not a valid schema, and libxml2's schema validation
on a diagram that is not valid BPMN speak English: their usual messages
become catalogue messages (engine/problem_texts.py), French by default; any other text of theirs
is kept as it is, in both languages.
"""

from __future__ import annotations

import re

from .problem_texts import Alternatives, Message, say

_JSON_ERRORS = {"Expecting value": "json.expecting_value", "Expecting ',' delimiter": "json.expecting_comma",
                "Expecting ':' delimiter": "json.expecting_colon",
                "Expecting property name enclosed in double quotes": "json.expecting_name",
                "Extra data": "json.extra_data", "Invalid control character at": "json.control_character",
                "Invalid \\escape": "json.bad_escape", "Unterminated string starting at": "json.unterminated"}
_SCHEMA_ERRORS = [
    (re.compile(r"(?P<value>.+) is not of type (?P<type>'\w+'(?:, '\w+')*)"), "schema.not_of_type"),
    (re.compile(r"(?P<value>.+) is not valid under any of the given schemas"), "schema.no_form_matches"),
    (re.compile(r"(?P<value>.+) has non-unique elements"), "schema.not_unique"),
    (re.compile(r"(?P<value>.+) is less than the minimum of (?P<minimum>.+)"), "schema.below_minimum"),
    (re.compile(r"(?P<value>.+) is not one of (?P<allowed>.+)"), "schema.not_one_of"),
    (re.compile(r"(?P<value>.+) should be non-empty"), "schema.too_short"),
]


_XSD_ERRORS = [
    (re.compile(r"Element '(?P<element>[^']+)': The attribute '(?P<attribute>[^']+)' is required but missing\."),
     "xsd.attribute_missing"),
    (re.compile(r"Element '(?P<element>[^']+)', attribute '(?P<attribute>[^']+)': The attribute '(?P=attribute)' "
                r"is not allowed\."), "xsd.attribute_not_allowed"),
]


def xsd_error(message: str) -> Message | str:
    """What libxml2 said of a diagram the BPMN schema refuses (namespaces shortened), as a message when known."""
    for pattern, code in _XSD_ERRORS:
        found = pattern.fullmatch(message.strip())
        if found is not None:
            return say(code, **found.groupdict())
    return message


def json_error(msg: str) -> Message | str:
    """What Python's JSON parser said (`JSONDecodeError.msg`), as a message when known."""
    code = _JSON_ERRORS.get(msg)
    return say(code) if code else msg


def schema_error(message: str, path: tuple = ()) -> Message | str:
    """What jsonschema said of a schema (`SchemaError.message`, at `path`), as a message when known."""
    for pattern, code in _SCHEMA_ERRORS:
        found = pattern.fullmatch(message)
        if found is None:
            continue
        params = found.groupdict()
        if code == "schema.no_form_matches" and path and path[-1] == "type":
            return say("schema.unknown_type", value=params["value"])
        if code == "schema.not_of_type":
            names = re.findall(r"'(\w+)'", params["type"])
            if not all(name in _TYPES for name in names):
                return message
            params["type"] = Alternatives(say(_TYPES[name]) for name in names)
        return say(code, **params)
    return message


_TYPES = {"object": "type.object", "array": "type.array", "string": "type.string", "integer": "type.integer",
          "number": "type.number", "boolean": "type.boolean", "null": "type.null"}
