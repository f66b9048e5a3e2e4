"""The hash chain over the stored events, in global order (docs/audit.md is the specification).

Pure functions only: the recorders call them when they insert events (the chain is written in
the same transaction), the verifier calls them when it recomputes the chain from the store or
from a bundle. Everything is defined on bytes so that a third party can re-implement it:

    field(b)      = len(b) as 8-byte big-endian || b
    canonical(e)  = field(originator_id) || field(version) || field(topic) || field(state)
        originator_id = the aggregate's UUID as 32 lowercase hex digits (ASCII)
        version       = originator_version in decimal (ASCII)
        topic         = the event class topic (UTF-8)
        state         = the stored state bytes exactly as stored (plain JSON, see transcoder.py)
    link(p)       = SHA-256(link(previous) || p as 8-byte big-endian || field(recorded_at) || canonical(e))
    digest(e)     = SHA-256(canonical(e))
    link(genesis) = 32 zero bytes; "previous" is the chained position just below p (positions may
                    have gaps: PostgreSQL sequences skip the ids of rolled-back inserts).

recorded_at is the state's top-level "timestamp" string, as stored (the recording time).
Length prefixes make the encoding unambiguous: no two different records share canonical bytes.
The link hashes the canonical bytes themselves, so verifying costs one SHA-256 per event; the
digest is stored beside it only to tell, once something differs, which event moved where.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from hashlib import sha256
from typing import NamedTuple
from uuid import UUID

import orjson

GENESIS = bytes(32)
u64 = struct.Struct(">Q").pack  # 8-byte big-endian: positions and length prefixes


class ChainBroken(RuntimeError):
    """The chain cannot be extended: the store was altered outside the platform."""


class EventRow(NamedTuple):
    """A stored event as the verifier reads it, from a store or from a bundle."""

    position: int
    originator_id: str  # 32 lowercase hex digits
    version: int
    topic: str
    state: bytes


class ChainRow(NamedTuple):
    position: int
    recorded_at: str
    digest: bytes
    link: bytes


# What the recorders' bulk reads return: plain tuples in the field order of EventRow and
# ChainRow. The verifier reads millions of rows, and a named tuple for each would add about
# 0.2 us a row, some 5 % of verifying it. Every EventRow is an EventFields, every ChainRow a
# ChainFields.
EventFields = tuple[int, str, int, str, bytes]
ChainFields = tuple[int, str, bytes, bytes]


def originator_hex(originator_id: UUID | str) -> str:
    """The canonical form of an originator id: SQLite stores it as hex text, PostgreSQL as uuid."""
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


def canonical_bytes(originator_id: str, version: int, topic: str, state: bytes) -> bytes:
    # Written out rather than looped: the verifier calls this once per event (bench/verify.py).
    o, v, t = originator_id.encode(), str(version).encode(), topic.encode()
    return b"".join((u64(len(o)), o, u64(len(v)), v, u64(len(t)), t, u64(len(state)), state))


def row_digest(row: EventFields) -> bytes:
    return sha256(canonical_bytes(row[1], row[2], row[3], row[4])).digest()


def link(previous: bytes, position: int, recorded_at: str, canonical: bytes) -> bytes:
    r = recorded_at.encode()
    return sha256(b"".join((previous, u64(position), u64(len(r)), r, canonical))).digest()


def recorded_at_of(state: bytes) -> str:
    return orjson.loads(state)["timestamp"]


def chain_rows(previous: bytes, rows: Sequence[EventFields]) -> list[ChainRow]:
    """The chain rows of newly inserted events (in position order), after the link `previous`."""
    chained = []
    for row in rows:
        recorded_at = recorded_at_of(row[4])
        canonical = canonical_bytes(row[1], row[2], row[3], row[4])
        previous = link(previous, row[0], recorded_at, canonical)
        chained.append(ChainRow(row[0], recorded_at, sha256(canonical).digest(), previous))
    return chained
