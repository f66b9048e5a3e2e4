"""Reading recorded facts from the store's notification log, in global order, in pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tuoyu.projections.facts import Fact, fact_from_stored

PAGE = 2000


def read_facts(recorder: Any, after: int = 0, page: int = PAGE, upto: int | None = None) -> Iterator[Fact]:
    """Every fact with a position above `after` (and at most `upto`), oldest first."""
    while True:
        notifications = recorder.select_notifications(start=after + 1, limit=page, stop=upto)
        for notification in notifications:
            yield fact_from_stored(notification.id, notification.state)
        if len(notifications) < page:
            return
        after = notifications[-1].id
