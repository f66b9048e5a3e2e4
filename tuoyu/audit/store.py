"""The audit chain of a store: verifying it and taking checkpoints, through the recorder."""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from hashlib import sha256
from typing import Any

from tuoyu.audit.checkpoint import Checkpoint
from tuoyu.audit.merkle import TreeBuilder
from tuoyu.audit.verify import Finding, Verdict, verify
from tuoyu.persistence.chain import ChainFields, ChainRow, EventFields, row_digest

PAGE = 5000

# Each event is checked against the STORED link before it, so ranges of positions verify
# independently: range (a, b] starts from the chain row at or below a, which the range before
# verifies. All ranges intact is exactly what one walk from zero would conclude.
PARALLEL_MIN_EVENTS = 200_000
MAX_WORKERS = 4


def _pages(select, upto: int, after: int = 0) -> Iterator[list[Any]]:
    while True:
        rows = select(after, PAGE, upto)
        yield rows
        if len(rows) < PAGE:
            return
        after = rows[-1][0]


def _rows(select, upto: int, after: int = 0) -> Iterator[Any]:
    # Flattened by itertools in C: no Python frame per row (the verifier reads millions).
    return itertools.chain.from_iterable(_pages(select, upto, after))


def event_rows(recorder: Any, upto: int, after: int = 0) -> Iterator[EventFields]:
    return _rows(recorder.select_event_rows, upto, after)


def chain_rows(recorder: Any, upto: int, after: int = 0) -> Iterator[ChainFields]:
    return _rows(recorder.select_chain_rows, upto, after)


def verify_store(
    recorder: Any,
    checkpoint: Checkpoint | None = None,
    upto: int | None = None,
    parallel: Callable[[], Any] | None = None,
    min_parallel: int = PARALLEL_MIN_EVENTS,
    tree: bool = False,
) -> Verdict:
    """Verify the store up to `upto` (default: everything stored when the verification starts;
    events recorded meanwhile are left for the next run). With `tree`, the verdict carries the
    Merkle root over every link checked (to sign a checkpoint).

    With `parallel` (a picklable function opening the store: a registry, whose recorder is read)
    a large store is first checked in ranges by worker processes, one per core; only if a range
    fails is it walked from the start here, to report the first position and its kind exactly.
    """
    if not recorder.has_chain_table():
        return _without_chain_table(recorder)
    events_end, chain_end = recorder.chain_extent()
    end = max(events_end, chain_end) if upto is None else upto
    if parallel is not None and not tree and end >= min_parallel and (os.cpu_count() or 1) > 1:
        verdict = _verify_in_parallel(parallel, recorder, end, min(os.cpu_count() or 1, MAX_WORKERS))
        if verdict is not None and checkpoint is None:
            return verdict
        if verdict is not None and checkpoint is not None and _agrees(recorder, verdict, checkpoint):
            return dataclasses.replace(verdict, checkpoint_checked=True)
        # A range failed, or the checkpoint disagrees: one walk from the start says where and how.

    def chained_at(digest: bytes) -> int | None:
        # Only reached when something differs: one more scan of the chain table.
        return next((row[0] for row in chain_rows(recorder, end) if row[2] == digest), None)

    def stored_at(digest: bytes) -> int | None:
        # Events moved past the end of the verified range are still found (moved, not deleted).
        last = max(recorder.chain_extent())
        return next((row[0] for row in event_rows(recorder, max(end, last)) if row_digest(row) == digest), None)

    return verify(event_rows(recorder, end), chain_rows(recorder, end), checkpoint, chained_at, stored_at, tree=tree)


def _agrees(recorder: Any, verdict: Verdict, checkpoint: Checkpoint) -> bool:
    """Whether a store whose every link was verified (in ranges) has the checkpoint's link at its
    position and, for a signed one, the Merkle root of its first `size` links."""
    row = recorder.select_chain_row(checkpoint.position)
    if row is None or bytes(row[3]) != checkpoint.link:
        return False
    if checkpoint.root is None:
        return True
    builder = TreeBuilder()
    for chained in chain_rows(recorder, checkpoint.position):
        builder.append(sha256(b"\x00" + bytes(chained[3])).digest())
    return builder.size == checkpoint.events and builder.root() == checkpoint.root


def _without_chain_table(recorder: Any) -> Verdict:
    first = recorder.select_event_rows(0, 1)
    if not first:
        return Verdict(0, None, None)
    return Verdict(
        0,
        None,
        Finding(
            "inserted",
            first[0][0],
            "the chain table tuoyu_chain is missing while the store "
            "holds events: it was dropped, or the store predates the chain (then, and only "
            "then, chain it with `tuoyu audit migrate`)",
        ),
    )


def _verify_in_parallel(open_store: Callable[[], Any], recorder: Any, end: int, workers: int) -> Verdict | None:
    """The verdict if every range is intact, else None (the caller then walks from the start).

    This process checks the first range itself, with the recorder it already has, while worker
    processes check the others: one process fewer to start, and no core left idle waiting."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    bounds = [end * n // workers for n in range(workers + 1)]
    # spawn, not fork: the parent holds connection pools (and PostgreSQL pool threads).
    with ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("spawn")) as pool:
        others = pool.map(_verify_range, [open_store] * (workers - 1), bounds[1:-1], bounds[2:])
        results = [_range_result(recorder, bounds[0], bounds[1]), *others]
    if not all(r[0] for r in results) or not _stamps_join(results):
        return None
    head = next((ChainRow(*r[2]) for r in reversed(results) if r[2] is not None), None)
    return Verdict(sum(r[1] for r in results), head, None)


def _stamps_join(results: list[tuple[Any, ...]]) -> bool:
    """Recording times never decrease across the ranges' boundaries either."""
    newest: datetime | None = None
    for _, _, _, first, last in results:
        if first is None:
            continue
        if newest is not None and datetime.fromisoformat(first) < newest:
            return False
        newest = datetime.fromisoformat(last)
    return True


def _verify_range(open_store: Callable[[], Any], after: int, upto: int) -> tuple[Any, ...]:
    registry = open_store()
    try:
        return _range_result(registry.recorder, after, upto)
    finally:
        registry.close()


def _range_result(recorder: Any, after: int, upto: int) -> tuple[Any, ...]:
    """(intact, events, head, first stamp, last stamp) of the range (after, upto], picklable."""
    start = recorder.select_chain_row_at_or_before(after) if after else None
    verdict = verify(event_rows(recorder, upto, after), chain_rows(recorder, upto, after), start=start)
    return (
        verdict.intact,
        verdict.events,
        None if verdict.head is None else tuple(verdict.head),
        verdict.first_stamp,
        verdict.last_stamp,
    )


def checkpoint_of(verdict: Verdict) -> Checkpoint | None:
    """The checkpoint at the head of an intact verification (None for an empty store)."""
    if not verdict.intact or verdict.head is None:
        return None
    head = verdict.head
    return Checkpoint(head.position, bytes(head.link), verdict.events, head.recorded_at, verdict.root)
