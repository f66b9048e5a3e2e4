"""Stores that hold what the boundary refuses now: events an earlier version accepted (a
lower-case `z`, a year no reader converts) or that no version would write (a field missing),
stored as the platform stores events but without its checks."""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import StoredEvent

from tuoyu.domain.application import Registry


def record_unchecked(app: Registry, event: dict[str, Any], **stored: Any) -> int:
    """Decide `event` (valid), store it with the fields of `stored` put into (or, when None,
    taken out of) the stored interchange event, bypassing the schema check; its position."""
    decisions = app.decide([event], recorded_by="earlier version")
    [domain_event] = decisions.domain_events
    valid = app.mapper.to_stored_event(domain_event)
    state = orjson.loads(valid.state)
    for name, value in stored.items():
        if value is None:
            del state["event"][name]
        else:
            state["event"][name] = value
    altered = StoredEvent(valid.originator_id, valid.originator_version, valid.topic, orjson.dumps(state))
    app.recorder.insert_events([altered])
    return app.position()
