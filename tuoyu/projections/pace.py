"""Since when a target has been behind its straight line: the "since" timestamp TargetBehindPace
compares with its threshold (one day), instead of a `for: 1d` that a missed scrape or a restart
of Prometheus would reset.

A target's actual changes only at known instants: the days with recorded changes of a scope's
quantities (slots, staff, covered townships), training and guidance days, population reports,
and the edges of the institutions' inspection spans (a visit counts to the end of its year, an
assessment for 365 days, an institution while it operates). Between two of them the actual is
constant while the expected value moves on its straight line. So, walking back from now over
those instants: in each stretch the target is behind from the moment the line passed the
stretch's actual; the first stretch not behind from its start ends the walk. The actual of a
stretch is asked for lazily (targets.kpi_at: the same code that judges the target), most recent
first, so a walk that stops early reads little.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from tuoyu.projections.fold import Part
from tuoyu.projections.moments import day_last, day_start

# Level kpis read from the daily deltas of the scope's parts.
FROM_HISTORY = frozenset(
    {
        "slots_total",
        "township_min_slots",
        "new_slots",
        "new_inclusive_slots",
        "kindergarten_new_inclusive_slots",
        "inclusive_share",
        "certified_share",
    }
)
COURSE_OF = {"heads_trained": "head", "caregivers_trained": "caregiver"}
SPAN_KEYS = ("spans", "visits", "assessed")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def as_datetime(at: int) -> datetime:
    """An instant (microseconds since the epoch) as an aware date-time."""
    return _EPOCH + timedelta(microseconds=at)


def _days(days: Iterable[str], begin: int, now: int) -> set[int]:
    return {at for at in map(day_start, days) if begin < at <= now}


def change_moments(kpi: str, parts: list[Part], own: Part, townships: list[Part], start: str, now: int) -> list[int]:
    """The instants in [00:00 of `start`, `now`] at which the kpi's actual may change, ascending,
    the start first (a superset is harmless: a stretch may simply repeat its predecessor's value)."""
    begin = day_start(start)
    if kpi in FROM_HISTORY:
        found = _days((day for part in parts for day in part["history"]), begin, now)
    elif kpi == "inclusive_coverage":
        found = _days((day for part in townships for day in part["history"]), begin, now)
    elif kpi == "slots_per_1000":
        found = _days((day for part in parts for day in part["history"]), begin, now)
        found |= {report[3] for report in own["population"] if begin < report[3] <= now}
    elif kpi in COURSE_OF:
        found = _days((day for part in parts for day in part["training"].get(COURSE_OF[kpi], {})), begin, now)
    elif kpi == "offline_guidance_activities":
        found = _days((day for part in parts for day, counts in part["guidance_days"].items() if counts[0]), begin, now)
    elif kpi in ("inspected_share", "assessed_share"):
        found = {
            edge
            for part in parts
            for inst in part["institutions"].values()
            for key in SPAN_KEYS
            for span in inst[key]
            for edge in span
            if edge is not None and begin < edge <= now
        }
    else:
        raise ValueError(f"no rule for the pace of kpi {kpi}")
    return [begin, *sorted(found)]


def behind_since(target: dict[str, Any], moments: list[int], actual_at: Callable[[int], float], now: int) -> int | None:
    """The instant from which `target` (evaluated, status "behind") has been behind without a
    break. `moments`: change_moments; `actual_at(moment)`: the actual from that moment on."""
    if target["status"] != "behind":
        return None
    begin, end_of_due = day_start(target["start"]), day_last(target["due"]) + 1
    span = end_of_due - begin
    baseline, value = target["baseline"], target["value"]

    def expected(at: int) -> float:
        return baseline + (value - baseline) * min(1.0, max(0.0, (at - begin) / span))

    end = since = now
    for moment in reversed(moments):
        low = max(moment, begin)
        if low >= end:
            continue
        actual = actual_at(moment)
        if value > baseline:  # the line rises: behind from where it passed `actual`
            crossing = begin + span * (actual - baseline) / (value - baseline)
            since = min(end, max(low, math.ceil(crossing)))
            if since > low:
                break
        elif actual < min(expected(low), expected(end)):
            since = low
        else:
            break
        if low <= begin:
            break
        end = low
    return min(since, now)
