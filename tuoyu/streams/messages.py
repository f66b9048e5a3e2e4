"""What the relay publishes to `childcare.events`: the facts of one township, a batch at a time.

A message carries the consecutive facts of one key (a township, or "district" for facts
without one) from one round of the relay, in recorded order:

    key     b"wangping"
    value   {"key": "wangping", "first": 1201, "last": 1987, "facts": [fact, ...]}
    headers first, last (the positions of its first and last fact), count

Each fact is the stored fact as JSON, the same dict the projections fold. Why batches and not a
message per fact: a consumer pays for every message it handles (Faust's per-event path costs
some 100 µs, far more than folding a fact), and a township's facts are folded in order by one
consumer anyway. A batch is cut at MAX_FACTS facts or MAX_BYTES bytes, below the broker's
default message.max.bytes (1 MiB), so one message is never refused for its size.

Pure functions; the relay sends, the worker decodes into its typed record (worker.FactBatch).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from tuoyu.projections.facts import Fact, partition_of

MAX_FACTS = 500
MAX_BYTES = 768 * 1024
Message = tuple[bytes, bytes, list[tuple[str, bytes]]]


def encode(key: str, facts: list[Fact]) -> Message:
    """(key, value, headers) of one message carrying `facts`, all of `key`, in recorded order."""
    return _message(key, facts[0]["position"], facts[-1]["position"], [orjson.dumps(f) for f in facts])


def _message(key: str, first: int, last: int, encoded: list[bytes]) -> Message:
    # The value is put together from the facts encoded once each (their size decides the cut).
    value = b"".join(
        (orjson.dumps({"key": key, "first": first, "last": last})[:-1], b',"facts":[', b",".join(encoded), b"]}")
    )
    headers = [("first", str(first).encode()), ("last", str(last).encode()), ("count", str(len(encoded)).encode())]
    return key.encode(), value, headers


class _Chunk:
    __slots__ = ("encoded", "first", "last", "size")

    def __init__(self, first: int) -> None:
        self.first = self.last = first
        self.encoded: list[bytes] = []
        self.size = 0


def messages_of(facts: Iterable[Fact]) -> Iterator[Message]:
    """The messages that carry `facts` (one round of the relay, in recorded order): one per key
    in the order its first fact came, cut at MAX_FACTS facts or MAX_BYTES bytes."""
    by_key: dict[str, list[_Chunk]] = {}
    for fact in facts:
        encoded = orjson.dumps(fact)
        position = fact["position"]
        chunks = by_key.setdefault(partition_of(fact), [_Chunk(position)])
        chunk = chunks[-1]
        if chunk.encoded and (len(chunk.encoded) >= MAX_FACTS or chunk.size + len(encoded) > MAX_BYTES):
            chunk = _Chunk(position)
            chunks.append(chunk)
        chunk.encoded.append(encoded)
        chunk.size += len(encoded) + 1
        chunk.last = position
    for key, chunks in by_key.items():
        for chunk in chunks:
            yield _message(key, chunk.first, chunk.last, chunk.encoded)


def decode(value: bytes) -> dict[str, Any]:
    """The message's value as a dict (for tools and tests; the worker lets Faust decode it)."""
    return orjson.loads(value)
