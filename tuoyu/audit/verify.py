"""Recomputing the chain and saying where, and how, the record disagrees with it.

The verifier walks the stored events and the chain table together, in position order, and
stops at the first position where they disagree:

- modified:  the event at p is not what was chained at p (its canonical bytes changed), or the
             chain row at p was rewritten so that it no longer follows from the link before it;
- reordered: the event at p is one that was chained at another position q (rows swapped or moved);
- deleted:   p was chained but no event is stored at p;
- inserted:  an event is stored at p but p was never chained, or a chain row at p does not
             follow from the chain before it while no event is stored at p (an extra link).

Someone able to write the database can also rewrite the chain table so that it agrees with
their changes. Only a checkpoint kept outside the store (a position, its link and the number of
events up to it, handed to a third party) catches that: if the link recomputed from the store at
the checkpoint position differs, the change is reported "at or before" that position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from tuoyu.audit.chain import GENESIS, ChainRow, EventRow, canonical_bytes, link
from tuoyu.audit.checkpoint import Checkpoint

KIND_ZH = {"modified": "被修改", "deleted": "被删除", "inserted": "被插入", "reordered": "被调换顺序"}


@dataclass(frozen=True)
class Finding:
    kind: str
    position: int
    detail: str
    at_or_before: bool = False  # found only through a checkpoint: the first change is at or before

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "position": self.position, "at_or_before": self.at_or_before,
                "detail": self.detail}


@dataclass(frozen=True)
class Verdict:
    events: int  # events checked
    head: ChainRow | None  # the last chained position, when intact
    finding: Finding | None
    checkpoint_checked: bool = False

    @property
    def intact(self) -> bool:
        return self.finding is None

    def as_dict(self) -> dict[str, Any]:
        return {"intact": self.intact, "events": self.events, "checkpoint_checked": self.checkpoint_checked,
                "head": None if self.head is None else {"position": self.head.position, "link": self.head.link.hex()},
                "finding": None if self.finding is None else self.finding.as_dict()}


def _merged(events: Iterable[EventRow], chain: Iterable[ChainRow]) -> Iterator[tuple[int, EventRow | None,
                                                                                        ChainRow | None]]:
    """(position, event or None, chain row or None) over the union of positions, in order."""
    events, chain = iter(events), iter(chain)
    e, c = next(events, None), next(chain, None)
    while e is not None or c is not None:
        if c is None or (e is not None and e.position < c.position):
            yield e.position, e, None
            e = next(events, None)
        elif e is None or c.position < e.position:
            yield c.position, None, c
            c = next(chain, None)
        else:
            yield e.position, e, c
            e, c = next(events, None), next(chain, None)


def verify(events: Iterable[EventRow], chain: Iterable[ChainRow], checkpoint: Checkpoint | None = None,
           chained_at: Callable[[bytes], int | None] = lambda digest: None,
           stored_at: Callable[[bytes], int | None] = lambda digest: None) -> Verdict:
    """Check `events` against `chain` (both in position order) and against an outside checkpoint.

    `chained_at(digest)` finds the position a digest was chained at, and `stored_at(digest)` the
    position of the stored event with that digest: called only once something differs, to tell a
    reordering (an event chained at one position, found at another) from a modification or deletion.
    """
    previous = GENESIS  # the link of the previous chain row, as stored
    previous_position = 0
    last: ChainRow | None = None
    checked = 0
    checkpoint_checked = False
    for position, e, c in _merged(events, chain):
        if checkpoint is not None and not checkpoint_checked and position > checkpoint.position:
            # Nothing is stored at the checkpoint position any more.
            return Verdict(checked, None, Finding(
                "deleted", checkpoint.position, f"the checkpoint's position {checkpoint.position} holds no event "
                "and no chain link any more", at_or_before=True))
        if e is not None:
            checked += 1
        if c is None:
            return Verdict(checked, None, Finding("inserted", position, "an event is stored at a position that "
                                                  "was never chained"))
        digest = c.digest
        if link(previous, position, c.recorded_at, digest) != c.link:
            if e is None:
                return Verdict(checked, None, Finding("inserted", position, "a chain link that does not follow "
                                                      "from the chain before it, with no event"))
            # Either this chain row was rewritten, or the record before it was rewritten together
            # with its chain rows up to here (then only a checkpoint can say how far back).
            return Verdict(checked, None, Finding(
                "modified", position, "the chain row does not follow from the link before it: the chain row "
                f"was rewritten, or the record at or before position {previous_position} was rewritten with "
                "its chain"))
        if e is None:
            elsewhere = stored_at(digest)
            if elsewhere is not None:
                return Verdict(checked, None, Finding("reordered", position, "the event chained at this position "
                                                      f"is stored at position {elsewhere}"))
            return Verdict(checked, None, Finding("deleted", position, "the event chained at this position is "
                                                  "no longer stored"))
        actual = sha256(canonical_bytes(e.originator_id, e.version, e.topic, e.state)).digest()
        if actual != digest:
            elsewhere = chained_at(actual)
            if elsewhere is not None and elsewhere != position:
                return Verdict(checked, None, Finding("reordered", position, f"holds the event chained at "
                                                      f"position {elsewhere}"))
            return Verdict(checked, None, Finding("modified", position, "the stored event differs from the one "
                                                  "chained at this position"))
        previous, previous_position, last = c.link, position, c
        if checkpoint is not None and position == checkpoint.position:
            checkpoint_checked = True
            finding = _against_checkpoint(checkpoint, c.link, checked)
            if finding is not None:
                return Verdict(checked, None, finding, True)
    if checkpoint is not None and not checkpoint_checked:
        end = last.position if last else 0
        return Verdict(checked, None, Finding(
            "deleted", end + 1, f"the record ends at position {end}, before the checkpoint's position "
            f"{checkpoint.position}: events after {end} were deleted", at_or_before=False), False)
    return Verdict(checked, last, None, checkpoint_checked)


def _against_checkpoint(checkpoint: Checkpoint, actual: bytes, events: int) -> Finding | None:
    if actual == checkpoint.link:
        return None
    # The chain table agrees with the events, but not with the outside record: the chain was
    # rewritten along with the events. The count of events up to the checkpoint tells the kind.
    if events < checkpoint.events:
        kind = "deleted"
    elif events > checkpoint.events:
        kind = "inserted"
    else:
        kind = "modified"
    return Finding(kind, checkpoint.position, f"the chain at position {checkpoint.position} differs from the "
                   f"checkpoint ({events} events now, {checkpoint.events} then): the record and its chain were "
                   f"rewritten at or before position {checkpoint.position}"
                   + (" (modified or reordered)" if kind == "modified" else ""), at_or_before=True)
