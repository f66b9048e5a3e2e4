"""The one form in which accepted times, dates and text are stored.

Every reader (the folds, replay, audit, metrics, the map) parses what the boundary stored,
so the boundary stores one form: RFC 3339 with an upper-case `T` and `Z`, within years that
every reader converts safely, and text without characters that hide or reorder what people
read. Stores written before these checks may hold other forms; `time_on_read` and
`date_on_read` bring such values into range where facts are read (docs/decisions.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from tuoyu.clock import SHANGHAI
from tuoyu.contracts import event_schema

# The years a stored time or date may fall in: in its written offset, in UTC and in
# Asia/Shanghai. Python's datetime holds years 1 to 9999 only, so 0001-01-01T00:00:00+09:00
# (year 0 in UTC) or a due date of 9999-12-31 (whose end is in year 10000) break readers;
# nothing in a childcare plan happens outside these years.
FIRST_YEAR, LAST_YEAR = 1900, 2999
EARLIEST_TIME = f"{FIRST_YEAR}-01-01T00:00:00+08:00"
LATEST_TIME = f"{LAST_YEAR}-12-31T23:59:59+08:00"
EARLIEST_DATE, LATEST_DATE = f"{FIRST_YEAR}-01-01", f"{LAST_YEAR}-12-31"
_INNER_YEARS = (f"{FIRST_YEAR + 1}", f"{LAST_YEAR - 1}")  # a time of these years is in range in any offset

# RFC 3339 (JSON Schema's date-time and date formats); Python's fromisoformat alone also takes
# ISO week dates, basic forms, trailing characters, times without seconds and +0800 offsets.
_RFC3339_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII)
_RFC3339_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)

# Bidirectional controls reorder what follows them (U+202E shows "abc" as "cba"): a name on
# the public map could read as something else. Zero-width joiners (U+200C, U+200D) are kept:
# some scripts and emoji sequences need them, and they reorder nothing.
_KEPT_FORMAT_CHARACTERS = frozenset("\u200c\u200d")
_LINE_BREAKS = frozenset("\n\t")


def canonical_time(text: str) -> str:
    """An RFC 3339 date-time as stored: upper-case T and Z (RFC 3339 allows lower case, but
    Python's fromisoformat and many other readers refuse a lower-case z)."""
    return text.upper() if ("t" in text or "z" in text) else text


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 date-time with an offset, or None (any case of T and Z; no range check)."""
    if not _RFC3339_TIME.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(canonical_time(text))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def parse_date(text: str) -> date | None:
    """A date in the form YYYY-MM-DD, or None (no range check)."""
    if not _RFC3339_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def time_in_range(moment: datetime) -> bool:
    """Whether the time falls within FIRST_YEAR..LAST_YEAR as written, in UTC and in Asia/Shanghai."""
    if FIRST_YEAR < moment.year < LAST_YEAR:
        return True  # an offset moves a time by less than a day: it stays within the range
    try:
        years = (moment.year, moment.astimezone(UTC).year, moment.astimezone(SHANGHAI).year)
    except OverflowError:
        return False
    return all(FIRST_YEAR <= year <= LAST_YEAR for year in years)


def date_in_range(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def time_on_read(text: str) -> str:
    """A stored time in the stored form: a store written before the boundary checked the case
    and the range may hold `z` or a year no reader converts. Out-of-range times are read as the
    nearest end of the range, which keeps their order against every time the platform accepts."""
    if text[10:11] == "T" and text[-1:] != "z" and _INNER_YEARS[0] <= text[:4] <= _INNER_YEARS[1]:
        return text  # the common case, decided without parsing
    moment = parse_time(text)
    if moment is None:
        return text  # not a time at all: left for the reader to report with its position
    if time_in_range(moment):
        return canonical_time(text)
    return EARLIEST_TIME if moment.year <= FIRST_YEAR else LATEST_TIME


def date_on_read(text: str) -> str:
    """A stored date in range (see time_on_read)."""
    if EARLIEST_DATE <= text <= LATEST_DATE or parse_date(text) is None:
        return text
    return EARLIEST_DATE if text < EARLIEST_DATE else LATEST_DATE


def unsafe_character(text: str, multiline: bool = False) -> str | None:
    """Why `text` may not be stored (a control character, a bidirectional override, …), or None.
    Multi-line free text may hold line breaks and tabs."""
    if text.isprintable():  # the common case: no Other or Separator characters but spaces
        return None
    for index, character in enumerate(text):
        if character.isprintable() or character in _KEPT_FORMAT_CHARACTERS:
            continue
        if unicodedata.category(character) in ("Zs", "Co", "Cn"):
            continue  # spaces (U+3000 in Chinese text), private use, unassigned: shown as they are
        if multiline and character in _LINE_BREAKS:
            continue
        name = unicodedata.name(character, "a control character")
        return (
            f"holds U+{ord(character):04X} ({name}) at character {index + 1}; names and text may not hold "
            "control characters or bidirectional controls, which hide or reorder what people read"
        )
    return None


@cache
def time_fields(event_type: str) -> tuple[str, ...]:
    """The fields of an event type that hold a date-time (occurred_at, and any the contract adds)."""
    return _fields_in_format(event_type, "date-time")


@cache
def date_fields(event_type: str) -> tuple[str, ...]:
    """The fields of an event type that hold a date (rectify_by, start, due, …)."""
    return _fields_in_format(event_type, "date")


def _fields_in_format(event_type: str, wanted: str) -> tuple[str, ...]:
    definitions = event_schema()["$defs"]
    properties = definitions.get(event_type, {}).get("properties", {})
    found = []
    for name, spec in properties.items():
        if "$ref" in spec:
            spec = definitions.get(spec["$ref"].rsplit("/", 1)[-1], {})
        if spec.get("format") == wanted:
            found.append(name)
    return tuple(found)


def readable(event: dict[str, Any]) -> dict[str, Any]:
    """A stored event with its times and dates in the stored form (updated in place): what
    every reader of a store written before the boundary checks needs (docs/decisions.md).
    Every fact of every replay comes through here: the common case is decided inline."""
    value = event.get("occurred_at")
    if type(value) is str and not (
        value[10:11] == "T" and value[-1:] != "z" and _INNER_YEARS[0] <= value[:4] <= _INNER_YEARS[1]
    ):
        event["occurred_at"] = time_on_read(value)
    kind = event.get("type")
    for name, on_read in _other_fields().get(kind, ()) if type(kind) is str else ():
        value = event.get(name)
        if type(value) is str:
            event[name] = on_read(value)
    if kind == "AlertNotified":
        _alert_times_as_text(event)
    return event


def _alert_times_as_text(event: dict[str, Any]) -> None:
    """The webhook once took any JSON as an alert's startsAt and endsAt (`startsAt: 5`), and the
    on-call list sorts them as text: a stored non-text time is read as its text."""
    for name in ("starts_at", "ends_at"):
        value = event.get(name)
        if value is not None and type(value) is not str:
            event[name] = str(value)


@cache
def _other_fields() -> dict[str, tuple[tuple[str, Callable[[str], str]], ...]]:
    """Per event type, its times other than occurred_at and its dates, each with how to read it."""
    found: dict[str, tuple[tuple[str, Callable[[str], str]], ...]] = {}
    for event_type in event_schema()["$defs"]:
        fields = (
            *((n, time_on_read) for n in time_fields(event_type) if n != "occurred_at"),
            *((n, date_on_read) for n in date_fields(event_type)),
        )
        if fields:
            found[event_type] = fields
    return found
