"""Knowledge time at commit: the recording time written into each event under the write lock.

The write side decides events before it takes the store's write lock (decisions read the
store through other connections), so the time it decided at is not the time the events became
part of the record: an import may decide at 10:00:00 and commit after another writer that
committed at 10:00:05. The recorders therefore stamp every event again once they hold the
lock, with `max(clock, recording time of the newest chained event)`: along positions the
recording time never decreases, so "what was known at K" is always a prefix of the log.

The stamp goes into the stored state itself (eventsourcing's `timestamp`, the knowledge time
of docs/audit.md), so the chain covers it as before. States written by this release begin
`{"schema":N,"timestamp":"…"` (tuoyu/domain/transcoder.py), which lets the stamp be replaced
without parsing the JSON, and lets the verifier tell stamped events from older ones (recorded
before this release, when recording times could decrease).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime

import orjson
from eventsourcing.persistence import StoredEvent

STAMPED_HEAD = b'{"schema":'  # how every state written since knowledge time at commit begins
_TIMESTAMP = b'"timestamp":"'


def iso(moment: datetime) -> str:
    """A recording time as the transcoder writes it (orjson's RFC 3339)."""
    return orjson.dumps(moment).decode()[1:-1]


def next_stamp(now: datetime, newest: str | None) -> str:
    """The recording time for events committed now, after the newest chained one: never earlier
    (two hosts' clocks, or one clock stepped back by NTP, must not make the record go back)."""
    if newest is not None and datetime.fromisoformat(newest) >= now:
        return newest
    return iso(now)


def is_stamped(state: bytes) -> bool:
    return state.startswith(STAMPED_HEAD)


def _timestamp_span(state: bytes) -> tuple[int, int]:
    start = state.find(_TIMESTAMP, 0, 64) if is_stamped(state) else -1
    if start < 0:
        raise ValueError(
            "a stored state without the leading schema and timestamp "
            "(tuoyu/domain/transcoder.py writes them): it cannot be stamped"
        )
    start += len(_TIMESTAMP)
    return start, state.index(b'"', start)


def stamped(stored_events: Sequence[StoredEvent], recorded_at: str) -> list[StoredEvent]:
    """The events with `recorded_at` as their recording time (other fields untouched)."""
    value = recorded_at.encode()
    out = []
    for s in stored_events:
        start, end = _timestamp_span(s.state)
        out.append(dataclasses.replace(s, state=s.state[:start] + value + s.state[end:]))
    return out


def as_recorded(stored_events: Sequence[StoredEvent], newest: str | None) -> tuple[list[StoredEvent], str | None]:
    """A history loaded whole (the demo): each event keeps the recording time it was given,
    raised to the newest before it where it is earlier. Returns the events and the newest time."""
    out = []
    for s in stored_events:
        start, end = _timestamp_span(s.state)
        own = s.state[start:end].decode()
        newest = next_stamp(datetime.fromisoformat(own), newest) if newest is not None else own
        out.append(
            s if newest == own else dataclasses.replace(s, state=s.state[:start] + newest.encode() + s.state[end:])
        )
    return out, newest


Clock = Callable[[], datetime]
