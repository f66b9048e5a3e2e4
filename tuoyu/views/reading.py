"""Reading recorded facts from the store's notification log, in global order, in pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tuoyu.projections.facts import Fact, fact_from_stored

PAGE = 2000


def read_facts(recorder: Any, after: int = 0, page: int = PAGE, upto: int | None = None) -> Iterator[Fact]:
    """Every fact with a position above `after` (and at most `upto`), oldest first."""
    while True:
        rows = recorder.select_states(after, page, upto)
        for position, state in rows:
            yield fact_from_stored(position, state)
        if len(rows) < page:
            return
        after = rows[-1][0]
