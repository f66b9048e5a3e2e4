"""How far the worker has read each source partition, kept with the state it describes.

Faust resumes a partition from the consumer group's committed offset, which is written apart
from the tables' changelog; whatever goes wrong between the two (a kill, a rebalance while
records were read ahead, a changelog recovered short of its end) leaves a window where facts
are neither in the state nor read again. Here the offset of the last record folded from each
source partition is a value of the parts table itself, written to that partition's changelog
after the batch's parts: any prefix of the changelog holds parts at least as new as the offset
beside them, so reading again from that offset, with the duplicates dropped by position,
gives exactly the replay. The worker resumes from it (seeking.Transport) and checks every
record against it (Rewinds): Faust itself counts a jump in offsets as "acked" and commits past
it, which is right for compacted topics but not for this one, where a jump means facts skipped.
Such skips around rebalances are known in Faust (faust-streaming issues #216, #221, #606) and
were seen here: a CI run lost one fact when partitions moved back to a worker, and a worker
under load once read offset 608 of a partition right after 606.

Pure bookkeeping; the worker does the seeking.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

OFFSET_KEY_PREFIX = "source-offset/"


def offset_key(partition: int) -> str:
    """The parts-table key of a source partition's offset; it lives in that partition's changelog."""
    return f"{OFFSET_KEY_PREFIX}{partition}"


def is_offset_key(key: Any) -> bool:
    return isinstance(key, str) and key.startswith(OFFSET_KEY_PREFIX)


def resume_offset(held: Mapping[str, Any], partition: int) -> int | None:
    """The next source offset to read for a partition: after the last one folded into the state,
    or None when the state has none (read from the beginning)."""
    last = held.get(offset_key(partition))
    return None if last is None else int(last) + 1


def newer_or_equal(held: Any, incoming: Any) -> bool:
    """Whether a changelog value may replace what the table holds. Parts never go back: a part
    already further (by position) than the changelog record stays (left from an earlier turn
    of owning the partition, or the changelog read short of its end). Offsets are taken as
    written, the last one wins: the parts beside them are at least that far."""
    if isinstance(held, dict) and isinstance(incoming, dict):
        return incoming.get("position", 0) >= held.get("position", 0)
    return True


def keep_newest(events: Iterable[Any], held: Mapping[Any, Any]) -> Iterable[Any]:
    """The changelog events (deserialized, as a Faust table recovers them) that do not take a
    part back, from what the table holds or from an earlier event of the same batch."""
    newest: dict[Any, Any] = {}
    for event in events:
        current = newest.get(event.key, held.get(event.key))
        if current is None or newer_or_equal(current, event.value):
            newest[event.key] = event.value
            yield event


class Verdict(enum.Enum):
    FOLD = "fold"  # the next record (or one already read: dropped later by position)
    REWIND = "rewind"  # records were skipped: seek back to the expected offset, drop this one
    SKIP = "skip"  # read before the rewind took effect: it comes again
    GAP = "gap"  # the skipped records did not come back: fold this one and go on (counted)


class Rewinds:
    """Checks each source record's offset against the last one folded from its partition.

    An offset beyond the next one means records were skipped: the worker seeks back to the next
    one (REWIND). Until the re-read has passed the offset where the jump was seen, records ahead
    of the next one were delivered before the seek took effect and come again: dropped (SKIP),
    not counted as new jumps. If the re-read makes no progress for `patience` seconds (the
    records are gone: deleted under the worker, or a log with holes), the worker goes on from
    the record in hand (GAP) rather than stall.
    """

    def __init__(self, patience: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.patience = patience
        self.clock = clock
        self.pending: dict[int, tuple[int, float]] = {}  # partition: (offset where the jump was seen, last progress)
        self.found = 0  # jumps seen (each answered by a seek back)
        self.unrecovered = 0  # jumps whose records could not be read again

    def check(self, partition: int, offset: int, last: int | None) -> Verdict:
        """`last`: the offset of the last record folded from this partition (None: none yet)."""
        in_order = last is None or offset <= last + 1  # the next one, or one read again
        pending = self.pending.get(partition)
        if pending is not None:
            jumped_to, _ = pending
            if last is not None and last >= jumped_to:
                del self.pending[partition]  # the re-read has passed the jump
            elif in_order:
                self.pending[partition] = (jumped_to, self.clock())
                return Verdict.FOLD
            elif self.clock() - pending[1] < self.patience:
                return Verdict.SKIP
            else:
                return self.give_up(partition)
        if in_order:
            return Verdict.FOLD
        self.pending[partition] = (offset, self.clock())
        self.found += 1
        return Verdict.REWIND

    def give_up(self, partition: int) -> Verdict:
        """The records sought back to cannot be read (the broker no longer has them)."""
        self.pending.pop(partition, None)
        self.unrecovered += 1
        return Verdict.GAP
