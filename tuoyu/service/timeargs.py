"""Reading the times people type on the command line (and in query strings)."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from tuoyu.domain.schema import parse_date
from tuoyu.projections.facts import SHANGHAI


def parse_moment(text: str, name: str) -> datetime:
    """A date-time with offset; a naive one is read in Asia/Shanghai; a bare date means the end
    of that day (as kpis.md reads a `due` date)."""
    day = parse_date(text)
    if day is not None:
        return datetime.combine(day, time.min, SHANGHAI) + timedelta(days=1, microseconds=-1)
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a date (2024-12-31) or a date-time "
                         "(2024-12-31T18:00:00+08:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def bounded_moment(text: str, name: str) -> datetime:
    """parse_moment, refusing moments that leave years 1 to 9999 in UTC or in Shanghai
    (0001-01-01T00:00:00+14:00): a snapshot converts them both ways and would overflow."""
    moment = parse_moment(text, name)
    try:
        moment.astimezone(timezone.utc), moment.astimezone(SHANGHAI)
    except OverflowError:
        raise ValueError(f"{name} {text!r} is out of range: it must fall within the years 0001 to 9999 "
                         "in UTC and in Asia/Shanghai") from None
    return moment
