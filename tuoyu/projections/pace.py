"""Since when a target has been behind its straight line: the "since" timestamp TargetBehindPace
compares with its threshold (one day), instead of a `for: 1d` that a missed scrape or a restart
of Prometheus would reset.

The actual of a target changes only on days with recorded changes (the part's daily deltas, or
training days); between two such days it is constant while the expected value moves on its
straight line. So, walking back from now over those days: in each stretch the target is behind
from the moment the line passed the stretch's actual; the first stretch not behind from its
start ends the walk.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tuoyu.domain.catalogue import TOWNSHIP_IDS
from tuoyu.projections.facts import day_end, day_start
from tuoyu.projections.fold import CAREGIVERS, CERTIFIED, INCLUSIVE_POINTS, INCLUSIVE_SLOTS, SLOTS, Part

COURSE_OF = {"heads_trained": "head", "caregivers_trained": "caregiver"}
Steps = list[tuple[str, float]]  # (day the actual took this value, the value), in day order


def _share(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def _history_steps(kpi: str, parts: list[Part], start: str, today: str) -> Steps:
    """The actual after each day of changes, for kpis read from the daily deltas."""
    deltas: dict[str, list[int]] = {}
    for part in parts:
        for day, delta in part["history"].items():
            if day <= today:
                total = deltas.setdefault(day, [0, 0, 0, 0, 0])
                for i in range(5):
                    total[i] += delta[i]
    running, before_start, steps = [0, 0, 0, 0, 0], 0, [("", 0.0)]
    for day in sorted(deltas):
        if day < start:
            before_start += deltas[day][SLOTS]
        running = [a + b for a, b in zip(running, deltas[day])]
        value = {"slots_total": running[SLOTS], "township_min_slots": running[SLOTS],
                 "new_slots": running[SLOTS] - before_start,
                 "inclusive_share": _share(running[INCLUSIVE_SLOTS], running[SLOTS]),
                 "certified_share": _share(running[CERTIFIED], running[CAREGIVERS])}[kpi]
        steps.append((day, float(value)))
    return steps


def _coverage_steps(townships: list[Part], today: str) -> Steps:
    points: dict[str, list[tuple[int, int]]] = {}
    for n, part in enumerate(townships):
        for day, delta in part["history"].items():
            if day <= today and delta[INCLUSIVE_POINTS]:
                points.setdefault(day, []).append((n, delta[INCLUSIVE_POINTS]))
    running, steps = [0] * len(townships), [("", 0.0)]
    for day in sorted(points):
        for n, change in points[day]:
            running[n] += change
        steps.append((day, round(sum(1 for r in running if r > 0) / len(TOWNSHIP_IDS), 4)))
    return steps


def _training_steps(course: str, parts: list[Part], start: str, today: str) -> Steps:
    days: dict[str, int] = {}
    for part in parts:
        for day, people in part["training"].get(course, {}).items():
            if start <= day <= today:
                days[day] = days.get(day, 0) + people
    total, steps = 0, [("", 0.0)]
    for day in sorted(days):
        total += days[day]
        steps.append((day, float(total)))
    return steps


def actual_steps(kpi: str, scope_parts: list[Part], township_parts: list[Part], start: str, today: str) -> Steps:
    if kpi == "inclusive_coverage":
        return _coverage_steps(township_parts, today)
    if kpi in COURSE_OF:
        return _training_steps(COURSE_OF[kpi], scope_parts, start, today)
    return _history_steps(kpi, scope_parts, start, today)


def behind_since(target: dict[str, Any], steps: Steps, now: datetime) -> datetime | None:
    """The moment from which `target` (evaluated, status "behind") has been behind without a break."""
    if target["status"] != "behind":
        return None
    begin, end_of_due = day_start(target["start"]), day_end(target["due"])
    span = (end_of_due - begin).total_seconds()
    baseline, value = target["baseline"], target["value"]

    def expected(moment: datetime) -> float:
        fraction = min(1.0, max(0.0, (moment - begin).total_seconds() / span)) if span > 0 else 1.0
        return baseline + (value - baseline) * fraction

    end, since = now, now
    for day, actual in reversed(steps):
        low = max(day_start(day), begin) if day else begin
        if low >= end:
            continue
        if value > baseline:  # the line rises: behind from where it passed `actual`
            crossing = begin.timestamp() + span * (actual - baseline) / (value - baseline)
            since = max(low, datetime.fromtimestamp(crossing, tz=now.tzinfo))
            if since > low or actual >= value:
                break
        elif actual < min(expected(low), expected(end)):
            since = low
        else:
            break
        if low <= begin:
            break
        end = low
    return min(since, now)
