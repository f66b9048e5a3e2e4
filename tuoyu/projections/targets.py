"""Targets: baseline, actual, expected, status, and once due actual_at_due and outcome, of every
target in force (kpis.md, "Targets" and its revision of 2026-11-30).

A kpi's value at a past instant (its baseline at 00:00 of `start`, its value at the end of the
`due` day) comes from what the fold keeps dated: the daily changes of slots and staff, the
training and guidance counts per day, the population reports and each institution's spans.
Something that occurred after the due day therefore never changes a target's judgement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tuoyu.domain.catalogue import DISTRICT, TARGET_KPIS, TOWNSHIP_IDS
from tuoyu.projections.fold import (
    CAREGIVERS,
    CERTIFIED,
    INCLUSIVE_POINTS,
    INCLUSIVE_SLOTS,
    KINDERGARTEN_INCLUSIVE,
    SLOTS,
    Part,
)
from tuoyu.projections.moments import day_last, day_start, instant, shanghai_date
from tuoyu.projections.pace import as_datetime, behind_since, change_moments
from tuoyu.projections.provision import KINDERGARTEN, OFFLINE, guidance_between, population_at, ratio
from tuoyu.projections.supervision import covered_at, covered_today

COURSE_OF = {"heads_trained": "head", "caregivers_trained": "caregiver"}
# new_* kpis: the quantity whose change since start they measure, and today's figure of it.
NEW = {
    "new_slots": (SLOTS, lambda f: f["slots_total"]),
    "new_inclusive_slots": (INCLUSIVE_SLOTS, lambda f: f["slots_inclusive"]),
    "kindergarten_new_inclusive_slots": (KINDERGARTEN_INCLUSIVE, lambda f: f["inclusive_slots_by_kind"][KINDERGARTEN]),
}
COUNTED = (*COURSE_OF, "offline_guidance_activities")
_ONE_DAY = timedelta(days=1)
SHARES = {"inspected_share": 1, "assessed_share": 2}  # index in (operating, visited, assessed)


@dataclass(frozen=True)
class Scope:
    parts: list[Part]  # the parts whose facts count (the district: every part)
    own: Part  # the scope's own part (targets, population)
    townships: dict[str, Part]  # every township's part (inclusive coverage)
    figures: dict[str, Any]  # the scope's figures at the evaluation time


@dataclass(frozen=True)
class Moment:
    """A past point of a target: `day` with its events (through=True) or before them, and the instant."""

    day: str
    through: bool
    at: int


def level(parts: list[Part], index: int, moment: Moment) -> int:
    """A quantity as it stood at `moment`: the sum of its daily changes up to it."""
    day, through = moment.day, moment.through
    return sum(
        delta[index] for part in parts for d, delta in part["history"].items() if d < day or (through and d == day)
    )


def _counted(kpi: str, scope: Scope, target: dict[str, Any], moment: Moment | None = None) -> int:
    """Sessions or activities that occurred from start to the end of due (township: naming it),
    or, at a `moment` before then, to that moment (its day, with or without its events)."""
    first, last = target["start"], target["due"]
    if moment is not None and moment.day <= last:
        last = moment.day if moment.through else (date.fromisoformat(moment.day) - _ONE_DAY).isoformat()
    if kpi in COURSE_OF:
        return sum(
            people
            for part in scope.parts
            for day, people in part["training"].get(COURSE_OF[kpi], {}).items()
            if first <= day <= last
        )
    return sum(guidance_between(part, first, last, OFFLINE) for part in scope.parts)


def kpi_at(kpi: str, scope: Scope, target: dict[str, Any], moment: Moment) -> float:
    """The kpi at a past moment (a null figure counts 0)."""
    parts = scope.parts
    if kpi in ("slots_total", "township_min_slots"):
        return level(parts, SLOTS, moment)
    if kpi in NEW:
        return level(parts, NEW[kpi][0], moment) - level(parts, NEW[kpi][0], _start(target))
    if kpi == "inclusive_share":
        return ratio(level(parts, INCLUSIVE_SLOTS, moment), level(parts, SLOTS, moment)) or 0
    if kpi == "certified_share":
        return ratio(level(parts, CERTIFIED, moment), level(parts, CAREGIVERS, moment)) or 0
    if kpi == "inclusive_coverage":
        covered = sum(1 for p in scope.townships.values() if level([p], INCLUSIVE_POINTS, moment) > 0)
        return round(covered / len(TOWNSHIP_IDS), 4)
    if kpi in COUNTED:
        return _counted(kpi, scope, target, moment)
    if kpi == "slots_per_1000":
        report = population_at(scope.own, moment.at)
        return (ratio(level(parts, SLOTS, moment) * 1000, report[1]) or 0) if report else 0
    if kpi in SHARES:
        return _share(kpi, parts, moment.at, covered_at)
    raise ValueError(f"no rule for kpi {kpi}")


def kpi_today(kpi: str, scope: Scope, target: dict[str, Any], now: int) -> float:
    """The kpi at the evaluation time: the scope's figure, or for counting kpis their window."""
    if kpi in COUNTED:
        return _counted(kpi, scope, target)
    if kpi in NEW:
        if now > day_last(target["due"]):
            return kpi_at(kpi, scope, target, _due(target))
        return NEW[kpi][1](scope.figures) - level(scope.parts, NEW[kpi][0], _start(target))
    if kpi in SHARES:
        # From the parts (not the figures) so that a Faust worker's summaries of the townships
        # it does not own give today's share, however long ago they were published.
        return _share(kpi, scope.parts, now, covered_today)
    figure = "slots_total" if kpi == "township_min_slots" else kpi
    return scope.figures[figure] or 0


