"""Instants as integer microseconds since the Unix epoch, and sets of instants as spans.

The supervision figures ask whether something happened "in the 90 days up to today", "this
year" or "in the 365 days up to today", for any evaluation time (now, an as-of time, the end
of a target's due day). The fold keeps, per institution, the instants covered by such a
window as merged half-open spans [from, until): an inspection at t covers [t, t + 90 days),
so "inspected in the 90 days up to T" is "T lies in a span". Integers keep the boundaries
exact and never overflow at the ends of the calendar.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

Span = list[int | None]  # [from, until); until None: open-ended
MICROSECOND = timedelta(microseconds=1)
DAY = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OFFSET = 8 * 3_600_000_000  # Asia/Shanghai is UTC+8 all year (tuoyu.clock)


def instant(moment: datetime | str) -> int:
    """An aware date-time (or its RFC 3339 text) as microseconds since the epoch."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return (moment - _EPOCH) // MICROSECOND


def day_start(day: str) -> int:
    """00:00 of a YYYY-MM-DD date in Asia/Shanghai."""
    return (date.fromisoformat(day).toordinal() - date(1970, 1, 1).toordinal()) * DAY - _OFFSET


def day_last(day: str) -> int:
    """The last instant (23:59:59.999999) of a date in Asia/Shanghai: how kpis.md reads `due`."""
    return day_start(day) + DAY - 1


def shanghai_date(at: int) -> date:
    return date.fromordinal(date(1970, 1, 1).toordinal() + (at + _OFFSET) // DAY)


def year_start(at: int) -> int:
    """00:00 on 1 January (Asia/Shanghai) of the year `at` falls in."""
    return day_start(f"{shanghai_date(at).year:04d}-01-01")


def next_year_start(at: int) -> int:
    year = shanghai_date(at).year
    return day_start(f"{year + 1:04d}-01-01") if year < 9999 else day_last("9999-12-31") + 1


def covers(spans: list[Span], at: int) -> bool:
    return any(lo <= at and (hi is None or at < hi) for lo, hi in spans)  # type: ignore[operator]


def cover(spans: list[Span], lo: int, hi: int) -> None:
    """Add [lo, hi) to `spans` (sorted, disjoint), merging what it overlaps or touches."""
    merged: Span = [lo, hi]
    kept: list[Span] = []
    for span in spans:
        if span[1] is not None and span[1] < merged[0] or merged[1] is not None and merged[1] < span[0]:  # type: ignore[operator]
            kept.append(span)
            continue
        merged = [
            min(span[0], merged[0]),  # type: ignore[type-var]
            None if span[1] is None or merged[1] is None else max(span[1], merged[1]),
        ]
    kept.append(merged)
    kept.sort(key=lambda span: span[0])  # type: ignore[arg-type, return-value]
    spans[:] = kept
