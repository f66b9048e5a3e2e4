"""Reading recorded facts from the store's notification log, in global order, in pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tuoyu.projections.facts import Fact, fact_from_stored

PAGE = 2000


class UnreadableFact(Exception):
    """A stored event that cannot be read as a fact (hand-edited, or of a shape no reader knows)."""

    def __init__(self, position: int, error: Exception) -> None:
        self.position = position
        self.error = error
        super().__init__(f"the event at position {position} cannot be read: {type(error).__name__}: {error}")


def read_facts(recorder: Any, after: int = 0, page: int = PAGE, upto: int | None = None) -> Iterator[Fact]:
    """Every fact with a position above `after` (and at most `upto`), oldest first. A stored event
    that is not a fact raises UnreadableFact, which names its position."""
    while True:
        rows = recorder.select_states(after, page, upto)
        for position, state in rows:
            try:
                fact = fact_from_stored(position, state)
            except Exception as error:  # whatever is wrong with it, it is this event's fault
                raise UnreadableFact(position, error) from error
            yield fact
        if len(rows) < page:
            return
        after = rows[-1][0]
