"""`tuoyu audit redact`: erase one personal value of a recorded event, with a recorded reason.

The value and its salt leave the side table in the same transaction as the PersonalDataRedacted
event that says which value (position, field, digest), why and by whom. The chained state keeps
the digest, so `tuoyu verify` passes as before; readers see the field under `redacted`.
"""

from __future__ import annotations

from typing import Any

import orjson

from tuoyu.domain.problems import RuleViolation
from tuoyu.domain.redaction import Redaction
from tuoyu.domain.transcoder import upcast


class RedactionError(ValueError):
    """Nothing to redact there (exit 1)."""


def personal_paths(recorder: Any, position: int) -> dict[str, str]:
    """The personal fields of the event at `position` kept apart from the chain: path -> digest."""
    rows = recorder.select_event_rows(position - 1, 1, position)
    if not rows or rows[0][0] != position:
        raise RedactionError(f"no event is stored at position {position}")
    state = upcast(orjson.loads(rows[0][4]))
    return state["personal"]


def redact(registry: Any, position: int, path: str, reason: str, by: str) -> str:
    """Erase the value at `path` of the event at `position`; returns its digest."""
    paths = personal_paths(registry.recorder, position)
    if not paths:
        raise RedactionError(
            f"the event at position {position} keeps no personal value apart from the chain "
            "(none was given, or it was recorded before personal values were kept apart: "
            "docs/personal-data.md)"
        )
    if path not in paths:
        raise RedactionError(
            f"position {position} holds no personal value at {path!r}; its personal fields: {', '.join(sorted(paths))}"
        )
    digest = paths[path]
    if registry.load(Redaction.create_id(digest)) is not None:
        raise RedactionError(f"the value at {path!r} of position {position} was redacted already")
    try:
        redaction = Redaction.record(position, path, digest, reason, by, registry.clock())
    except RuleViolation as violation:
        raise RedactionError(violation.message) from None
    registry.save(redaction, erase=[digest])
    return digest
