"""JSON Schema -> HTML fields, and posted fields -> JSON data (validation stays in workflows.forms).

Field names are paths with dots: `held_on`, `actions.0.carrier`. Rows of an array of objects
carry a hidden `<array>.<i>._row` marker, so a row whose fields are all empty still counts.
Without JavaScript, buttons named `_add` / `_remove` add or remove a row server-side.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from engine.db import MAX_ROW_ID
from workflows.forms import FIRST_YEAR, LAST_YEAR

ROW = "_row"
LAST_PAGE = 10_000  # no list is paged further; a larger number is taken as this one


def row_id(text: str | None) -> int | None:
    """A row's id or number as typed in a form or a query string (ASCII digits, 1 to MAX_ROW_ID),
    else None: a larger one can name no row, and the database would refuse it with an error."""
    if text and text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_ROW_ID:
        return int(text)
    return None


def page_number(args) -> int:
    """The `page` of a query string: 1 when missing or not a number, at most LAST_PAGE."""
    try:
        return max(1, min(int(args.get("page", 1)), LAST_PAGE))
    except ValueError:
        return 1


@dataclass
class Option:
    value: str
    label: str
    # A person's parts, for the page's script to fill a row's name and organisation (data-*).
    person: tuple[str, str] | None = None


@dataclass
class Field:
    name: str  # the HTML name (path with dots)
    id: str  # the HTML id
    label: str
    kind: str  # text textarea integer number boolean checkbox date radio select person persons lines hidden rows readonly
    value: Any = None
    required: bool = False
    hint: str = ""
    error: str = ""
    options: list[Option] = field(default_factory=list)
    rows: list[list[Field]] = field(default_factory=list)  # kind == rows
    template: list[Field] = field(default_factory=list)  # kind == rows: an empty row with index __i__
    attrs: dict[str, Any] = field(default_factory=dict)


def _title(schema: dict[str, Any], locale: str, fallback: str) -> str:
    if locale == "en" and schema.get("x-title-en"):
        return schema["x-title-en"]
    return schema.get("title") or fallback


def _description(schema: dict[str, Any], locale: str) -> str:
    if locale == "en" and schema.get("x-description-en"):
        return schema["x-description-en"]
    return schema.get("description") or ""


def instructions(schema: dict[str, Any], locale: str) -> str:
    return _description(schema, locale)


def _enum_options(schema: dict[str, Any], locale: str) -> list[Option]:
    titles = (schema.get("x-enum-titles-en") if locale == "en" else None) or schema.get("x-enum-titles") or {}
    return [Option(str(v), titles.get(str(v), str(v))) for v in schema.get("enum", [])]


def _html_id(name: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


@dataclass(frozen=True)
class _Building:
    """What every field of a form is built with."""

    locale: str
    people: list[Option]
    today: dt.date | None  # a date marked "x-past" may not be after it (the date picker's last day)
    # Those who take part in the case: a person field marked "x-people": "case" offers only them.
    case_people: list[Option] | None = None

    def people_for(self, schema: dict[str, Any]) -> list[Option]:
        if schema.get("x-people") == "case" and self.case_people is not None:
            return self.case_people
        return self.people


def build_fields(schema: dict[str, Any], values: dict[str, Any], errors: dict[str, str], *, locale: str,
                 people: list[Option], today: dt.date | None = None,
                 case_people: list[Option] | None = None) -> list[Field]:
    """The fields of a form schema with their values and errors (keyed by dotted path)."""
    required = set(schema.get("required", []))
    building = _Building(locale, people, today, case_people)
    return [_field(name, prop, values.get(name), name in required, errors, building)
            for name, prop in (schema.get("properties") or {}).items() if isinstance(prop, dict)]


def _field(name: str, schema: dict[str, Any], value: Any, required: bool, errors: dict[str, str],
           building: _Building, *, in_row: bool = False) -> Field:
    locale = building.locale
    kind_of = schema.get("type")
    widget = schema.get("x-widget")
    label = _title(schema, locale, name.rsplit(".", 1)[-1])
    item = Field(name=name, id=_html_id(name), label=label, kind="text", value=value, required=required,
                 hint=_description(schema, locale), error=errors.get(name, ""))
    if widget == "hidden":
        item.kind = "hidden"
    elif schema.get("readOnly"):
        item.kind = "readonly"
    elif kind_of == "array":
        items = schema.get("items") or {}
        if items.get("type") == "object":
            item.attrs["minItems"] = schema.get("minItems")
            _rows(item, items, value, errors, building)
        elif items.get("x-widget") == "person":
            item.kind, item.options = "persons", building.people_for(items)
            item.value = [str(v) for v in value] if isinstance(value, list) else []
        else:
            item.kind = "lines"
            item.value = "\n".join(str(v) for v in value) if isinstance(value, list) else (value or "")
            item.attrs["maxItems"] = schema.get("maxItems")
    elif "enum" in schema:
        item.options = _enum_options(schema, locale)
        item.kind = widget if widget in ("radio", "select") else ("radio" if len(item.options) <= 4 else "select")
    elif kind_of == "boolean":
        # A row's optional yes/no is a box to tick; a required one is asked (Yes / No, neither
        # chosen at first): an unticked box would answer "no" for someone who never decided.
        item.kind = "checkbox" if in_row and not required else "boolean"
    elif kind_of == "integer" and "minimum" in schema and "maximum" in schema \
            and 0 < schema["maximum"] - schema["minimum"] <= 6:
        # A short scale (1 to 5): one click, no typing.
        item.kind = "radio"
        item.options = [Option(str(n), str(n)) for n in range(schema["minimum"], schema["maximum"] + 1)]
        item.value = str(value) if value is not None else None
    elif kind_of in ("integer", "number"):
        item.kind = kind_of
        item.attrs = {k: schema[k] for k in ("minimum", "maximum") if k in schema}
    elif schema.get("format") == "date":
        item.kind = "date"
        item.attrs = {"minimum": f"{FIRST_YEAR}-01-01", "maximum": f"{LAST_YEAR}-12-31"}  # the date picker's span
        if schema.get("x-past") and building.today is not None:
            item.attrs["maximum"] = building.today.isoformat()
    elif widget == "person":
        item.kind, item.options = "person", building.people_for(schema)
    elif widget == "textarea":
        item.kind = "textarea"
    if "maxLength" in schema:
        item.attrs["maxlength"] = schema["maxLength"]
    if isinstance(schema.get("x-suggest-from"), str):  # "objectives.key": the keys typed in those rows, offered
        item.attrs["suggest_from"] = schema["x-suggest-from"]
    return item


def _rows(item: Field, items: dict[str, Any], value: Any, errors: dict[str, str], building: _Building) -> None:
    item.kind = "rows"
    required = set(items.get("required", []))
    props = {k: v for k, v in (items.get("properties") or {}).items() if isinstance(v, dict)}
    rows = value if isinstance(value, list) else []
    if value is None and item.required:  # a new form starts with the rows it needs at least
        rows = [{} for _ in range(max(1, int(item.attrs.get("minItems") or 1)))]
    for index, row in enumerate(rows):
        row = row if isinstance(row, dict) else {}
        item.rows.append([_field(f"{item.name}.{index}.{key}", prop, row.get(key), key in required, errors, building,
                                 in_row=True) for key, prop in props.items()])
    item.template = [_field(f"{item.name}.__i__.{key}", prop, None, key in required, {}, building, in_row=True)
                     for key, prop in props.items()]
    item.attrs["row_label"] = _title(items, building.locale, "")
    # Rows tied to records (a hidden id, a read-only title) are given, not added or removed.
    item.attrs["fixed"] = any(p.get("x-widget") == "hidden" or p.get("readOnly") for p in props.values())


# -- posted form -> JSON data ----------------------------------------------------------------------
def parse(schema: dict[str, Any], form: MultiDict) -> dict[str, Any]:
    """The JSON data a posted form stands for. Unparseable values are kept as typed, so that
    validation reports them and the form shows them again."""
    data: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        value = _parse_value(name, prop, form, top=True)
        if value is not _MISSING:
            data[name] = value
    return data


_MISSING = object()


def _parse_value(name: str, schema: dict[str, Any], form: MultiDict, *, top: bool) -> Any:
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items") or {}
        if items.get("type") == "object":
            return _parse_rows(name, items, form)
        if items.get("x-widget") == "person":
            chosen = [v for v in form.getlist(name) if v]
            return chosen if chosen or name + "._present" in form else _MISSING
        if name not in form:
            return _MISSING
        return [line.strip() for line in form.get(name, "").splitlines() if line.strip()]
    if kind == "boolean" and not top:
        return form.get(name) in ("on", "true", "1", "yes")
    raw = form.get(name)
    if raw is None:
        return _MISSING
    raw = raw.strip()
    if raw == "":
        return _MISSING
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    # Digits as typed on a keyboard: Python reads "1_0" as 10, and Arabic-Indic digits too. Left
    # as text otherwise, for the schema to say what is expected.
    if kind == "integer":
        return int(raw) if _INTEGER.fullmatch(raw) else raw
    if kind == "number":
        if not _NUMBER.fullmatch(raw):
            return raw
        number = float(raw.replace(",", "."))
        return number if math.isfinite(number) else raw  # "1e999": not a number here
    return raw


_INTEGER = re.compile(r"[+-]?[0-9]{1,18}", re.ASCII)
_NUMBER = re.compile(r"[+-]?([0-9]{1,18}([.,][0-9]{0,18})?|[.,][0-9]{1,18})([eE][+-]?[0-9]{1,3})?", re.ASCII)


def _parse_rows(name: str, items: dict[str, Any], form: MultiDict) -> Any:
    pattern = re.compile(re.escape(name) + r"\.(\d+)\.")
    indices = sorted({int(m.group(1)) for key in form.keys() if (m := pattern.match(key))})
    if not indices and name + "._present" not in form:
        return _MISSING
    rows = []
    for index in indices:
        row = {}
        required = set(items.get("required") or ())
        for key, prop in (items.get("properties") or {}).items():
            value = _parse_value(f"{name}.{index}.{key}", prop, form, top=key in required)
            if value is not _MISSING:
                row[key] = value
        rows.append(row)
    return rows


def row_edit(data: dict[str, Any], form: MultiDict) -> bool:
    """Apply a server-side 'add row' / 'remove row' button; True if the form was only edited."""
    add, remove = form.get("_add"), form.get("_remove")
    if add and isinstance(data.get(add, []), list):
        data[add] = list(data.get(add, [])) + [{}]
        return True
    if remove:
        array, _, index = remove.rpartition(".")
        rows = data.get(array)
        if isinstance(rows, list) and index.isdigit() and int(index) < len(rows):
            data[array] = rows[:int(index)] + rows[int(index) + 1:]
        return True
    return False


def error_summary(fields: list[Field], errors: dict[str, str],
                  row_label: Callable[[str, int, str], str]) -> list[tuple[str | None, str, str]]:
    """The errors as the form's summary lists them: (the field to link to, or None; its label; the
    message), in the order the fields appear in the form (the schema's order, each row's fields in
    their row); an error on part of a field (a row, an item of a list) just after that field's.
    The whole form's errors come first, those of no field shown last. `row_label(label of the
    rows, row number, label of the field)` names a field in a row."""
    shown: dict[str, str] = {}  # field name -> label, in the form's order
    for item in fields:
        shown[item.name] = item.label
        for number, row in enumerate(item.rows, 1):
            shown.update((sub.name, row_label(item.label, number, sub.label)) for sub in row)
    place = {name: index for index, name in enumerate(shown)}

    def owner(key: str) -> str | None:  # the field an error is on, or on part of
        while key and key not in shown:
            key = key.rpartition(".")[0]
        return key or None

    def order(entry: tuple[int, str]) -> tuple[int, bool, int]:
        position, key = entry
        name = owner(key)
        where = -1 if key == "" else place[name] if name else len(place)
        return where, key != name, position

    summary = []
    for _position, key in sorted(enumerate(errors), key=order):
        name = owner(key)
        summary.append((name, shown[name] if name else key, errors[key]))
    return summary


def error_map(errors, locale: str) -> dict[str, str]:
    """FieldErrors ('actions/0/carrier') -> {'actions.0.carrier': message}; '' = the whole form."""
    out: dict[str, str] = {}
    for error in errors:
        key = error.path.replace("/", ".")
        message = error.message(locale)
        out[key] = f"{out[key]} {message}" if key in out else message
    return out


def answer(item: Field, yes: str, no: str) -> str:
    """What a field holds, as the person who filled it in read it: the chosen option's label,
    yes or no, a date as dd/mm/yyyy, "" for nothing. Rows are read field by field (`item.rows`)."""
    value = item.value
    if value is None or value == "" or value == []:
        return ""
    if item.kind in ("boolean", "checkbox"):
        return yes if value is True or value == "true" else no if value is False or value == "false" else str(value)
    if item.kind in ("radio", "select", "person"):
        return next((o.label for o in item.options if o.value == str(value)), str(value))
    if item.kind == "persons":
        labels = {o.value: o.label for o in item.options}
        return ", ".join(labels.get(str(v), str(v)) for v in (value if isinstance(value, list) else [value]))
    if item.kind == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return str(value)
