"""Recomputing the chain and saying where, and how, the record disagrees with it.

The verifier walks the stored events and the chain table together, in position order, and
stops at the first position where they disagree:

- modified:  the event at p is not what was chained at p (its canonical bytes changed), or the
             chain row at p was rewritten so that it no longer follows from the link before it;
- reordered: the event at p is one that was chained at another position q (rows swapped), or
             the event chained at p is now stored at another position (moved);
- deleted:   p was chained but no event is stored at p;
- inserted:  an event is stored at p but p was never chained, or a chain row at p with no event
             that the chain does not pass through (an extra link).

Each event is checked against the STORED link before it (not the recomputed one): the first
change is then reported where it is, not at every position after it, and ranges of positions
can be verified independently (store.py does so in worker processes).

Someone able to write the database can also rewrite the chain table so that it agrees with
their changes. Only a checkpoint kept outside the store (a position, its link and the number of
events up to it, handed to a third party) catches that: if the link recomputed from the store at
the checkpoint position differs, the change is reported "at or before" that position.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from typing import Any

from tuoyu.audit.checkpoint import Checkpoint
from tuoyu.audit.merkle import TreeBuilder
from tuoyu.persistence.chain import GENESIS, ChainFields, ChainRow, EventFields, canonical_bytes, link, u64
from tuoyu.persistence.stamping import STAMPED_HEAD

NEVER = 2**63
KIND_ZH = {"modified": "被修改", "deleted": "被删除", "inserted": "被插入", "reordered": "被调换顺序"}


@dataclass(frozen=True)
class Finding:
    kind: str
    position: int
    detail: str
    at_or_before: bool = False  # found only through a checkpoint: the first change is at or before

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "position": self.position, "at_or_before": self.at_or_before, "detail": self.detail}


@dataclass(frozen=True)
class Verdict:
    events: int  # events checked
    head: ChainRow | None  # the last chained position, when intact
    finding: Finding | None
    checkpoint_checked: bool = False
    root: bytes | None = None  # the Merkle root over the links checked, when asked for (tree=True)
    # Recording times of the first and last events stamped at commit (ranges verified apart
    # are joined by comparing them: knowledge time never decreases along positions).
    first_stamp: str | None = None
    last_stamp: str | None = None

    @property
    def intact(self) -> bool:
        return self.finding is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "events": self.events,
            "checkpoint_checked": self.checkpoint_checked,
            "head": None if self.head is None else {"position": self.head.position, "link": self.head.link.hex()},
            "finding": None if self.finding is None else self.finding.as_dict(),
        }


def verify(
    events: Iterable[EventFields],
    chain: Iterable[ChainFields],
    checkpoint: Checkpoint | None = None,
    chained_at: Callable[[bytes], int | None] = lambda digest: None,
    stored_at: Callable[[bytes], int | None] = lambda digest: None,
    start: ChainRow | None = None,
    tree: bool = False,
) -> Verdict:
    """Check `events` against `chain` (both in position order) and against an outside checkpoint.

    `start` is the chain row just before the first of them, when verifying a later range alone.

    Rows may be plain tuples in the field order of EventRow and ChainRow (the recorders return
    them so, to save building a named tuple per row). `chained_at(digest)` finds the position a
    digest was chained at, and `stored_at(digest)` the position of the stored event with that
    digest: called only once something differs, to tell a reordering (an event chained at one
    position, found at another) from a modification or deletion.
    """
    walk = _Walk(checkpoint, start, tree)
    # A None after each stream marks its end, so that zip never drops a row of the longer one.
    ended_events = itertools.chain(events, (None,))
    ended_chain = itertools.chain(chain, (None,))
    finding, e, c = walk.along(ended_events, ended_chain, chained_at)
    if finding is None and (e is not None or c is not None):
        finding = walk.where_they_part(e, c, ended_chain, chained_at, stored_at)
    if finding is None:
        finding = walk.checkpoint_unreached()
    return walk.verdict(finding)


class _Walk:
    """What the verifier knows as it walks the events and the chain together."""

    def __init__(self, checkpoint: Checkpoint | None, start: ChainRow | None, tree: bool) -> None:
        self.checkpoint = checkpoint
        self.previous = GENESIS if start is None else start[3]  # the link of the previous chain row, as stored
        self.previous_position = 0 if start is None else start[0]
        self.last: Any = None
        self.checked = 0
        self.checkpoint_checked = False
        self.watch = checkpoint.position if checkpoint is not None else NEVER
        # The Merkle tree of the links, for a signed checkpoint's root (up to it) or for a new one.
        wanted = tree or (checkpoint is not None and checkpoint.root is not None)
        self.builder: TreeBuilder | None = TreeBuilder() if wanted else None
        self.keep_building = tree
        self.first_stamp: str | None = None
        self.stamp = ""
        self.stamp_moment: datetime | None = None

    def along(
        self, events: Iterator[Any], chain: Iterator[Any], chained_at: Callable[[bytes], int | None]
    ) -> tuple[Finding | None, Any, Any]:
        """The hot loop, kept tight: each event and its chain row at the same position. Returns a
        finding, or None and the first rows (or end marks) where the two streams part."""
        previous, previous_position, last, checked = self.previous, self.previous_position, self.last, self.checked
        builder, watch = self.builder, self.watch
        # Length-prefixed fields repeat (a few topics, thousands of aggregates, small versions):
        # caching them keeps the per-event work to one join and one SHA-256 (bench/verify.py).
        ids: dict[str, bytes] = {}
        topics: dict[str, bytes] = {}
        versions: dict[int, bytes] = {}
        finding: Finding | None = None
        e = c = None
        for e, c in zip(events, chain, strict=False):
            if e is None or c is None or e[0] != c[0]:
                break
            position, originator_id, version, topic, state = e
            if position > watch:
                finding = _missing(watch)
                break
            o = ids.get(originator_id)
            if o is None:
                if len(ids) > 100_000:
                    ids.clear()
                raw = originator_id.encode()
                o = ids[originator_id] = u64(len(raw)) + raw
            v = versions.get(version)
            if v is None:
                raw = str(version).encode()
                v = versions[version] = u64(len(raw)) + raw
            t = topics.get(topic)
            if t is None:
                raw = topic.encode()
                t = topics[topic] = u64(len(raw)) + raw
            r = c[1].encode()
            checked += 1
            if (
                sha256(b"".join((previous, u64(position), u64(len(r)), r, o, v, t, u64(len(state)), state))).digest()
                != c[3]
            ):
                finding = _mismatch(e, c, previous_position, chained_at)
                break
            previous, previous_position, last = c[3], position, c
            if builder is not None:
                builder.append(sha256(b"\x00" + previous).digest())
            if c[1] != self.stamp and state[:10] == STAMPED_HEAD:
                finding = self._stamped(position, c[1])
            if finding is None and position == watch:
                self.previous, self.checked = previous, checked
                finding = self._at_checkpoint()
                builder, watch = self.builder, self.watch
            if finding is not None:
                break
        else:
            e = c = None
        self.previous, self.previous_position, self.last, self.checked = previous, previous_position, last, checked
        return finding, e, c

    def _stamped(self, position: int, recorded_at: str) -> Finding | None:
        """Stamped under the write lock: never earlier than the stamped event before it."""
        moment = datetime.fromisoformat(recorded_at)
        if self.stamp_moment is not None and moment < self.stamp_moment:
            return Finding(
                "modified",
                position,
                f"recorded at {recorded_at}, before the event before it "
                f"({self.stamp}): recording times never go back along positions",
            )
        self.first_stamp = self.first_stamp or recorded_at
        self.stamp, self.stamp_moment = recorded_at, moment
        return None

    def _at_checkpoint(self) -> Finding | None:
        assert self.checkpoint is not None
        self.checkpoint_checked, self.watch = True, NEVER
        finding = _against_checkpoint(self.checkpoint, self.previous, self.checked, self.builder)
        if finding is None and not self.keep_building:
            self.builder = None
        return finding

    def where_they_part(
        self,
        e: Any,
        c: Any,
        chain: Iterator[Any],
        chained_at: Callable[[bytes], int | None],
        stored_at: Callable[[bytes], int | None],
    ) -> Finding:
        """The diagnosis at the first position where the event and the chain row are not both there."""
        position = c[0] if e is None or (c is not None and c[0] < e[0]) else e[0]
        if position > self.watch:
            return _missing(self.watch)
        if c is None or c[0] != position:
            return Finding("inserted", position, "an event is stored at a position that was never chained")
        # A chain row with no event at its position: an event deleted or moved, or a link added.
        first = chained_at(c[2])
        if first is not None and first != position:
            return Finding("inserted", position, f"a chain link repeating the one of position {first}, with no event")
        elsewhere = stored_at(c[2])
        if elsewhere is not None:
            return Finding(
                "reordered", position, f"the event chained at this position is stored at position {elsewhere}"
            )
        following = next(chain, None)
        if (
            e is not None
            and following is not None
            and following[0] == e[0]
            and _link_of(self.previous, e, following) == following[3]
            and _link_of(c[3], e, following) != following[3]
        ):
            # The next event was chained on the link before this row: this row was never part of it.
            return Finding("inserted", position, "a chain link that the chain does not pass through, with no event")
        return Finding("deleted", position, "the event chained at this position is no longer stored")

    def checkpoint_unreached(self) -> Finding | None:
        if self.checkpoint is None or self.checkpoint_checked:
            return None
        end = self.last[0] if self.last else 0
        return Finding(
            "deleted",
            end + 1,
            f"the record ends at position {end}, before the checkpoint's "
            f"position {self.checkpoint.position}: events after {end} were deleted",
        )

    def verdict(self, finding: Finding | None) -> Verdict:
        if finding is not None:
            return Verdict(self.checked, None, finding, self.checkpoint_checked)
        return Verdict(
            self.checked,
            None if self.last is None else ChainRow(*self.last),
            None,
            self.checkpoint_checked,
            self.builder.root() if self.builder is not None else None,
            self.first_stamp,
            self.stamp or None,
        )


def _link_of(previous: bytes, e: EventFields, c: ChainFields) -> bytes:
    return link(previous, e[0], c[1], canonical_bytes(e[1], e[2], e[3], e[4]))


def _mismatch(
    e: EventFields, c: ChainFields, previous_position: int, chained_at: Callable[[bytes], int | None]
) -> Finding:
    """Why the link recomputed at e's position differs from the chain row's."""
    position = e[0]
    actual = sha256(canonical_bytes(e[1], e[2], e[3], e[4])).digest()
    if actual != c[2]:
        elsewhere = chained_at(actual)
        if elsewhere is not None and elsewhere != position:
            return Finding("reordered", position, f"holds the event chained at position {elsewhere}")
        return Finding("modified", position, "the stored event differs from the one chained at this position")
    # The event is the one chained here, yet the link does not follow: either this chain row was
    # rewritten, or the record before it was rewritten together with its chain rows up to here
    # (then only a checkpoint can say how far back).
    if not previous_position:
        return Finding(
            "modified", position, "the first chain row does not follow from the start of the chain: it was rewritten"
        )
    return Finding(
        "modified",
        position,
        "the chain row does not follow from the link before it: the chain row "
        f"was rewritten, or the record at or before position {previous_position} was rewritten with "
        "its chain",
    )


def _missing(position: int) -> Finding:
    return Finding(
        "deleted",
        position,
        f"the checkpoint's position {position} holds no event and no chain link any more",
        at_or_before=True,
    )


def _against_checkpoint(
    checkpoint: Checkpoint, actual: bytes, events: int, builder: TreeBuilder | None
) -> Finding | None:
    same_root = checkpoint.root is None or (
        builder is not None and builder.size == checkpoint.events and builder.root() == checkpoint.root
    )
    if actual == checkpoint.link and same_root:
        return None
    # The chain table agrees with the events, but not with the outside record: the chain was
    # rewritten along with the events. The count of events up to the checkpoint tells the kind.
    if events < checkpoint.events:
        kind = "deleted"
    elif events > checkpoint.events:
        kind = "inserted"
    else:
        kind = "modified"
    return Finding(
        kind,
        checkpoint.position,
        f"the chain at position {checkpoint.position} differs from the "
        f"checkpoint ({events} events now, {checkpoint.events} then): the record and its chain were "
        f"rewritten at or before position {checkpoint.position}"
        + (" (modified or reordered)" if kind == "modified" else ""),
        at_or_before=True,
    )
