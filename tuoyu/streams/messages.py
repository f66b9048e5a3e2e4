"""What the relay publishes to `childcare.events`: the stored events of one township, a batch at a time.

A message carries consecutive stored events of one key (a township, or "district" for events
without one) from one round of the relay, in recorded order:

    key     b"wangping"
    value   {"key": "wangping", "first": 1201, "last": 1987,
             "positions": [1201, 1210, ...], "states": [state, ...]}
    headers first, last (the positions of its first and last event), count

Each state is the stored event's state exactly as the store holds it (the JSON bytes passed
through, never decoded and encoded again): personal values are salted digests there, so Kafka,
whose topic keeps every record, never holds a value that `tuoyu audit redact` could no longer
erase (docs/personal-data.md). The worker makes each state the fact the projections fold with
projections.facts.fact_from_state, as every reader of the store does; no figure depends on a
personal value.

Why batches and not a message per event: a consumer pays for every message it handles (Faust's
per-event path costs some 100 µs, far more than folding a fact), and a township's facts are
folded in order by one consumer anyway. A batch is cut at MAX_FACTS events or MAX_BYTES bytes,
below the broker's default message.max.bytes (1 MiB), so one message is never refused for its
size.

Pure functions; the relay sends, the worker decodes into its typed record (worker.FactBatch).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from tuoyu.domain.catalogue import DISTRICT
from tuoyu.projections.facts import Fact, fact_from_state

MAX_FACTS = 500
MAX_BYTES = 768 * 1024
Message = tuple[bytes, bytes, list[tuple[str, bytes]]]
Stored = tuple[int, bytes]  # (position, state) as the recorder's select_states gives them

_CONTEXT = b'"context":{'
_TOWNSHIP_FIRST = b'"township":'


def key_of(state: bytes) -> str:
    """The township of a stored state (its context's), or "district": what
    projections.facts.partition_of gives for its fact, read without decoding the state.

    The transcoder writes the context after the event, followed only by `personal` (digests);
    no event has an object member named "context" (the schema closes every object), and inside
    a JSON string the quotes would be escaped. So the last `"context":{` of the bytes opens the
    state's own context. When the township comes first in it (as the domain writes it) it is
    read from the bytes; anything else is decoded."""
    at = state.rfind(_CONTEXT)
    start = at + len(_CONTEXT) + len(_TOWNSHIP_FIRST)
    if at >= 0 and state.startswith(_TOWNSHIP_FIRST, at + len(_CONTEXT)):
        if state.startswith(b"null", start):
            return DISTRICT
        end = state.find(b'"', start + 1)
        if state[start : start + 1] == b'"' and end > start + 1 and b"\\" not in state[start:end]:
            return state[start + 1 : end].decode()
    return orjson.loads(state)["context"].get("township") or DISTRICT


def encode(key: str, stored: list[Stored]) -> Message:
    """(key, value, headers) of one message carrying `stored`, all of `key`, in recorded order."""
    return _message(key, [position for position, _ in stored], [state for _, state in stored])


def _message(key: str, positions: list[int], states: list[bytes]) -> Message:
    first, last = positions[0], positions[-1]
    head = orjson.dumps({"key": key, "first": first, "last": last, "positions": positions})
    value = b"".join((head[:-1], b',"states":[', b",".join(states), b"]}"))
    headers = [("first", str(first).encode()), ("last", str(last).encode()), ("count", str(len(states)).encode())]
    return key.encode(), value, headers


class _Chunk:
    __slots__ = ("positions", "states", "size")

    def __init__(self) -> None:
        self.positions: list[int] = []
        self.states: list[bytes] = []
        self.size = 0


def messages_of(stored: Iterable[Stored]) -> Iterator[Message]:
    """The messages that carry `stored` (one round of the relay, in recorded order): one per key
    in the order its first event came, cut at MAX_FACTS events or MAX_BYTES bytes."""
    by_key: dict[str, list[_Chunk]] = {}
    for position, state in stored:
        key = key_of(state)
        chunks = by_key.get(key)
        if chunks is None:
            chunks = by_key[key] = [_Chunk()]
        chunk = chunks[-1]
        if chunk.states and (len(chunk.states) >= MAX_FACTS or chunk.size + len(state) > MAX_BYTES):
            chunk = _Chunk()
            chunks.append(chunk)
        chunk.positions.append(position)
        chunk.states.append(state)
        chunk.size += len(state) + 12  # the comma and the position
    for key, chunks in by_key.items():
        for chunk in chunks:
            yield _message(key, chunk.positions, chunk.states)


def decode(value: bytes) -> dict[str, Any]:
    """The message's value as a dict (for tools and tests; the worker lets Faust decode it)."""
    return orjson.loads(value)


def facts_of(body: dict[str, Any]) -> list[Fact]:
    """The facts a decoded message carries, as the projections fold them (made in place)."""
    return [fact_from_state(position, state) for position, state in zip(body["positions"], body["states"], strict=True)]
