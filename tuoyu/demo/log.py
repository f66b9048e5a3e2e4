"""When the registry learns of each demo event (knowledge time), and the finished list.

The registry checks its rules in the order events are recorded, so the events of one
institution are recorded in the order they occurred: each institution is a chain whose
recorded_at only moves forward. Only events that no rule depends on (a passed inspection,
a risk grading, a training session) may be recorded out of turn, weeks late.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

DISTRICT_CHAIN = "district"


@dataclass(frozen=True)
class DemoEvent:
    recorded_at: datetime  # when the registry recorded it (tz-aware)
    event: dict[str, Any]  # one event in the interchange format


class Log:
    def __init__(self, rng: random.Random, horizon: datetime) -> None:
        self._rng = rng
        self.horizon = horizon  # nothing is recorded at or after it
        self._entries: list[tuple[datetime, int, dict[str, Any]]] = []
        self._first: dict[str, datetime] = {}
        self._last: dict[str, datetime] = {}

    def usual_delay(self) -> timedelta:
        """Most entries are typed in the same day; some wait for the next office days."""
        roll = self._rng.random()
        if roll < 0.6:
            return timedelta(minutes=self._rng.randint(20, 6 * 60))
        if roll < 0.93:
            return timedelta(hours=self._rng.uniform(18, 72))
        return timedelta(hours=self._rng.uniform(72, 144))

    def urgent_delay(self) -> timedelta:
        """Emergency closures and rehoming are reported within the hour or two."""
        return timedelta(minutes=self._rng.randint(10, 120))

    def late_delay(self) -> timedelta:
        """A late filing: recorded weeks after the fact (makes audit replay interesting)."""
        return timedelta(days=self._rng.randint(14, 50), hours=self._rng.uniform(0, 8))

    def chained(self, chain: str, occurred: datetime, event: dict[str, Any],
                delay: timedelta | None = None) -> bool:
        """Record an event of `chain` after every earlier one; False when it falls after the horizon.

        Once one event of a chain falls after the horizon, every later one does too, so what
        is kept of a chain is always a prefix of it: the rules hold for what was kept.
        """
        recorded = occurred + (self.usual_delay() if delay is None else delay)
        last = self._last.get(chain)
        if last is not None and recorded <= last:
            recorded = last + timedelta(minutes=self._rng.randint(1, 9))
        self._last[chain] = recorded
        self._first.setdefault(chain, recorded)
        return self._add(recorded, occurred, event)

    def detached(self, occurred: datetime, event: dict[str, Any], delay: timedelta | None = None,
                 after: str | None = None) -> bool:
        """Record an event no rule orders; `after` names a chain (an institution) that must be filed first."""
        recorded = occurred + (self.usual_delay() if delay is None else delay)
        if after is not None:
            if after not in self._first:
                return False
            recorded = max(recorded, self._first[after] + timedelta(hours=1))
        return self._add(recorded, occurred, event)

    def _add(self, recorded: datetime, occurred: datetime, event: dict[str, Any]) -> bool:
        if recorded >= self.horizon:
            return False
        event = {"type": event["type"], "occurred_at": occurred.isoformat(timespec="seconds"), **event}
        self._entries.append((recorded, len(self._entries), event))
        return True

    def finish(self) -> list[DemoEvent]:
        """The events in recorded order, numbered in that order (so ids read chronologically)."""
        done = []
        for number, (recorded, _, event) in enumerate(sorted(self._entries, key=lambda e: e[:2]), start=1):
            event = dict(event)
            event_id = event.pop("event_id", None) or f"demo-{number:06d}"
            done.append(DemoEvent(recorded, {"event_id": event_id, **event}))
        return done
