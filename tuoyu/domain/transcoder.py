"""Stored event state as plain JSON, encoded with orjson, with a schema version.

The platform's events hold only JSON values plus eventsourcing's `timestamp`. Storing the
timestamp as an RFC 3339 string (not eventsourcing's tagged `{"_type_": ...}` form) keeps the
rows readable by anything: the replay scan, the Kafka relay, an auditor with `psql`.

Schema versions (the `schema` member, written first, then `timestamp`):
- 1: states written before knowledge time at commit (no `schema` member): personal values
  inline in the event, recording time taken when the batch was decided;
- 2: personal values replaced by salted digests under `personal` (tuoyu/domain/personal.py),
  recording time stamped under the store's write lock (tuoyu/persistence/stamping.py).

Every reader goes through `upcast`, the one place that turns an older state into the current
shape: the transcoder below (aggregates), and the fact reader of the projections
(tuoyu/projections/facts.py). A new version adds one function to UPCASTERS.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from tuoyu.domain.personal import Salts, SideRow, split

SCHEMA_VERSION = 2


def _v1_to_v2(state: dict[str, Any]) -> None:
    # Version 1 kept personal values inline: they stay where readers look for them, and the
    # state says it has no digests (nothing of it can be redacted without a migration).
    state.setdefault("personal", {})


UPCASTERS: dict[int, Callable[[dict[str, Any]], None]] = {1: _v1_to_v2}


def upcast(state: dict[str, Any]) -> dict[str, Any]:
    """A decoded state in the shape of the current schema (in place)."""
    version = state.get("schema", 1)
    while version < SCHEMA_VERSION:
        UPCASTERS[version](state)
        version += 1
    state["schema"] = version
    return state


class PlainJSONTranscoder(Transcoder):
    def encode(self, obj: dict[str, Any]) -> bytes:
        # `schema` and `timestamp` first: the recorder re-stamps the time under its write lock
        # without parsing the JSON (tuoyu/persistence/stamping.py).
        return orjson.dumps({"schema": SCHEMA_VERSION, "timestamp": obj["timestamp"], **obj})

    def decode(self, data: bytes) -> dict[str, Any]:
        """The state as a domain event's attributes, for rebuilding aggregates: decisions never
        depend on personal values, so they are not looked up (`recorded_by` reads None)."""
        state = upcast(orjson.loads(data))
        state["timestamp"] = datetime.fromisoformat(state["timestamp"])
        del state["schema"], state["personal"]
        state.setdefault("recorded_by", None)
        return state


@dataclasses.dataclass(frozen=True)
class PersonalStoredEvent(StoredEvent):
    """A stored event and the personal values held back from it, for the side table."""

    personal: tuple[SideRow, ...] = ()


class RecordingMapper(Mapper[Any]):
    """eventsourcing's mapper, holding personal values back from the stored state.

    to_stored_event follows eventsourcing 9.5's Mapper.to_stored_event (no compressor or
    cipher is configured here) on a copy of the event's state with the personal values split
    off: the domain event itself is left as it is, so the aggregate in memory keeps its values.
    """

    def __init__(self, transcoder: Transcoder) -> None:
        super().__init__(transcoder)
        self.salts = Salts()

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = dict(vars(domain_event))
        if isinstance(state.get("event"), dict):
            state["event"] = orjson.loads(orjson.dumps(state["event"]))  # split() edits it
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        rows = split(state, self.salts)
        return PersonalStoredEvent(
            originator_id, originator_version, get_topic(type(domain_event)), self.transcoder.encode(state), tuple(rows)
        )
