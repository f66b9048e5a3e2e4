"""Reading recorded facts from the store's notification log, in global order, in pages.

The personal values held back from the events (tuoyu/domain/personal.py) are put back from
the store's side table, one query per page; an erased value is listed under `redacted`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tuoyu.domain.personal import PERSONAL_FIELDS, decoded, digests_of, restore
from tuoyu.projections.facts import Fact, fact_from_stored

PAGE = 2000


# What the folds never read: readers that only fold (the projector, the consistency check) skip
# putting it back, which spares them a lookup for most events.
NOT_FOLDED = ("recorded_by",)


class UnreadableFact(Exception):
    """A stored event that cannot be read as a fact (hand-edited, or of a shape no reader knows)."""

    def __init__(self, position: int, error: Exception) -> None:
        self.position = position
        self.error = error
        super().__init__(f"the event at position {position} cannot be read: {type(error).__name__}: {error}")


def read_facts(
    recorder: Any, after: int = 0, page: int = PAGE, upto: int | None = None, skip: tuple[str, ...] = ()
) -> Iterator[Fact]:
    """Every fact with a position above `after` (and at most `upto`), oldest first, with the
    personal values still held put back (except at the paths in `skip`). A stored event that is
    not a fact raises UnreadableFact, which names its position."""
    while True:
        rows = recorder.select_states(after, page, upto)
        yield from with_personal_values(recorder, [_fact(position, state) for position, state in rows], skip)
        if len(rows) < page:
            return
        after = rows[-1][0]


def _fact(position: int, state: bytes) -> Fact:
    try:
        return fact_from_stored(position, state)
    except Exception as error:  # whatever is wrong with it, it is this event's fault
        raise UnreadableFact(position, error) from error


def with_personal_values(recorder: Any, facts: list[Fact], skip: tuple[str, ...] = ()) -> list[Fact]:
    """The facts with the personal values the store still holds put back (in place)."""
    digests = digests_of(facts, skip)
    if digests:
        values = decoded(recorder.select_personal(sorted(digests)))
        for fact in facts:
            restore(fact, values, skip)
    return facts


def held_back_details(details: dict[str, Any]) -> dict[str, Any]:
    """An institution's filed details without the personal ones (an aggregate in memory may still
    hold values erased since; the store's side table is what is shown)."""
    personal = {path.rpartition(".")[2] for path in PERSONAL_FIELDS["InstitutionFiled"]}
    return {k: v for k, v in details.items() if k not in personal}


def personal_details(event: dict[str, Any]) -> dict[str, Any]:
    """The personal details of an institution an event (with its values put back) sets."""
    source = event.get("changes", {}) if event.get("type") == "FilingChanged" else event
    names = {path.rpartition(".")[2] for path in PERSONAL_FIELDS["InstitutionFiled"]}
    return (
        {k: v for k, v in source.items() if k in names}
        if event.get("type") in ("InstitutionFiled", "FilingChanged")
        else {}
    )
