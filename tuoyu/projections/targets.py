"""Targets: actual, baseline, expected and status of every target in force (kpis.md, "Targets")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tuoyu.domain.catalogue import DISTRICT, TARGET_KPIS, TOWNSHIP_IDS
from tuoyu.projections.facts import SHANGHAI, day_end, day_start
from tuoyu.projections.figures import ratio
from tuoyu.projections.fold import CAREGIVERS, CERTIFIED, INCLUSIVE_POINTS, INCLUSIVE_SLOTS, SLOTS, Part
from tuoyu.projections.pace import actual_steps, behind_since

COURSE_OF = {"heads_trained": "head", "caregivers_trained": "caregiver"}


def value_before(parts: list[Part], index: int, day: str) -> int:
    """A quantity as it stood at 00:00 of `day`: the sum of its changes that occurred before."""
    return sum(delta[index] for part in parts for d, delta in part["history"].items() if d < day)


def trained_since(parts: list[Part], course: str, day: str) -> int:
    return sum(people for part in parts for d, people in part["training"].get(course, {}).items() if d >= day)


def _baseline_and_actual(kpi: str, scope_parts: list[Part], township_parts: dict[str, Part],
                         figures: dict[str, Any], start: str) -> tuple[float, float]:
    if kpi == "slots_total":
        return value_before(scope_parts, SLOTS, start), figures["slots_total"]
    if kpi == "new_slots":
        return 0, figures["slots_total"] - value_before(scope_parts, SLOTS, start)
    if kpi == "inclusive_share":
        baseline = ratio(value_before(scope_parts, INCLUSIVE_SLOTS, start), value_before(scope_parts, SLOTS, start))
        return baseline or 0, figures["inclusive_share"] or 0
    if kpi == "certified_share":
        baseline = ratio(value_before(scope_parts, CERTIFIED, start), value_before(scope_parts, CAREGIVERS, start))
        return baseline or 0, figures["certified_share"] or 0
    if kpi == "inclusive_coverage":
        covered = sum(1 for p in township_parts.values() if value_before([p], INCLUSIVE_POINTS, start) > 0)
        return round(covered / len(TOWNSHIP_IDS), 4), figures["inclusive_coverage"]
    if kpi in COURSE_OF:
        return 0, trained_since(scope_parts, COURSE_OF[kpi], start)
    raise ValueError(f"no rule for kpi {kpi}")


def evaluate(target: dict[str, Any], baseline: float, actual: float, now: datetime) -> dict[str, Any]:
    start, due_end = day_start(target["start"]), day_end(target["due"])
    span = (due_end - start).total_seconds()
    fraction = min(1.0, max(0.0, (now - start).total_seconds() / span)) if span > 0 else 1.0
    value = target["value"]
    expected = round(baseline + (value - baseline) * fraction, 4)
    if actual >= value:
        status = "met"
    elif now > due_end:
        status = "missed"
    elif actual < expected:
        status = "behind"
    else:
        status = "on_track"
    return {**target, "baseline": baseline, "actual": actual, "expected": expected, "status": status}


def _with_since(evaluated: dict[str, Any], scope_parts: list[Part], township_parts: list[Part],
                now: datetime) -> dict[str, Any]:
    """The target with `behind_since` (ISO time, or None unless behind): when it fell behind."""
    since = None
    if evaluated["status"] == "behind":
        today = now.astimezone(SHANGHAI).date().isoformat()
        steps = actual_steps(evaluated["kpi"], scope_parts, township_parts, evaluated["start"], today)
        since = behind_since(evaluated, steps, now)
    return {**evaluated, "behind_since": since.isoformat() if since else None}


def targets_in_force(parts: dict[str, Part], figures: dict[str, dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Every target, in the order district first then townships, kpis in the schema's order."""
    township_parts = {t: parts[t] for t in TOWNSHIP_IDS}
    results = []
    for scope in (DISTRICT, *TOWNSHIP_IDS):
        scope_parts = list(parts.values()) if scope == DISTRICT else [parts[scope]]
        for kpi in TARGET_KPIS:
            target = parts[scope]["targets"].get(kpi)
            if target is None:
                continue
            if kpi == "township_min_slots":
                # Each township must reach the floor: one row per township (kpis.md).
                for township in TOWNSHIP_IDS:
                    baseline = value_before([township_parts[township]], SLOTS, target["start"])
                    results.append(_with_since(evaluate({**target, "scope": township}, baseline,
                                                        figures[township]["slots_total"], now),
                                               [township_parts[township]], [], now))
                continue
            baseline, actual = _baseline_and_actual(kpi, scope_parts, township_parts, figures[scope], target["start"])
            results.append(_with_since(evaluate(target, baseline, actual, now), scope_parts,
                                       list(township_parts.values()), now))
    return results
