"""The audit chain of a store: verifying it and taking checkpoints, through the recorder."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from tuoyu.audit.chain import ChainRow, EventRow, row_digest
from tuoyu.audit.checkpoint import Checkpoint
from tuoyu.audit.verify import Verdict, verify

PAGE = 5000


def _pages(select, upto: int) -> Iterator[list[Any]]:
    after = 0
    while True:
        rows = select(after, PAGE, upto)
        yield rows
        if len(rows) < PAGE:
            return
        after = rows[-1][0]


def _rows(select, upto: int) -> Iterator[Any]:
    # Flattened by itertools in C: no Python frame per row (the verifier reads millions).
    return itertools.chain.from_iterable(_pages(select, upto))


def event_rows(recorder: Any, upto: int) -> Iterator[EventRow]:
    return _rows(recorder.select_event_rows, upto)


def chain_rows(recorder: Any, upto: int) -> Iterator[ChainRow]:
    return _rows(recorder.select_chain_rows, upto)


def verify_store(recorder: Any, checkpoint: Checkpoint | None = None, upto: int | None = None) -> Verdict:
    """Verify the store up to `upto` (default: everything stored when the verification starts;
    events recorded meanwhile are left for the next run)."""
    events_end, chain_end = recorder.chain_extent()
    end = max(events_end, chain_end) if upto is None else upto

    def chained_at(digest: bytes) -> int | None:
        # Only reached when something differs: one more scan of the chain table.
        return next((row[0] for row in chain_rows(recorder, end) if row[2] == digest), None)

    def stored_at(digest: bytes) -> int | None:
        # Events moved past the end of the verified range are still found (moved, not deleted).
        last = max(recorder.chain_extent())
        return next((row[0] for row in event_rows(recorder, max(end, last)) if row_digest(row) == digest),
                    None)

    return verify(event_rows(recorder, end), chain_rows(recorder, end), checkpoint, chained_at, stored_at)


def checkpoint_of(verdict: Verdict) -> Checkpoint | None:
    """The checkpoint at the head of an intact verification (None for an empty store)."""
    if not verdict.intact or verdict.head is None:
        return None
    head = verdict.head
    return Checkpoint(head.position, bytes(head.link), verdict.events, head.recorded_at)
