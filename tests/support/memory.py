"""The write side on eventsourcing's in-memory (POPO) store, for fast tests of the rules and
the fold: what the SQLite and PostgreSQL recorders add (claims in the same transaction as the
events, the lean read of states) kept in memory, nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory

from tuoyu.domain.application import Registry


class ClaimingPOPORecorder(POPOApplicationRecorder):
    """Events and the claims that make event_ids (and inspection and incident ids) unique."""

    def __init__(self) -> None:
        super().__init__()
        self.claims: dict[str, str] = {}

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        claims = dict(kwargs.pop("claims", ()))
        with self._database_lock:
            if set(claims) & set(self.claims):
                raise IntegrityError(f"claimed before: {sorted(set(claims) & set(self.claims))}")
            ids = super().insert_events(stored_events, **kwargs)
            self.claims.update(claims)
        return ids

    def select_claims(self, keys: Sequence[str]) -> dict[str, str]:
        return {key: self.claims[key] for key in keys if key in self.claims}

    def select_states(self, after: int, limit: int, upto: int | None = None) -> list[tuple[int, bytes]]:
        stop = None if upto is None else upto
        return [(n.id, n.state) for n in self.select_notifications(after + 1, limit, stop=stop)]


class MemoryFactory(POPOFactory):
    def application_recorder(self) -> ClaimingPOPORecorder:  # type: ignore[override]
        return ClaimingPOPORecorder()


def memory_registry(now: datetime) -> Registry:
    """A registry recording in memory, its clock fixed at `now`."""
    return Registry(env={"PERSISTENCE_MODULE": f"{__name__}:MemoryFactory"}, clock=lambda: now)
