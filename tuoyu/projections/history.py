"""Slots over time, from the daily changes the fold keeps for target baselines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tuoyu.projections.fold import INCLUSIVE_SLOTS, SLOTS, Part


def slots_over_time(parts: Iterable[Part]) -> list[dict[str, Any]]:
    """District slots and inclusive slots at the end of each business day on which they changed,
    oldest first: the running sum of every part's daily deltas."""
    changes: dict[str, list[int]] = {}
    for part in parts:
        for day, delta in part["history"].items():
            total = changes.setdefault(day, [0, 0])
            total[0] += delta[SLOTS]
            total[1] += delta[INCLUSIVE_SLOTS]
    series, slots, inclusive = [], 0, 0
    for day in sorted(changes):
        slots += changes[day][0]
        inclusive += changes[day][1]
        series.append({"date": day, "slots_total": slots, "slots_inclusive": inclusive})
    return series
