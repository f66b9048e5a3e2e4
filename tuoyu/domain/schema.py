"""Validation of events in the interchange format against the project's copy of the schema.

The schema is the one source of truth. Validation dispatches on `type` to that type's
definition, which gives a precise message ("unknown type", then field by field) and is
17 times cheaper than the schema's top-level `oneOf`. fastjsonschema (compiled code)
checks the common, valid case; jsonschema lists every problem when that check fails.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from functools import cache
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from tuoyu.contracts import event_schema
from tuoyu.domain.canonical import (
    FIRST_YEAR,
    LAST_YEAR,
    canonical_time,
    date_fields,
    date_in_range,
    parse_date,
    parse_time,
    time_fields,
    time_in_range,
    unsafe_character,
)
from tuoyu.domain.catalogue import EVENT_TYPES
from tuoyu.domain.limits import MAX_DEPTH, deeper_than, too_deep
from tuoyu.domain.patterns import contract_pattern, python_patterns

__all__ = ["FieldProblem", "normalised", "parse_date", "parse_time", "problems_of"]

FieldProblem = tuple[str | None, str]  # (field path, message)

# Free text that may run over several lines; every other string is a name or a code.
_MULTILINE_FIELDS = frozenset({"note", "reason", "text"})


def _short_repr() -> Callable[[Any], str]:
    """repr() cut short: a message must not repeat a 10 MB value (Repr takes no arguments before 3.12)."""
    shortened = reprlib.Repr()
    shortened.maxlevel, shortened.maxstring, shortened.maxother = 2, 200, 200
    shortened.maxlist = shortened.maxdict = 4
    return shortened.repr


_quoted = _short_repr()


def _definition(event_type: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{event_type}", "$defs": python_patterns(event_schema()["$defs"])}


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
        shown = "missing" if event_type is None else _quoted(event_type)
        return [("type", f"unknown event type {shown}; allowed: {', '.join(EVENT_TYPES)}")]
    try:
        _fast_check(event_type)(event)
    except fastjsonschema.JsonSchemaValueException:
        if deeper_than(event, MAX_DEPTH):  # before jsonschema, whose messages repr() the value
            return [(None, too_deep("the event"))]
        found = sorted(_full_check(event_type).iter_errors(event), key=lambda e: list(e.absolute_path))
        described = [_describe(e, event_type) for e in _leaves(found)]
        reported = {field for field, _ in described}
        return described + [p for p in _value_problems(event) if p[0] not in reported]
    return _value_problems(event)


@cache
def _integer_fields(event_type: str) -> tuple[str, ...]:
    properties = event_schema()["$defs"][event_type]["properties"]
    return tuple(name for name, spec in properties.items() if spec.get("type") == "integer")


def normalised(event: dict[str, Any]) -> dict[str, Any]:
    """The valid event in the one form every reader parses: JSON Schema counts 2.0 as an
    integer, stored as 2 so sums stay integers; times with an upper-case T and Z."""
    changes: dict[str, Any] = {
        n: int(event[n]) for n in _integer_fields(event["type"]) if isinstance(event.get(n), float)
    }
    for name in time_fields(event["type"]):
        if isinstance(event.get(name), str) and canonical_time(event[name]) != event[name]:
            changes[name] = canonical_time(event[name])
    return {**event, **changes} if changes else event


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
        return path, f"{_quoted(error.instance)} is not allowed; allowed values: {', '.join(map(str, expected))}"
    if keyword == "const":
        return path, f"must be {expected!r}"
    if keyword == "type":
        return path, f"must be {_article(expected)}, got {_json_type(error.instance)} {_quoted(error.instance)}"
    if keyword in ("minimum", "maximum"):
        bound = "at least" if keyword == "minimum" else "at most"
        return path, f"{_quoted(error.instance)} is out of range; must be {bound} {expected}"
    if keyword in ("minLength", "maxLength"):
        bound = "at least" if keyword == "minLength" else "at most"
        return path, f"is {len(error.instance)} characters long; must be {bound} {expected}"
    if keyword == "pattern":
        return path, f"{_quoted(error.instance)} does not match the allowed pattern {contract_pattern(expected)}"
    if keyword == "anyOf" and path == "scope":
        from tuoyu.domain.catalogue import TOWNSHIP_IDS

        return path, f"{_quoted(error.instance)} is not allowed; allowed values: district, {', '.join(TOWNSHIP_IDS)}"
    return path, error.message


def _value_problems(event: dict[str, Any]) -> list[FieldProblem]:
    """What the schema's formats and types leave open: times, dates and text every reader can take."""
    return _time_problems(event) + _text_problems(event)


def _time_problems(event: dict[str, Any]) -> list[FieldProblem]:
    found: list[FieldProblem] = []
    years = f"the years {FIRST_YEAR} to {LAST_YEAR}"
    for name in time_fields(event["type"]):
        value = event.get(name)
        if not isinstance(value, str):
            continue
        moment = parse_time(value)
        if moment is None:
            found.append(
                (name, f"{_quoted(value)} is not a date-time with a UTC offset, e.g. 2024-03-05T10:30:00+08:00")
            )
        elif not time_in_range(moment):
            found.append(
                (
                    name,
                    f"{value!r} is out of range: it must fall within {years}, as written, in UTC and in Asia/Shanghai",
                )
            )
    for name in date_fields(event["type"]):
        value = event.get(name)
        if not isinstance(value, str):
            continue
        day = parse_date(value)
        if day is None:
            found.append((name, f"{_quoted(value)} is not a date in the form YYYY-MM-DD"))
        elif not date_in_range(day):
            found.append((name, f"{value!r} is out of range: it must fall within {years}"))
    return found


def _printable(value: Any) -> bool:
    """Whether every string in `value` is printable (the common case, checked without paths).
    Called on events of bounded depth only: valid ones, or ones checked by deeper_than."""
    if type(value) is str:
        return value.isprintable()
    if type(value) is dict:
        value = value.values()
    elif type(value) is not list:
        return True
    for item in value:
        if not _printable(item):
            return False
    return True


def _text_problems(event: dict[str, Any]) -> list[FieldProblem]:
    if _printable(event):
        return []
    found: list[FieldProblem] = []
    stack: list[tuple[str, Any]] = [(str(k), v) for k, v in event.items()]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            why = unsafe_character(value, multiline=path.rsplit(".", 1)[-1] in _MULTILINE_FIELDS)
            if why:
                found.append((path, why))
        elif isinstance(value, dict):
            stack.extend((f"{path}.{k}", v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}.{n}", v) for n, v in enumerate(value))
    return sorted(found)


def _article(expected: Any) -> str:
    names: list[str] = expected if isinstance(expected, list) else [expected]
    return " or ".join(
        {
            "integer": "an integer",
            "number": "a number",
            "string": "a string",
            "boolean": "true or false",
            "object": "an object",
            "array": "an array",
        }.get(n, n)
        for n in names
    )


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
