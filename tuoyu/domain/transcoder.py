"""Stored event state as plain JSON, encoded with orjson.

The platform's events hold only JSON values plus eventsourcing's `timestamp`. Storing the
timestamp as an RFC 3339 string (not eventsourcing's tagged `{"_type_": ...}` form) keeps the
rows readable by anything: the replay scan, the Kafka relay, an auditor with `psql`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from eventsourcing.persistence import Transcoder


class PlainJSONTranscoder(Transcoder):
    def encode(self, obj: dict[str, Any]) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> dict[str, Any]:
        state = orjson.loads(data)
        state["timestamp"] = datetime.fromisoformat(state["timestamp"])
        return state
