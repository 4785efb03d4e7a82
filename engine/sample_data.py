"""Pure: the smallest answers a JSON Schema form accepts, for dry runs. No database.

Required fields only, the first choice of every list, minimum numbers, the shortest texts,
`minItems` items. Good enough to walk a process; never shown to anyone as real data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import jsonschema

_MAX_DEPTH = 12


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 20:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            return {}
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
    return schema


def _string(schema: dict[str, Any], today: dt.date) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return today.isoformat()
    if fmt == "date-time":
        return dt.datetime.combine(today, dt.time(9, 0), tzinfo=dt.UTC).isoformat()
    if fmt == "email":
        return "dry-run@example.org"
    if fmt in ("uri", "url"):
        return "https://example.org/"
    length = max(int(schema.get("minLength", 1) or 0), 1)
    return ("dry run " * (length // 8 + 1))[:length] if length > 7 else "x" * length


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    low = schema.get("minimum")
    if low is None and "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + (1 if integer else 0.5)
    value = low if low is not None else 0
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if high is not None and value > high:
        value = high
    return int(value) if integer else value


def _merge(a: Any, b: Any) -> dict[str, Any]:
    a, b = (a if isinstance(a, dict) else {}), (b if isinstance(b, dict) else {})
    properties = {**(a.get("properties") or {})}
    for name, sub in (b.get("properties") or {}).items():
        properties[name] = {**properties.get(name, {}), **sub} if isinstance(sub, dict) else sub
    return {**a, **b, "properties": properties,
            "required": list(dict.fromkeys(list(a.get("required", [])) + list(b.get("required", []))))}


def _array(schema: dict[str, Any], root: dict[str, Any], today: dt.date, depth: int) -> list[Any]:
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    count = int(schema.get("minItems", 0) or 0)
    values = [sample(items, root, today, depth + 1) for _ in range(count)]
    contains = schema.get("contains")
    if isinstance(contains, dict):
        wanted = int(schema.get("minContains", 1) or 1)
        both = _merge(_resolve(items, root), _resolve(contains, root))
        values = [sample(both, root, today, depth + 1) for _ in range(wanted)] + values[wanted:]
    return values


def sample(schema: Any, root: dict[str, Any] | None = None, today: dt.date | None = None, depth: int = 0) -> Any:
    """The smallest value `schema` accepts, as far as a simple walk can tell."""
    root = root if root is not None else (schema if isinstance(schema, dict) else {})
    today = today or dt.date(2026, 3, 2)
    schema = _resolve(schema, root)
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return sample({**{k: v for k, v in schema.items() if k != key}, **schema[key][0]}, root, today, depth + 1)
    if isinstance(schema.get("allOf"), list):
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            part = _resolve(part, root)
            merged = _merge(merged, part)
        return sample(merged, root, today, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        return {name: sample(properties.get(name, {}), root, today, depth + 1)
                for name in schema.get("required") or [] if isinstance(name, str)}
    if kind == "array":
        return _array(schema, root, today, depth)
    if kind == "string":
        return _string(schema, today)
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer")
    if kind == "boolean":
        return False
    return None


def answers(schema: dict[str, Any], preferred: dict[str, Any] | None = None,
            today: dt.date | None = None) -> tuple[dict[str, Any], list[str]]:
    """Sample answers for a form, with `preferred` values where the form accepts them.

    Returns (answers, errors): `errors` lists what the form still refuses (empty when valid).
    """
    base = sample(schema, schema, today)
    base = base if isinstance(base, dict) else {}
    validator = jsonschema.Draft202012Validator(schema)
    properties = schema.get("properties") or {}
    for name, value in (preferred or {}).items():
        if name in properties:
            candidate = {**base, name: value}
            if not any(list(e.absolute_path)[:1] == [name] for e in validator.iter_errors(candidate)):
                base = candidate
    errors = [f"{'/'.join(str(p) for p in e.absolute_path) or '(form)'}: {e.message}"
              for e in validator.iter_errors(base)]
    return base, errors[:5]
