"""eventsourcing's in-memory (POPO) recorder with the platform's claims: the store the domain's
rules run on in fast unit tests (tests/unit), where what is being checked is a decision, not
a database. It keeps the personal values held back from the events (tuoyu/persistence/sidecar.py) so that
readers put them back as on a real store; it has no hash chain, no token view and no view state:
the SQLite and PostgreSQL recorders keep everything that only a real store shows (transactions,
concurrency, the chain, the recording time stamped under the write lock).

Use it with `PERSISTENCE_MODULE=tuoyu.persistence.memory`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing import popo
from eventsourcing.persistence import ApplicationRecorder, IntegrityError, StoredEvent

from tuoyu import clock as wall_clock
from tuoyu.persistence.sidecar import Side
from tuoyu.persistence.stamping import Clock

if TYPE_CHECKING:
    from tuoyu.domain.recorder import ClaimingRecorder

Claim = tuple[str, str]  # (key, digest)


class ClaimingPOPORecorder(popo.POPOApplicationRecorder):
    """Stores events and, atomically with them (under the recorder's lock), their claims."""

    clock: Clock = staticmethod(wall_clock.now)  # the Registry sets its own; nothing is stamped here

    def __init__(self) -> None:
        super().__init__()
        self._claims: dict[str, str] = {}
        self._personal: dict[str, tuple[str, str]] = {}  # digest -> (salt, value)

    def _assert_uniqueness(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super()._assert_uniqueness(stored_events, **kwargs)
        keys = [key for key, _ in kwargs.get("claims", ())]
        if len(set(keys)) < len(keys) or any(key in self._claims for key in keys):
            raise IntegrityError(f"a claim is taken already: {sorted(k for k in keys if k in self._claims)}")

    def _update_table(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        ids = super()._update_table(stored_events, **kwargs)
        self._claims.update(kwargs.get("claims", ()))
        side = Side.of(stored_events, kwargs.get("erase", ()))
        for digest, salt, value in side.values:
            self._personal.setdefault(digest, (salt, value))
        for digest in side.erase:
            self._personal.pop(digest, None)
        return ids

    def select_personal(self, digests: Sequence[str]) -> dict[str, str]:
        """The values still held for these digests (erased ones are absent)."""
        with self._database_lock:
            return {digest: self._personal[digest][1] for digest in digests if digest in self._personal}

    def select_claims(self, keys: Sequence[str]) -> dict[str, str]:
        with self._database_lock:
            return {key: self._claims[key] for key in keys if key in self._claims}

    def select_states(self, after: int, limit: int, upto: int | None = None) -> list[tuple[int, bytes]]:
        """(position, state) of stored events after a position, as the SQL recorders give them."""
        with self._database_lock:
            end = len(self._stored_events) if upto is None else min(upto, len(self._stored_events))
            return [
                (position, self._stored_events[position - 1].state)
                for position in range(after + 1, min(end, after + limit) + 1)
            ]

    def insert_in_one_transaction(self, batches: Iterable[tuple[Sequence[StoredEvent], Sequence[Claim]]]) -> int | None:
        """All batches or none (the lock is re-entrant; a failed batch undoes the earlier ones)."""
        with self._database_lock:
            events, claims = len(self._stored_events), dict(self._claims)
            try:
                last = None
                for stored_events, batch_claims in batches:
                    ids = self._insert_events(stored_events, claims=batch_claims)
                    last = ids[-1] if ids else last
                return last
            except BaseException:
                self._undo(events, claims)
                raise

    def _undo(self, events: int, claims: dict[str, str]) -> None:
        # Personal values of the undone events stay held: unreferenced, as after any failed write.
        for stored in self._stored_events[events:]:
            del self._stored_events_index[str(stored.originator_id)][stored.originator_version]
        del self._stored_events[events:]
        self._claims = claims


class Factory(popo.POPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return ClaimingPOPORecorder()


if TYPE_CHECKING:  # the Registry casts the recorder it creates to a ClaimingRecorder: held to it here
    _claiming: type[ClaimingRecorder] = ClaimingPOPORecorder
