"""When the registry learns of each demo event (knowledge time), and the finished list.

The registry checks its rules in the order events are recorded, so the events of one
institution are recorded in the order they occurred: each institution is a chain whose
recorded_at only moves forward. Only events that no rule depends on (a passed inspection,
a risk grading, a training session) may be recorded out of turn, weeks late.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
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

    def recorded(self, occurred: datetime, timing: str) -> datetime:
        """When the registry records an event that occurred at `occurred`.

        usual: most entries are typed in within hours, the rest on one of the next working
        days; urgent: emergency closures and rehoming, within the hour or two; late: weeks
        later, from paper (makes audit replay interesting); exact: at the very moment.
        """
        rng = self._rng
        if timing == "exact":
            return occurred
        if timing == "urgent":
            return occurred + timedelta(minutes=rng.randint(10, 120))
        if timing == "usual" and rng.random() < 0.6:
            return occurred + timedelta(minutes=rng.randint(20, 4 * 60))
        later = rng.randint(14, 50) if timing == "late" else rng.choice((1, 1, 1, 2, 2, 3, 5))
        day = occurred.date() + timedelta(days=later)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        minutes = rng.randint(9 * 60, 17 * 60 + 30)
        return datetime.combine(day, time(minutes // 60, minutes % 60), occurred.tzinfo)

    def chained(self, chain: str, occurred: datetime, event: dict[str, Any], timing: str = "usual") -> bool:
        """Record an event of `chain` after every earlier one; False when it falls after the horizon.

        Once one event of a chain falls after the horizon, every later one does too, so what
        is kept of a chain is always a prefix of it: the rules hold for what was kept.
        """
        recorded = self.recorded(occurred, timing)
        last = self._last.get(chain)
        if last is not None and recorded <= last:
            recorded = last + timedelta(minutes=self._rng.randint(1, 9))
        self._last[chain] = recorded
        self._first.setdefault(chain, recorded)
        return self._add(recorded, occurred, event)

    def idle(self, chain: str, since: datetime) -> bool:
        """Whether nothing of `chain` is recorded after `since` (so a new event can be recorded soon)."""
        return self._last.get(chain, since) <= since

    def detached(
        self, occurred: datetime, event: dict[str, Any], timing: str = "usual", after: str | None = None
    ) -> bool:
        """Record an event no rule orders; `after` names a chain (an institution) that must be filed first."""
        recorded = self.recorded(occurred, timing)
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
