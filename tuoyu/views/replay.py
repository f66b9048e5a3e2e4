"""Replay: the view rebuilt from event zero, as of any business time and knowledge time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tuoyu.projections.facts import Fact, partition_of
from tuoyu.projections.fold import apply
from tuoyu.projections.snapshot import View, build_snapshot, new_view


def fold_all(
    facts: Iterable[Fact], as_of: datetime | None = None, known_at: datetime | None = None
) -> tuple[View, int]:
    """Fold facts (in recorded order) into a new view.

    Returns the view and its position: the newest event recorded at or before known_at,
    whether or not it occurred by as_of (it was part of what was known).
    """
    view = new_view()
    position = 0
    for fact in facts:
        if known_at is not None and datetime.fromisoformat(fact["recorded_at"]) > known_at:
            continue
        position = fact["position"]
        if as_of is not None and datetime.fromisoformat(fact["event"]["occurred_at"]) > as_of:
            continue
        apply(view[partition_of(fact)], fact)
    return view, position


def replay_snapshot(
    facts: Iterable[Fact], now: datetime, as_of: datetime | None = None, known_at: datetime | None = None
) -> dict[str, Any]:
    """The snapshot of kpis.md from a replay. Without as_of, every recorded event counts and
    targets are evaluated at `now`; with it, at as_of."""
    view, position = fold_all(facts, as_of, known_at)
    return build_snapshot(view, as_of or now, known_at or now, position)
