"""Folding a batch of messages into the worker's parts: pure, so it is tested without Kafka.

`fold_batch(parts, reads)` takes the parts as the table holds them and the messages read (each
with its source partition and offset, in offset order per partition, carrying stored states
and their positions) and returns the parts that changed and, per source partition, the offset
of the last message folded whole. It never changes what it is given: a part is copied the first
time the batch changes it, and each state is read as the fact the projections fold
(projections.facts.fact_from_state) from a copy, when it is folded.

Exactly once by position: a fact at or below its part's position was applied before (a message
sent twice, or read again after a restart) and is dropped. A part therefore never goes back.

A fact whose fold raises stops its partition there: nothing after it in that partition is
folded in this batch, the offset kept for the partition stays before the first message of
the batch that touched the fact's part, and the part is left as the table has it (a fold that
raised half-way may have changed it). The worker reads the partition again from there later
(progress.Reading): once the fold or the fact is fixed, it goes on. Other partitions go on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from tuoyu.projections.facts import Fact, fact_from_state
from tuoyu.projections.fold import Part, apply, new_part


@dataclass(frozen=True)
class Read:
    """One message as the worker read it: where from, and the stored states of `key` it carries
    (decoded from JSON) with their positions."""

    partition: int
    offset: int
    key: str
    positions: Sequence[int]
    states: Sequence[dict[str, Any]]


@dataclass(frozen=True)
class Stuck:
    """A partition stopped at a fact whose fold raised."""

    partition: int
    offset: int  # of the message to read again: the first of the batch that touched the part
    position: int  # of the fact whose fold raised
    key: str
    error: str


@dataclass
class Folded:
    changed: dict[str, Part] = field(default_factory=dict)
    read_to: dict[int, int] = field(default_factory=dict)  # partition: offset of the last message folded
    stuck: dict[int, Stuck] = field(default_factory=dict)
    applied: int = 0
    duplicates: int = 0

    def __iter__(self):  # (changed parts, read offsets), as the batch is mostly used
        return iter((self.changed, self.read_to))


def copy_part(part: Part) -> Part:
    """A deep copy of a part (plain JSON), several times faster than copy.deepcopy."""
    return orjson.loads(orjson.dumps(part))


def fold_batch(parts: Mapping[str, Part], reads: Sequence[Read], fold: Callable[[Part, Fact], Any] = apply) -> Folded:
    """Fold `reads` (in offset order per partition) into copies of `parts`. See the module's doc."""
    folded = Folded()
    first_touch: dict[str, int] = {}  # key: offset of the first message of this batch that changed it
    for read in reads:
        if read.partition in folded.stuck:
            continue
        part = folded.changed.get(read.key)
        for position, state in zip(read.positions, read.states, strict=True):
            if position <= (part or parts.get(read.key) or _EMPTY)["position"]:
                folded.duplicates += 1
                continue
            if part is None:
                held = parts.get(read.key)
                part = folded.changed[read.key] = copy_part(held) if held is not None else new_part()
                first_touch[read.key] = read.offset
            try:
                fold(part, fact_from_state(position, dict(state)))  # a copy: the read stays as it came
            except Exception as error:
                _stop(folded, read, position, first_touch.pop(read.key), error)
                break
            folded.applied += 1
        else:
            folded.read_to[read.partition] = read.offset
    return folded


_EMPTY = new_part()


def _stop(folded: Folded, read: Read, position: int, first_offset: int, error: Exception) -> None:
    """Leave the part as the table has it, and keep the partition's offset before the part's first
    message of this batch: everything of the part is read again from there."""
    del folded.changed[read.key]
    if read.partition in folded.read_to:
        folded.read_to[read.partition] = min(folded.read_to[read.partition], first_offset - 1)
    folded.stuck[read.partition] = Stuck(
        read.partition, first_offset, position, read.key, f"{type(error).__name__}: {error}"
    )
