"""Validation of events in the interchange format against the project's copy of the schema.

The schema is the one source of truth. Validation dispatches on `type` to that type's
definition, which gives a precise message ("unknown type", then field by field) and is
17 times cheaper than the schema's top-level `oneOf`. fastjsonschema (compiled code)
checks the common, valid case; jsonschema lists every problem when that check fails.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Any, Callable

import fastjsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from tuoyu.contracts import event_schema
from tuoyu.domain.catalogue import EVENT_TYPES

FieldProblem = tuple[str | None, str]  # (field path, message)

_DATE_FIELDS = ("rectify_by", "start", "due")
# RFC 3339 (JSON Schema's date-time and date formats); Python's fromisoformat alone also takes
# ISO week dates, basic forms, trailing characters, times without seconds and +0800 offsets.
_RFC3339_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII)
_RFC3339_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _definition(event_type: str) -> dict[str, Any]:
    schema = event_schema()
    return {"$ref": f"#/$defs/{event_type}", "$defs": schema["$defs"]}


@cache
def _fast_check(event_type: str) -> Callable[[Any], Any]:
    # Formats are checked by parse_time below, which also normalises them.
    return fastjsonschema.compile(_definition(event_type), formats={"date-time": r".*", "date": r".*"})


@cache
def _full_check(event_type: str) -> Draft202012Validator:
    return Draft202012Validator(_definition(event_type))


def problems_of(event: Any) -> list[FieldProblem]:
    """Every way `event` breaks the interchange format; empty when it is valid."""
    if not isinstance(event, dict):
        return [(None, f"an event must be a JSON object, got {_json_type(event)}")]
    event_type = event.get("type")
    if event_type not in EVENT_TYPES:
        shown = "missing" if event_type is None else repr(event_type)
        return [("type", f"unknown event type {shown}; allowed: {', '.join(EVENT_TYPES)}")]
    try:
        _fast_check(event_type)(event)
    except fastjsonschema.JsonSchemaValueException:
        found = sorted(_full_check(event_type).iter_errors(event), key=lambda e: list(e.absolute_path))
        return [_describe(e, event_type) for e in _leaves(found)] + _time_problems(event)
    return _time_problems(event)


@cache
def _integer_fields(event_type: str) -> tuple[str, ...]:
    properties = event_schema()["$defs"][event_type]["properties"]
    return tuple(name for name, spec in properties.items() if spec.get("type") == "integer")


def normalised(event: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema counts 2.0 as an integer; store it as 2 so sums stay integers."""
    floats = [n for n in _integer_fields(event["type"]) if isinstance(event.get(n), float)]
    return {**event, **{n: int(event[n]) for n in floats}} if floats else event


def _leaves(errors: list[ValidationError]) -> list[ValidationError]:
    # A failed anyOf (TargetSet.scope) reports its branches as context; the top error is clearer.
    return errors


def _describe(error: ValidationError, event_type: str) -> FieldProblem:
    path = ".".join(str(p) for p in error.absolute_path) or None
    keyword, expected = error.validator, error.validator_value
    if keyword == "required":
        missing = error.message.split("'")[1]
        field = f"{path}.{missing}" if path else missing
        return field, f"is required by {event_type}"
    if keyword == "additionalProperties":
        allowed = ", ".join(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        field = ".".join(filter(None, [path, extra[0] if extra else None]))
        return field, f"is not a field of {event_type if not path else path}; allowed fields: {allowed}"
    if keyword == "enum":
        return path, f"{error.instance!r} is not allowed; allowed values: {', '.join(map(str, expected))}"
    if keyword == "const":
        return path, f"must be {expected!r}"
    if keyword == "type":
        return path, f"must be {_article(expected)}, got {_json_type(error.instance)} {error.instance!r}"
    if keyword in ("minimum", "maximum"):
        bound = "at least" if keyword == "minimum" else "at most"
        return path, f"{error.instance!r} is out of range; must be {bound} {expected}"
    if keyword in ("minLength", "maxLength"):
        bound = "at least" if keyword == "minLength" else "at most"
        return path, f"is {len(error.instance)} characters long; must be {bound} {expected}"
    if keyword == "pattern":
        return path, f"{error.instance!r} does not match the allowed pattern {expected}"
    if keyword == "anyOf" and path == "scope":
        from tuoyu.domain.catalogue import TOWNSHIP_IDS

        return path, f"{error.instance!r} is not allowed; allowed values: district, {', '.join(TOWNSHIP_IDS)}"
    return path, error.message


def _time_problems(event: dict[str, Any]) -> list[FieldProblem]:
    found: list[FieldProblem] = []
    if isinstance(event.get("occurred_at"), str) and parse_time(event["occurred_at"]) is None:
        found.append(("occurred_at", f"{event['occurred_at']!r} is not a date-time with a UTC offset, "
                                     "e.g. 2024-03-05T10:30:00+08:00"))
    for name in _DATE_FIELDS:
        value = event.get(name)
        if isinstance(value, str) and parse_date(value) is None:
            found.append((name, f"{value!r} is not a date in the form YYYY-MM-DD"))
    return found


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 date-time with an offset, or None."""
    if not _RFC3339_TIME.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def parse_date(text: str) -> date | None:
    if not _RFC3339_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _article(expected: Any) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join({"integer": "an integer", "number": "a number", "string": "a string",
                        "boolean": "true or false", "object": "an object", "array": "an array"}.get(n, n)
                       for n in names)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
