"""Form schemas: validate a submission with every error located, and extract small task data."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker

from .errors import NotFoundError

_MESSAGES: dict[str, dict[str, str]] = {
    "required": {"fr": "Ce champ est obligatoire.", "en": "This field is required."},
    "type": {"fr": "Valeur invalide : il faut {expected}.", "en": "Invalid value ({expected} expected)."},
    "enum": {"fr": "Choisissez une des options proposées.", "en": "Choose one of the options."},
    "const": {"fr": "Valeur invalide.", "en": "Invalid value."},
    "minLength": {"fr": "Ce champ ne peut pas être vide.", "en": "This field cannot be empty."},
    "maxLength": {"fr": "Texte trop long ({limit} caractères au plus).", "en": "Too long (at most {limit} characters)."},
    "minimum": {"fr": "La valeur doit être au moins {limit}.", "en": "The value must be at least {limit}."},
    "maximum": {"fr": "La valeur doit être au plus {limit}.", "en": "The value must be at most {limit}."},
    "minItems": {"fr": "Ajoutez au moins {limit} éléments.", "en": "Add at least {limit} items."},
    "minItems_one": {"fr": "Ajoutez au moins un élément.", "en": "Add at least one item."},
    "maxItems": {"fr": "Pas plus de {limit} éléments.", "en": "No more than {limit} items."},
    "minContains": {"fr": "Il en faut au moins {limit} de ce type.", "en": "At least {limit} of this kind are needed."},
    "contains": {"fr": "Il en faut au moins un de ce type.", "en": "At least one of this kind is needed."},
    "format": {"fr": "Format invalide ({format}).", "en": "Invalid format ({format})."},
    "pattern": {"fr": "Format invalide.", "en": "Invalid format."},
    "additionalProperties": {"fr": "Champ inconnu : {name}.", "en": "Unknown field: {name}."},
    "unknown_user": {"fr": "Aucun utilisateur actif « {name} ».", "en": "No active user '{name}'."},
    "not_a_carrier": {"fr": "{name} gère d'autres dossiers que celui-ci : un partenaire, ou le gestionnaire de ce "
                            "dossier, porte ses actions.",
                      "en": "{name} manages other cases than this one: a partner, or this case's manager, carries "
                            "its actions."},
    "unseen_characters": {"fr": "Ce texte contient des caractères invisibles ou de contrôle : retapez-le.",
                          "en": "This text holds invisible or control characters: type it again."},
    "not_in_case": {"fr": "{name} ne prend pas part à ce dossier : seuls ses participants peuvent en être "
                          "informés.",
                    "en": "{name} takes no part in this case: only those who do may be informed."},
    "youth_absent_listed": {"fr": "Le jeune est dit absent de la concertation : retirez-le des participants, ou "
                                  "dites qu'il était présent.",
                            "en": "The youth is said to be absent from the concertation: remove them from the "
                                  "participants, or say they were present."},
    "not_a_participant": {"fr": "{name} n'est pas un partenaire : le compte d'un participant est celui d'un "
                                "professionnel, ou du gestionnaire de ce dossier (sinon, laissez le compte vide).",
                          "en": "{name} is not a partner: a participant's account is a professional's, or this "
                                "case's manager's (else leave the account empty)."},
    "unknown_objective": {"fr": "Aucun objectif de repère « {name} » dans ce plan.",
                          "en": "No objective with key '{name}' in this plan."},
    "duplicate_key": {"fr": "Repère « {name} » utilisé deux fois.", "en": "Key '{name}' is used twice."},
    "objective_without_action": {"fr": "L'objectif « {name} » n'a aucune action.",
                                 "en": "Objective '{name}' has no action."},
    "objective_missing": {"fr": "Chaque objectif du plan doit être évalué.", "en": "Every objective must be evaluated."},
    "invalid": {"fr": "Valeur invalide.", "en": "Invalid value."},
    "not_finite": {"fr": "Donnez un nombre fini.", "en": "Give a finite number."},
    "date_range": {"fr": "Une date entre {first} et {last}.", "en": "A date between {first} and {last}."},
    "future": {"fr": "Une date passée, ou aujourd'hui.", "en": "A date in the past, or today."},
    "past": {"fr": "Aujourd'hui ou une date à venir.", "en": "Today or a date to come."},
    "before_concertation": {"fr": "Pas avant la date de la concertation ({date}).",
                            "en": "Not before the date of the concertation ({date})."},
    "not_json": {"fr": "Les données ne sont pas un objet JSON.", "en": "The data is not a JSON object."},
}
_TYPE_NAMES = {"fr": {"integer": "un nombre entier", "number": "un nombre", "boolean": "oui ou non",
                      "string": "du texte", "array": "une liste", "object": "un objet"},
               "en": {"integer": "a whole number", "number": "a number", "boolean": "yes or no",
                      "string": "text", "array": "a list", "object": "an object"}}
_REQUIRED = re.compile(r"^'(?P<name>.+)' is a required property$")
_ADDITIONAL = re.compile(r"\('(?P<name>[^']+)'")


@dataclass(frozen=True)
class FieldError:
    """One error on one field; `path` uses '/' between levels ('actions/0/carrier')."""

    path: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, str] | None = None

    def message(self, locale: str = "fr") -> str:
        if self.custom:
            return self.custom.get(locale) or self.custom.get("fr") or next(iter(self.custom.values()))
        singular = self.params.get("limit") == 1 and _MESSAGES.get(self.code + "_one")
        template = singular or _MESSAGES.get(self.code, _MESSAGES["invalid"])
        text = template.get(locale, template["fr"])
        params = dict(self.params)
        if "expected" in params:
            params["expected"] = _TYPE_NAMES.get(locale, _TYPE_NAMES["fr"]).get(params["expected"], params["expected"])
        try:
            return text.format(**params)
        except (KeyError, IndexError):
            return text


def _path(parts) -> str:
    return "/".join(str(p) for p in parts)


def _field_error(error: jsonschema.ValidationError) -> FieldError:
    code = error.validator
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    custom = (schema.get("x-messages") or {}).get(code)
    params: dict[str, Any] = {}
    if code == "required":
        match = _REQUIRED.match(error.message)
        if match:
            path.append(match.group("name"))
    elif code == "additionalProperties":
        match = _ADDITIONAL.search(error.message)
        params["name"] = match.group("name") if match else "?"
    elif code == "type":
        expected = error.validator_value
        params["expected"] = expected[0] if isinstance(expected, list) else expected
    elif code in ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "minContains"):
        params["limit"] = error.validator_value
    elif code == "format":
        params["format"] = "AAAA-MM-JJ" if error.validator_value == "date" else error.validator_value
    return FieldError(_path(path), code, params, custom)


def validate_submission(schema: dict[str, Any], data: Any, today: dt.date | None = None) -> list[FieldError]:
    """Every error of `data` against `schema`, in document order, at most one per field and rule.
    With `today`, a date field marked `"x-past": true` (the day something happened: an interview
    held, a consent given) may not be after it."""
    if not isinstance(data, dict):
        return [FieldError("", "not_json")]
    # NaN and infinities pass JSON Schema's "number" but are not JSON: a record holding one
    # could not be saved (PostgreSQL refuses the token), so they are refused here, with a field.
    unbounded = [FieldError(_path(path), "not_finite") for path in _non_finite(data, [])]
    if unbounded:
        return unbounded
    checker, validator = _validators(schema)
    dates = [FieldError(_path(path), "date_range", {"first": FIRST_YEAR, "last": LAST_YEAR})
             for path in sorted(_dates_out_of_range(schema, data), key=lambda path: [str(p) for p in path])]
    if today is not None:
        dates += [FieldError(_path(path), "future") for path in _dates_after(schema, data, today)]
    # Most submissions are valid: a compiled validator says so in microseconds, where walking the
    # schema for errors takes a quarter of a millisecond. It only ever saves that walk: when it
    # finds a fault, the errors (and whether there is any) are jsonschema's own.
    if checker is not None and checker.is_valid(data):
        return dates
    seen, errors = {(error.path, "format") for error in dates}, list(dates)
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        if error.validator == "contains" and "minContains" in (error.schema or {}):
            error.validator, error.validator_value = "minContains", error.schema["minContains"]
        item = _field_error(error)
        if (item.path, item.code) not in seen:
            seen.add((item.path, item.code))
            errors.append(item)
    return sorted(errors, key=lambda error: error.path.split("/")) if dates else errors


# A date's year, for every field of format "date": a year such as 0202 or 20266 is a typing
# slip, and the process's timers (an action's reminder after its due date) cannot count past 9999.
FIRST_YEAR, LAST_YEAR = 1900, 2100


def _date_fields(schema: dict[str, Any]) -> list[tuple[tuple[str, ...], bool]]:
    """Where the schema's date fields are, ('held_on',), ('actions', '*', 'due'), ..., each with
    whether it is marked "x-past" (found once per deployed schema, with its validators)."""
    return _compiled(schema)[3]


def _date_paths(schema: Any, prefix: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], bool]]:
    if not isinstance(schema, dict):
        return
    if schema.get("format") == "date":
        yield prefix, schema.get("x-past") is True
    for key, sub in (schema.get("properties") or {}).items():
        yield from _date_paths(sub, (*prefix, key))
    if isinstance(schema.get("items"), dict):
        yield from _date_paths(schema["items"], (*prefix, "*"))


def _dates_at(fields: tuple[str, ...], data: Any) -> list[tuple[list, str]]:
    """(path, value) of the well-formed dates (yyyy-mm-dd) `data` holds at `fields`, following
    every row of an array."""
    values = [([], data)]
    for step in fields:
        if step == "*":
            values = [([*path, index], item) for path, value in values if type(value) is list
                      for index, item in enumerate(value)]
        else:
            values = [([*path, step], value[step]) for path, value in values if type(value) is dict and step in value]
    return [(path, value) for path, value in values if type(value) is str and len(value) == 10 and value[:4].isdigit()]


def _dates_out_of_range(schema: dict[str, Any], data: Any) -> list[list]:
    """Paths of the well-formed dates in `data` whose year lies outside FIRST_YEAR..LAST_YEAR."""
    return [path for fields, _past in _date_fields(schema) for path, value in _dates_at(fields, data)
            if not FIRST_YEAR <= int(value[:4]) <= LAST_YEAR]


def _dates_after(schema: dict[str, Any], data: Any, today: dt.date) -> list[list]:
    """Paths of the dates of "x-past" fields in `data` after `today` (a year out of range is said
    by `_dates_out_of_range`; a malformed date by the schema's format)."""
    return [path for fields, past in _date_fields(schema) if past for path, value in _dates_at(fields, data)
            if FIRST_YEAR <= int(value[:4]) <= LAST_YEAR and (_day(value) or today) > today]


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _non_finite(value: Any, path: list) -> Iterator[list]:
    """Paths of the floats in `value` that are NaN or infinite."""
    kind = type(value)
    if kind is float:
        if not math.isfinite(value):
            yield path
    elif kind is dict:
        for key, item in value.items():
            yield from _non_finite(item, [*path, key])
    elif kind is list:
        for index, item in enumerate(value):
            yield from _non_finite(item, [*path, index])


_Compiled = tuple[dict[str, Any], Any, Draft202012Validator, list[tuple[tuple[str, ...], bool]]]
_VALIDATORS: dict[int, _Compiled] = {}


def _validators(schema: dict[str, Any]) -> tuple[Any | None, Draft202012Validator]:
    """The schema's compiled checker (jsonschema-rs), if it judges this schema as jsonschema does,
    and its jsonschema validator, which lists errors."""
    entry = _compiled(schema)
    return entry[1], entry[2]


def _compiled(schema: dict[str, Any]) -> _Compiled:
    """What is derived from a schema once: (schema, checker, validator, date fields)."""
    # Deployed schemas are parsed once and shared (tasks.schema_of), so what is derived from them
    # can be too; the entry keeps its schema alive, so the id cannot be reused by another object.
    entry = _VALIDATORS.get(id(schema))
    if entry is None or entry[0] is not schema:
        if len(_VALIDATORS) > 512:
            _VALIDATORS.clear()
        checker = None
        if _same_judgement(schema):
            try:
                checker = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
            except Exception:  # noqa: BLE001 - a schema it cannot compile: jsonschema alone
                checker = None
        entry = _VALIDATORS[id(schema)] = (schema, checker, Draft202012Validator(schema, format_checker=FormatChecker()),
                                           list(_date_paths(schema, ())))
    return entry


# Where the two may disagree, jsonschema alone validates: formats other than dates (each checks
# some that the other lets through) and regular expressions beyond plain characters, sets,
# groups and repeats (Python's and the compiled checker's differ on escapes such as \\d, on
# [[:alpha:]], on flags). On plain ones the checker is never the more lenient of the two.
_SAME_FORMATS = {"date"}
_PLAIN_PATTERN = re.compile(r"[A-Za-z0-9 ^$\[\]_+*?{}()|.,:/-]*")


def _same_judgement(node: Any) -> bool:
    if isinstance(node, list):
        return all(_same_judgement(item) for item in node)
    if not isinstance(node, dict):
        return True
    if "patternProperties" in node:
        return False
    pattern = node.get("pattern")
    if isinstance(pattern, str) and (not _PLAIN_PATTERN.fullmatch(pattern) or "[[" in pattern or "(?" in pattern):
        return False
    if isinstance(node.get("format"), str) and node["format"] not in _SAME_FORMATS:
        return False
    return all(_same_judgement(value) for key, value in node.items() if key not in ("enum", "const", "default", "examples"))


def small_values(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The values a gateway may test: booleans, numbers, choices and dates; never free text."""
    out: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if name not in data or not isinstance(prop, dict):
            continue
        kind = prop.get("type")
        if kind in ("boolean", "integer", "number") or "enum" in prop or prop.get("format") == "date":
            out[name] = data[name]
    return out


def load_schema(files: dict[str, str], form: str | None) -> dict[str, Any]:
    """The JSON Schema of a task's form, read from its process version's files."""
    if not form:
        return {"type": "object", "properties": {}, "additionalProperties": False}
    text = files.get("forms/" + form)
    if text is None:
        raise NotFoundError(f"form {form} is missing from the deployed version")
    return json.loads(text)
