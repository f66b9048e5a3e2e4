"""How the report writes numbers, dates and times (fixed formats: the same figures, the same bytes)."""

from __future__ import annotations

from datetime import date, datetime, time

from tuoyu.projections.facts import SHANGHAI
from tuoyu.report.labels import DECIMAL_KPIS, PERCENT_KPIS

NONE = "—"


def count(value: float | None) -> str:
    if value is None:
        return NONE
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def percent(value: float | None) -> str:
    return NONE if value is None else f"{value * 100:.1f}%"


def decimal(value: float | None, places: int = 2) -> str:
    return NONE if value is None else f"{value:.{places}f}"


def money(value: float | None) -> str:
    return NONE if value is None else f"{value:.0f}元"


def kpi_value(kpi: str, value: float | None) -> str:
    """A target's figure as its kpi reads: shares in per cent, slots per 1,000 with two decimals."""
    if kpi in PERCENT_KPIS:
        return percent(value)
    if kpi in DECIMAL_KPIS:
        return decimal(value)
    return count(value)


def day(text: str | date | None) -> str:
    """2024年12月31日, from a date or the date part of a timestamp (read in Asia/Shanghai)."""
    if text is None:
        return NONE
    if isinstance(text, str):
        text = date.fromisoformat(text) if len(text) == 10 else _shanghai(text).date()
    return f"{text.year}年{text.month}月{text.day}日"


def short_day(text: str | None) -> str:
    """2024.12.31: a date in a table (from a date or a timestamp, read in Asia/Shanghai)."""
    if text is None:
        return NONE
    when = date.fromisoformat(text) if len(text) == 10 else _shanghai(text).date()
    return f"{when.year}.{when.month}.{when.day}"


def moment(when: datetime) -> str:
    """A business or knowledge time: the date alone when it is the end of a day (how a bare date
    on the command line is read), else the date and the minute, Beijing time."""
    local = when.astimezone(SHANGHAI)
    if ends_a_day(local):
        return day(local.date())
    return f"{day(local.date())} {local:%H:%M}" + (f":{local:%S}" if local.second else "")


def ends_a_day(when: datetime) -> bool:
    """Whether `when` is the last instant of its day in Beijing (a bare date as-of or known-at)."""
    return when.astimezone(SHANGHAI).time() == time.max  # compared, not stepped past: 9999-12-31 ends too


def _shanghai(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp).astimezone(SHANGHAI)
