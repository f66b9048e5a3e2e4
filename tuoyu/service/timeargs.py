"""Reading the times people type on the command line (and in query strings).

A date means the end of that day, in Asia/Shanghai (as kpis.md reads a `due` date), written
2024-09-30 or compactly 20240930: both mean the same day. A date-time is written in the
extended form (2024-09-30T18:00:00+08:00; without an offset, in Asia/Shanghai). The other
forms Python's fromisoformat takes (20240930T1800, 2024-W40-1, 2024-274) are refused with a
message rather than read in a way the reader did not mean.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from tuoyu.domain.canonical import canonical_time
from tuoyu.projections.facts import SHANGHAI

_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})", re.ASCII)
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?", re.ASCII)


def parse_moment(text: str, name: str) -> datetime:
    """A date (the end of that day, Asia/Shanghai) or a date-time (naive: in Asia/Shanghai),
    within the years 0001 to 9999 in UTC and in Asia/Shanghai; ValueError names `name`."""
    moment = _end_of_day(text) if _DATE.fullmatch(text) else _date_time(text)
    if moment is None:
        raise ValueError(
            f"{name} {text!r} is not a date (2024-12-31, or 20241231) or a date-time (2024-12-31T18:00:00+08:00)"
        )
    try:
        # A snapshot converts the moment both ways: 0001-01-01T00:00:00+14:00 would overflow.
        moment.astimezone(UTC), moment.astimezone(SHANGHAI)
    except OverflowError:
        raise ValueError(
            f"{name} {text!r} is out of range: it must fall within the years 0001 to 9999 in UTC and in Asia/Shanghai"
        ) from None
    return moment


# The API's name for it (every reading is bounded now, on the command line too).
bounded_moment = parse_moment


def _end_of_day(text: str) -> datetime | None:
    if text.count("-") not in (0, 2):
        return None  # 2024-0930 is neither form
    year, month, day = (int(part) for part in _DATE.fullmatch(text).groups())  # type: ignore[union-attr]
    try:
        start = datetime.combine(date(year, month, day), time.min, SHANGHAI)
        return start + timedelta(days=1, microseconds=-1)
    except (ValueError, OverflowError):
        return None


def _date_time(text: str) -> datetime | None:
    if not _DATE_TIME.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(canonical_time(text))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
