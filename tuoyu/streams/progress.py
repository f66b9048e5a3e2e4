"""How far the worker has read each source partition, kept with the state it describes.

Faust resumes a partition from the consumer group's committed offset, which is written apart
from the tables' changelogs; whatever goes wrong between the two (a kill, a rebalance while
records were read ahead, a changelog recovered short of its end) leaves a window where facts
are neither in the state nor read again. Here the offset of the last message folded from each
source partition is a value of the worker's `read-to` table, written after the batch's parts
have been acknowledged by the brokers: the tables never hold an offset ahead of the parts it
covers, so reading again from that offset, with duplicates dropped by position, gives exactly
the replay. The worker resumes from it (faust_adapter) and checks every message against it
(Rewinds): Faust itself counts a jump in offsets as "acked" and commits past it, which is right
for compacted topics but not for this one, where a jump means facts skipped. Such skips around
rebalances are known in Faust (faust-streaming issues #216, #221, #606) and were seen here: a
CI run lost one fact when partitions moved back to a worker, and a worker under load once read
offset 608 of a partition right after 606.

A partition also stops where a fold raised (batches.Stuck): Rewinds holds it there and has it
read again after 1, 2, 4 ... up to 60 s, until the fold goes through.

Faust still commits the group's offsets (lag tools read them), but nothing resumes from them.

Pure bookkeeping; the worker does the seeking.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any


def resume_offset(read_to: Mapping[int, Any], partition: int) -> int | None:
    """The next source offset to read for a partition: after the last one folded into the state,
    or None when the state has none (read from the beginning)."""
    last = read_to.get(partition)
    return None if last is None else int(last) + 1


def newer_or_equal(held: Any, incoming: Any) -> bool:
    """Whether a changelog value may replace what the table holds. Parts never go back: a part
    already further (by position) than the changelog record stays. That happens when a worker
    gets back a partition it kept the parts of (Faust's memory store forgets on revocation only
    the keys it recovered, not those the agent wrote)."""
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
    FOLD = "fold"  # the next record, or one read again (dropped later by position)
    SEEK = "seek"  # records were skipped, or the seek back has not taken: seek back, drop this one
    SKIP = "skip"  # delivered before the seek back took effect: it comes again


@dataclass
class _Hold:
    offset: int  # where the partition stopped: read again from here
    due: float  # when to read it again
    attempts: int  # holds at this offset in a row
    sought: bool = False


@dataclass
class _Jump:
    to: int  # the first offset seen past the hole
    sought: float  # when the worker last sought back
    progress: float  # when a record in order last came (or the jump was seen)
    seeks: int = 0  # seeks back since the last progress


class Rewinds:
    """Checks each source record's offset against the last one folded from its partition.

    An offset beyond the next one means records were skipped: the worker seeks back to the next
    one (SEEK). Until the re-read has passed the offset where the jump was seen, records ahead of
    the next one were delivered before the seek took effect and come again: dropped (SKIP), not
    counted as new jumps. With no progress for `retry` seconds the worker seeks again (then
    after 2, 4, 8 and every 16 x `retry`), from the record path or a timer (`overdue`).

    A hole is never given up for lack of progress: the relay writes neither transactions nor a
    compacted topic, so a source partition has no holes of its own, and a stalled re-read means
    a slow consumer, not missing records. Only records the broker no longer has (retention) are
    given up; the worker finds those by the partition's earliest offset before seeking (`lost`).
    """

    MAX_HOLD = 60.0

    def __init__(self, retry: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.retry = retry
        self.clock = clock
        self.pending: dict[int, _Jump] = {}
        self.holds: dict[int, _Hold] = {}
        self.floors: dict[int, int] = {}  # partition: the offset it was last sought to from the state
        self.found = 0  # jumps seen (each answered by seeking back)
        self.unrecovered = 0  # holes accepted: records the broker no longer had

    def next_offset(self, partition: int, last: int | None) -> int | None:
        """The offset expected next: after the last one folded, or where the partition was sought
        to when the state had none (None: anything is accepted)."""
        return last + 1 if last is not None else self.floors.get(partition)

    def check(self, partition: int, offset: int, last: int | None) -> Verdict:
        """`last`: the offset of the last record folded from this partition (None: none yet)."""
        expected = self.next_offset(partition, last)
        in_order = expected is None or offset <= expected
        held = self.holds.get(partition)
        if held is not None:
            if last is not None and last >= held.offset:
                del self.holds[partition]  # read again and folded past where it stopped
            else:  # nothing until the timer has sought it back; then the re-read from where it stopped
                return Verdict.FOLD if held.sought and offset <= held.offset else Verdict.SKIP
        now = self.clock()
        jump = self.pending.get(partition)
        if jump is not None and last is not None and last >= jump.to:
            del self.pending[partition]  # the re-read has passed the jump
            jump = None
        if jump is None:
            if in_order:
                return Verdict.FOLD
            self.pending[partition] = _Jump(offset, now, now)
            self.found += 1
            return Verdict.SEEK
        if in_order:
            jump.progress, jump.seeks = now, 0
            return Verdict.FOLD
        return Verdict.SEEK if self._due(jump, now) else Verdict.SKIP

    def _due(self, jump: _Jump, now: float) -> bool:
        # Each seek restarts the fetch; waiting twice as long each time (up to 16 x `retry`)
        # keeps a slow re-read from being restarted forever.
        wait = self.retry * 2 ** min(max(jump.seeks - 1, 0), 4)
        return now - max(jump.sought, jump.progress) >= wait

    def hold(self, partition: int, offset: int) -> float:
        """The partition stopped at `offset` (a fold raised there): records are skipped until it is
        due again, after 1, 2, 4 ... `MAX_HOLD` x `retry` seconds in a row at the same offset;
        returns the wait."""
        before = self.holds.get(partition)
        attempts = before.attempts + 1 if before is not None and before.offset == offset else 1
        wait = min(self.retry * 2 ** (attempts - 1), self.MAX_HOLD * self.retry)
        self.holds[partition] = _Hold(offset, self.clock() + wait, attempts)
        self.pending.pop(partition, None)
        return wait

    def overdue(self) -> list[int]:
        """Partitions to seek back now, from a timer: a seek back that has brought nothing for a
        while, not even a record to check, or a held partition that is due."""
        now = self.clock()
        jumps = [partition for partition, jump in self.pending.items() if self._due(jump, now)]
        return jumps + [p for p, held in self.holds.items() if not held.sought and now >= held.due]

    def seek_target(self, partition: int, last: int | None) -> int | None:
        """Where to seek the partition back to: where it is held, or after the last record folded."""
        held = self.holds.get(partition)
        return held.offset if held is not None else self.next_offset(partition, last)

    def sought(self, partition: int) -> None:
        """The worker has sought the partition back (a no-op if a rebalance settled it meanwhile)."""
        held = self.holds.get(partition)
        if held is not None:
            held.sought = True
            return
        jump = self.pending.get(partition)
        if jump is not None:
            jump.sought = self.clock()
            jump.seeks += 1

    def lost(self) -> None:
        """A hole accepted because the broker no longer has its records."""
        self.unrecovered += 1

    def forget(self, partition: int) -> None:
        """The partition is no longer this worker's: its next owner resumes it from the state."""
        self.pending.pop(partition, None)
        self.holds.pop(partition, None)

    def resumed(self, partition: int, offset: int) -> None:
        """The partition was sought to `offset` from the state (after a rebalance): whatever was
        pending is moot, and `offset` is what comes next when the state has no offset yet. A
        held partition was sought back to where it stopped (the state's offset): it is tried
        again now, and held again if the fold still raises."""
        self.pending.pop(partition, None)
        if partition in self.holds:
            self.holds[partition].sought = True
        self.floors[partition] = offset
