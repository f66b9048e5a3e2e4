"""What a worker serves, kept between the event loop that builds it and the HTTP thread that
reads it: the cached metrics slice (rebuilt by the refresh timer when what it is made of moved,
or when `refresh_seconds` passed: pace and overdue follow the clock), the worker's counters and
where it is stuck. The HTTP thread reads whole values, never mutated after they are built."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from tuoyu.projections.fold import Part
from tuoyu.streams.progress import Rewinds
from tuoyu.streams.worker_metrics import Summary, WorkerCollector, open_closures, summary_of, worker_snapshot


class Export:
    def __init__(self, clock: Callable[[], datetime], refresh_seconds: float) -> None:
        self.clock = clock
        self.refresh_seconds = refresh_seconds
        self.applied = 0
        self.duplicates = 0
        self.stuck_position: int | None = None
        self._made_of: object = None  # the positions the cache was built from
        self._built_at = float("-inf")
        self._cache: dict[str, Any] = {"pending": True}
        self._lock = threading.Lock()

    def current(self) -> dict[str, Any]:
        with self._lock:
            return self._cache

    def counted(self, applied: int, duplicates: int) -> None:
        self.applied += applied
        self.duplicates += duplicates

    def stuck_at(self, position: int | None) -> None:
        self.stuck_position = position

    @staticmethod
    def summary(part: Part) -> Summary:
        return summary_of(part)

    def refresh(self, owned: Mapping[str, Part], summaries: Mapping[str, Summary]) -> bool:
        """Rebuild the cache if the owned parts or the summaries moved, or it is old; True if rebuilt."""
        made_of = (
            tuple(sorted((key, part["position"]) for key, part in owned.items())),
            tuple(sorted((key, s["position"]) for key, s in summaries.items())),
        )
        if made_of == self._made_of and time.monotonic() - self._built_at < self.refresh_seconds:
            return False
        snapshot = worker_snapshot(owned, summaries, self.clock())
        snapshot["open_closures"] = open_closures(owned)
        with self._lock:
            self._cache = snapshot
        self._made_of, self._built_at = made_of, time.monotonic()
        return True

    def collector(self, rewinds: Rewinds) -> WorkerCollector:
        return WorkerCollector(
            self.current,
            lambda: self.current()["open_closures"],
            lambda: (self.applied, self.duplicates),
            lambda: (rewinds.found, rewinds.unrecovered),
            lambda: self.stuck_position,
        )
