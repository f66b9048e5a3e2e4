"""What the recorders write beside the events, in the same transaction, whatever the store:
the personal values held back from the events, and the token view (token grants and
revocations are events; the table that authenticates requests is derived from them)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from eventsourcing.persistence import StoredEvent

from tuoyu.persistence.chain import ChainBroken, originator_hex

TOKEN_GRANTED = "tuoyu.domain.tokens:Token.Granted"
TOKEN_REVOKED = "tuoyu.domain.tokens:Token.Revoked"


def unchained_store() -> ChainBroken:
    return ChainBroken(
        "the store holds events that were never chained (a store recorded before the audit chain, "
        "or one whose chain table was emptied or dropped): nothing is recorded until "
        "`tuoyu verify` is run and, for a store that predates the chain, `tuoyu audit migrate`"
    )


@dataclass(frozen=True)
class Side:
    values: list[tuple[str, str, str]]  # (digest, salt, value) to hold
    erase: Sequence[str]  # digests whose values are erased (a redaction)

    @classmethod
    def of(cls, stored_events: Sequence[StoredEvent], erase: Sequence[str] = ()) -> Side:
        values = [row for s in stored_events for row in getattr(s, "personal", ())]
        return cls(values, erase)


@dataclass(frozen=True)
class TokenChange:
    granted: tuple[Any, ...] | None  # (token_id, name, role, digest, created_at, name_digest)
    revoked: tuple[Any, ...] | None  # (revoked_at, token_id)


def token_changes(stored_events: Sequence[StoredEvent]) -> Iterator[TokenChange]:
    for s in stored_events:
        if s.topic not in (TOKEN_GRANTED, TOKEN_REVOKED):
            continue
        state = orjson.loads(s.state)
        token_id = originator_hex(s.originator_id)
        if s.topic == TOKEN_REVOKED:
            yield TokenChange(None, (state["timestamp"], token_id))
            continue
        name_digest = state.get("personal", {}).get("event.name")
        held = {digest: value for digest, _, value in getattr(s, "personal", ())}
        name = orjson.loads(held[name_digest]) if name_digest in held else state["event"]["name"]
        event = state["event"]
        yield TokenChange((token_id, name, event["role"], event["token_digest"], state["timestamp"], name_digest), None)
