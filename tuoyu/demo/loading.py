"""Recording the demo history: each event with its own knowledge time, all in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from tuoyu.demo.generator import generate
from tuoyu.domain.problems import EventsRejected

PAGE = 1000


def record_demo(app: Any, seed: int = 2023, today: date | None = None) -> int:
    """Record the seeded history as the registry would have recorded it day by day: each
    event's knowledge time is its `recorded_at`, so audit replay `--known-at` shows what
    the commission knew on any past day. All or nothing, like an import."""
    demo = generate(seed, today)
    decisions = app.new_decisions("demo")

    def batches() -> Iterator[tuple[list[Any], list[tuple[str, str]]]]:
        for start in range(0, len(demo), PAGE):
            page = demo[start : start + PAGE]
            decisions.prefetch([d.event for d in page])
            for index, item in enumerate(page, start=start):
                decisions.now = item.recorded_at
                decisions.add(index, item.event)
            if decisions.problems:
                raise EventsRejected(decisions.problems)
            events, claims = decisions.take()
            yield [app.mapper.to_stored_event(e) for e in events], claims

    app.recorder.insert_in_one_transaction(batches(), keep_times=True)  # a history, with its own times
    return len(demo) - decisions.duplicates