def _share(
    kpi: str, parts: list[Part], at: int, count: Callable[[Iterable[Mapping[str, Any]], int], tuple[int, int, int]]
) -> float:
    """A share of institutions at `at`: today's (covered_today) or at a past instant (covered_at)."""
    totals = [count(part["institutions"].values(), at) for part in parts]
    return ratio(sum(t[SHARES[kpi]] for t in totals), sum(t[0] for t in totals)) or 0


def _start(target: dict[str, Any]) -> Moment:
    return Moment(target["start"], False, day_start(target["start"]))


def _due(target: dict[str, Any]) -> Moment:
    return Moment(target["due"], True, day_last(target["due"]))


def baseline_of(kpi: str, scope: Scope, target: dict[str, Any]) -> float:
    if kpi in NEW or kpi in COUNTED:
        return 0
    return kpi_at(kpi, scope, target, _start(target))


def evaluate(target: dict[str, Any], baseline: float, actual: float, at_due: float, now: int) -> dict[str, Any]:
    start, end = day_start(target["start"]), day_last(target["due"]) + 1
    fraction = min(1.0, max(0.0, (now - start) / (end - start))) if end > start else 1.0
    value = target["value"]
    expected = round(baseline + (value - baseline) * fraction, 4)
    past_due = now >= end
    if actual >= value:
        status = "met"
    elif past_due:
        status = "missed"
    elif actual < expected:
        status = "behind"
    else:
        status = "on_track"
    return {
        **target,
        "responsible": target.get("responsible", []),
        "baseline": baseline,
        "actual": actual,
        "expected": expected,
        "status": status,
        "actual_at_due": at_due if past_due else None,
        "outcome": ("met" if at_due >= value else "missed") if past_due else None,
    }


def _judged(kpi: str, scope: Scope, target: dict[str, Any], now: int) -> dict[str, Any]:
    at_due = kpi_at(kpi, scope, target, _due(target)) if now > day_last(target["due"]) else 0
    return evaluate(target, baseline_of(kpi, scope, target), kpi_today(kpi, scope, target, now), at_due, now)


def _with_since(judged: dict[str, Any], scope: Scope, now: datetime) -> dict[str, Any]:
    """The target with `behind_since` (ISO time, or None unless behind): when it fell behind,
    from the kpi at each instant its actual may have changed (pace.py), read by kpi_at."""
    if judged["status"] != "behind":
        return {**judged, "behind_since": None}
    kpi, at = judged["kpi"], instant(now)
    moments = change_moments(kpi, scope.parts, scope.own, list(scope.townships.values()), judged["start"], at)

    def actual_at(moment: int) -> float:
        return kpi_at(kpi, scope, judged, Moment(shanghai_date(moment).isoformat(), True, moment))

    since = behind_since(judged, moments, actual_at, at)
    return {**judged, "behind_since": None if since is None else as_datetime(since).astimezone(now.tzinfo).isoformat()}


def targets_in_force(parts: dict[str, Part], figures: dict[str, dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Every target, in the order district first then townships, kpis in the schema's order."""
    at = instant(now)
    township_parts = {t: parts[t] for t in TOWNSHIP_IDS}
    results = []
    for scope_id in (DISTRICT, *TOWNSHIP_IDS):
        scope_parts = list(parts.values()) if scope_id == DISTRICT else [parts[scope_id]]
        scope = Scope(scope_parts, parts[scope_id], township_parts, figures[scope_id])
        for kpi in TARGET_KPIS:
            target = parts[scope_id]["targets"].get(kpi)
            if target is None:
                continue
            if kpi == "township_min_slots":
                # Each township must reach the floor: one row per township (kpis.md).
                for township in TOWNSHIP_IDS:
                    own = Scope([township_parts[township]], township_parts[township], township_parts, figures[township])
                    results.append(_with_since(_judged(kpi, own, {**target, "scope": township}, at), own, now))
                continue
            results.append(_with_since(_judged(kpi, scope, target, at), scope, now))
    return results
