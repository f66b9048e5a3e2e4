"""Personal data in the record: which fields hold it, and how it is kept apart from the chain.

Free-text and identifying fields (docs/personal-data.md says which, and why) are not stored in
the event. The stored state keeps, under `personal`, a salted SHA-256 digest of each such
value, keyed by the field's path in the state; the value and its salt go to a side table
(`tuoyu_personal`) in the same transaction. The hash chain covers the state, so it covers the
digest: a value read back from the side table is proved to be the recorded one, and erasing it
(`tuoyu audit redact`) leaves every link intact. Without its salt a digest cannot be matched
against guessed values (a name, an address), so an erased value stays erased.

The table is data: a new event type with free text adds one line to PERSONAL_FIELDS.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

# Fields of the interchange event (dotted paths below `event`) that hold personal data, by
# event type; "*" applies to every type.
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "*": ("note",),
    "InstitutionFiled": ("address", "operator"),
    "FilingChanged": ("changes.address", "changes.operator"),
    "InclusiveStatusRevoked": ("reason",),
    "InstitutionClosed": ("reason",),
    "InspectionRecorded": ("findings",),
    "IncidentReported": ("description",),
    "AlertAcknowledged": ("acknowledged_by",),
    "TokenGranted": ("name",),
    "TokenRevoked": ("name",),
}
# Top-level members of the stored state that hold personal data (who recorded the event: a
# token's name, often an officer's).
STATE_FIELDS = ("recorded_by",)

SideRow = tuple[str, str, str]  # (digest hex, salt hex, value as JSON text)


def fields_of(event_type: str) -> tuple[str, ...]:
    return PERSONAL_FIELDS["*"] + PERSONAL_FIELDS.get(event_type, ())


def value_digest(salt: bytes, value_json: bytes) -> str:
    """SHA-256(salt || value as JSON text), hex: what the chained state keeps of a value."""
    return hashlib.sha256(salt + value_json).hexdigest()


class Salts:
    """One random salt per distinct value for the life of a writer: a value repeated over many
    events (an importer's name on a million of them) is stored once, and redacting it erases it
    from all of them. Bounded, so a long-running writer keeps memory flat."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self.known: dict[bytes, tuple[str, str]] = {}

    def seal(self, value_json: bytes) -> tuple[str, str]:
        """(digest, salt) of a value."""
        sealed = self.known.get(value_json)
        if sealed is None:
            if len(self.known) >= self.limit:
                self.known.clear()
            salt = os.urandom(16)
            sealed = self.known[value_json] = (value_digest(salt, value_json), salt.hex())
        return sealed


def _take(container: dict[str, Any], path: str) -> tuple[bool, Any]:
    """Remove the value at a dotted path (True and the value), or (False, None) if absent."""
    *parents, last = path.split(".")
    for name in parents:
        child = container.get(name)
        if not isinstance(child, dict):
            return False, None
        container = child
    if last not in container:
        return False, None
    return True, container.pop(last)


def _put(container: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for name in parents:
        container = container.setdefault(name, {})
    container[last] = value


def split(state: dict[str, Any], salts: Salts) -> list[SideRow]:
    """Move the personal values out of a state about to be stored (in place): the state keeps
    their digests under `personal`; returns the side rows to store with it."""
    personal: dict[str, str] = {}
    rows: list[SideRow] = []
    event = state.get("event")
    paths = [f"event.{p}" for p in fields_of(event.get("type", ""))] if isinstance(event, dict) else []
    for path in (*STATE_FIELDS, *paths):
        found, value = _take(state, path)
        if not found or value is None:
            continue
        value_json = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        digest, salt = salts.seal(value_json)
        personal[path] = digest
        rows.append((digest, salt, value_json.decode()))
    if personal:
        state["personal"] = personal
    return rows


def digests_of(states: Iterable[Mapping[str, Any]], skip: tuple[str, ...] = ()) -> set[str]:
    """The digests the states refer to (those at paths in `skip` left out)."""
    found: set[str] = set()
    for state in states:
        personal = state.get("personal")
        if personal:
            for path, digest in personal.items():
                if path not in skip:
                    found.add(digest)
    return found


def restore(state: dict[str, Any], values: Mapping[str, Any], skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Put the personal values still held back into a read state (in place); `values` maps a
    digest to its value, decoded (see decoded). Paths whose value was erased are listed under
    `redacted`; the digests stay under `personal`."""
    personal = state.get("personal")
    if not personal:
        return state
    redacted = []
    for path, digest in personal.items():
        if path in skip:
            continue
        if digest not in values:
            redacted.append(path)
        elif "." in path:
            _put(state, path, values[digest])
        else:  # recorded_by, on every event: the replay's hot path
            state[path] = values[digest]
    if redacted:
        state["redacted"] = redacted
    return state


def decoded(values: Mapping[str, str]) -> dict[str, Any]:
    """Side-table values (JSON text) decoded once, for every event of a page that shares them."""
    return {digest: orjson.loads(text) for digest, text in values.items()}
