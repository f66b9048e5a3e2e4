"""A view that cannot get past a fact: what stopped it, since when, and when to try again."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from tuoyu import clock
from tuoyu.projections.facts import Fact


class CannotApply(Exception):
    """The fact at `position` could not be read or folded."""

    def __init__(self, position: int, error: Exception, fact: Fact | None = None) -> None:
        self.position = position
        self.error = error
        self.fact = fact
        super().__init__(f"position {position}: {type(error).__name__}: {error}")


@dataclass(frozen=True)
class Stuck:
    view: str
    position: int  # of the fact the view cannot apply; the view stays just before it
    reason: str
    event_type: str | None
    event_id: str | None
    since: str  # when it first failed (RFC 3339)
    attempts: int
    pause: float  # seconds before the next attempt
    retry_at: float  # time.monotonic() of the next attempt

    @classmethod
    def first(cls, view: str, failure: CannotApply, pause: float) -> Stuck:
        event = _event_of(failure.fact)
        return cls(
            view=view,
            position=failure.position,
            reason=_reason(failure.error),
            event_type=_text(event.get("type")),
            event_id=_text(event.get("event_id")),
            since=clock.now().isoformat(timespec="seconds"),
            attempts=1,
            pause=pause,
            retry_at=time.monotonic() + pause,
        )

    def again(self, failure: CannotApply, max_pause: float) -> Stuck:
        pause = min(max_pause, max(self.pause * 2, 0.0))
        return replace(
            self,
            reason=_reason(failure.error),
            attempts=self.attempts + 1,
            pause=pause,
            retry_at=time.monotonic() + pause,
        )

    def describe(self) -> str:
        what = f"{self.event_type} event {self.event_id}" if self.event_type else "the event"
        return (
            f"projection {self.view} is stuck: {what} at position {self.position} cannot be applied "
            f"({self.reason}); the view stays at the event before it and retries "
            "(docs/runbook-projection-stuck.md)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "position": self.position,
            "event_type": self.event_type,
            "event_id": self.event_id,
            "reason": self.reason,
            "since": self.since,
            "attempts": self.attempts,
        }


def _event_of(fact: Fact | None) -> dict[str, Any]:
    event = fact.get("event") if isinstance(fact, dict) else None
    return event if isinstance(event, dict) else {}


def _text(value: Any) -> str | None:
    return value[:200] if isinstance(value, str) else None


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]
