"""What every aggregate of the platform shares: ids from natural keys, and one event shape.

Every stored event carries three things: `event`, the interchange event exactly as it was
accepted; `context`, the facts views need about the institution right after the event
(so that a projection never looks an aggregate up); and `recorded_by`. Its eventsourcing
`timestamp` is the knowledge time (when the platform recorded it); the business time is
`event["occurred_at"]`.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

NAMESPACE = UUID("6f1d0c7e-3b4a-5c2d-9e8f-0a1b2c3d4e5f")


@lru_cache(maxsize=65536)
def natural_id(kind: str, key: str) -> UUID:
    """A stable aggregate id from a natural key, so re-submitted input finds the same aggregate."""
    return uuid5(NAMESPACE, f"{kind}:{key}")


class Recorded(Aggregate.Event):
    """Base of every event of the platform; subclasses say how it changes their aggregate."""

    event: dict[str, Any]
    context: dict[str, Any]
    recorded_by: str

    def apply(self, aggregate: Any) -> None:  # pragma: no cover - overridden where state changes
        pass


class Opened(Aggregate.Created):
    """Base of every creation event of the platform (same three attributes as Recorded)."""

    event: dict[str, Any]
    context: dict[str, Any]
    recorded_by: str


def occurred(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["occurred_at"])
