"""Who may write, in the record: bearer tokens are granted and revoked by events.

A grant names the token (a safe, short name: it appears in every `recorded_by`), its role and
the SHA-256 digest of the token (never the token); the event's `recorded_by` says by whom, and
its recording time when. The table that authenticates requests is a view of these events, kept
by the recorders in the same transaction (tuoyu/persistence/sidecar.py).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from tuoyu.domain.base import Opened, Recorded
from tuoyu.domain.problems import RuleViolation

# Letters, digits and . _ - only, starting with a letter or digit: a name like
# "mallory (admin)" would make `recorded_by` ("NAME (ROLE)") say what is not so.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)
NAME_RULE = "1 to 64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit"


def check_name(name: str) -> None:
    if not isinstance(name, str) or NAME.fullmatch(name) is None:
        raise RuleViolation("name", f"token name {name!r} is not allowed: use {NAME_RULE}")


class Token(Aggregate):
    class Granted(Opened):
        pass

    class Revoked(Recorded):
        def apply(self, aggregate: Token) -> None:
            aggregate.revoked = True

    def __init__(self, event: dict[str, Any], context: dict[str, Any], recorded_by: str | None) -> None:
        self.role: str = event["role"]
        self.revoked = False

    @classmethod
    def grant(cls, name: str, role: str, token_digest: str, by: str, now: datetime) -> Token:
        check_name(name)
        event = {
            "type": "TokenGranted",
            "occurred_at": now.isoformat(),
            "name": name,
            "role": role,
            "token_digest": token_digest,
        }
        # A random id: the name may be an officer's, and an id derived from it could be matched
        # against guessed names after the name is redacted.
        return cls._create(
            cls.Granted, id=uuid.uuid4(), timestamp=now, event=event, context={"township": None}, recorded_by=by
        )

    def revoke(self, name: str, by: str, now: datetime) -> None:
        if self.revoked:
            raise RuleViolation("name", f"token {name!r} is revoked already")
        event = {"type": "TokenRevoked", "occurred_at": now.isoformat(), "name": name}
        self.trigger_event(self.Revoked, timestamp=now, event=event, context={"township": None}, recorded_by=by)
