"""Errors the platform reports to people: what was wrong, where, and what is allowed."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one submitted event.

    `index` is the 0-based position in a submitted batch; `line` the 1-based line of an
    import file (None for API batches).
    """

    index: int
    event_id: str | None
    field: str | None
    message: str
    line: int | None = None
    # True when the event clashes with one recorded before (HTTP 409 rather than 422).
    conflict: bool = False
    # True when the submitter's role may not record the event (HTTP 403).
    forbidden: bool = False

    def describe(self) -> str:
        where = f"line {self.line}" if self.line is not None else f"event #{self.index}"
        who = f" (event_id {self.event_id})" if self.event_id else ""
        field = f" field '{self.field}'" if self.field else ""
        return f"{where}{who}{field}: {self.message}"

    def as_dict(self) -> dict:
        shown = asdict(self)
        del shown["conflict"], shown["forbidden"]
        return {k: v for k, v in shown.items() if v is not None or k in ("event_id", "field")}


class TuoyuError(Exception):
    """Base of the errors the platform raises on purpose."""


class EventsRejected(TuoyuError):
    """A batch broke the schema or a rule; nothing of it was recorded."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.describe() for p in problems[:20]))


class ConflictingEvent(TuoyuError):
    """An event_id was recorded before with different content, or writers collided."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.describe() for p in problems))


class Forbidden(TuoyuError):
    """The submitter's role may not record one of the events; nothing was recorded."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.describe() for p in problems))


class RuleViolation(TuoyuError):
    """Raised by an aggregate when a command breaks a rule of kpis.md."""

    def __init__(self, field: str | None, message: str, forbidden: bool = False):
        self.field = field
        self.message = message
        self.forbidden = forbidden
        super().__init__(message)
