"""Working hours in China: weekdays, less public holidays, plus make-up working days (调休).

Alertmanager's time intervals know weekdays but not China's calendar, which the State Council
publishes each year. The dates come from the chinesecalendar package (pinned in pyproject.toml)
for the years the tunables list; `tuoyu generate` writes them into the routes, so the calendar is
renewed by upgrading the package, adding the year and regenerating.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chinese_calendar import constants

from tuoyu.alerts.config import ConfigProblem, WorkingHours


def _known_years() -> set[int]:
    return {day.year for day in constants.holidays}


def public_holidays(years: list[int]) -> list[date]:
    """Holidays that fall on a weekday (weekends are outside working hours anyway)."""
    _check(years)
    return sorted(day for day in constants.holidays if day.year in years and day.weekday() < 5)


def make_up_working_days(years: list[int]) -> list[date]:
    """Weekend days worked in exchange for a holiday (调休上班)."""
    _check(years)
    return sorted(day for day in constants.workdays if day.year in years)


def _check(years: list[int]) -> None:
    unknown = sorted(set(years) - _known_years())
    if unknown:
        raise ConfigProblem(
            f"alertmanager.working_hours.holiday_years: {unknown[0]} is not in the chinesecalendar "
            f"package's calendar (it knows {min(_known_years())} to {max(_known_years())}); "
            "upgrade the package once the State Council has published that year"
        )


def _on(day: date, location: str, times: list[dict[str, str]] | None = None) -> dict[str, Any]:
    interval: dict[str, Any] = {
        "years": [str(day.year)],
        "months": [str(day.month)],
        "days_of_month": [str(day.day)],
        "location": location,
    }
    if times:
        interval["times"] = times
    return interval


def time_intervals(hours: WorkingHours) -> list[dict[str, Any]]:
    """Alertmanager's `time_intervals`: `working-hours` (active) and `public-holidays` (muted)."""
    times = [{"start_time": t.start_time, "end_time": t.end_time} for t in hours.times]
    working = [{"weekdays": hours.weekdays, "times": times, "location": hours.location}]
    working += [_on(day, hours.location, times) for day in make_up_working_days(hours.holiday_years)]
    holidays = [_on(day, hours.location) for day in public_holidays(hours.holiday_years)]
    return [
        {"name": "working-hours", "time_intervals": working},
        {"name": "public-holidays", "time_intervals": holidays},
    ]
