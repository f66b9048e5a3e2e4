"""What the write side needs of its store beyond eventsourcing's ApplicationRecorder.

Every recorder of the platform (tuoyu/persistence: memory, sqlite, postgres) provides it, and
the type checker holds each of them to it there. It is declared here, in the domain, because the
domain calls it and layers import downward only: persistence implements what the domain needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from eventsourcing.persistence import ApplicationRecorder, StoredEvent

Claim = tuple[str, str]  # (key, digest): an event_id or another unique id, claimed with its event


class ClaimingRecorder(Protocol):
    # The recording time of each event is stamped from this clock under the store's write lock
    # (tuoyu/persistence/stamping.py); the Registry sets its own.
    clock: Callable[[], datetime]

    def select_claims(self, keys: Sequence[str]) -> dict[str, str]:
        """The digest claimed under each of `keys` that is claimed."""
        ...

    def insert_in_one_transaction(self, batches: Iterable[tuple[Sequence[StoredEvent], Sequence[Claim]]]) -> int | None:
        """Every batch of events with its claims, or none of them; the last position recorded."""
        ...


class RegistryRecorder(ApplicationRecorder, ClaimingRecorder):
    """The type of the Registry's recorder: an ApplicationRecorder that is a ClaimingRecorder.

    A type only (an intersection, which Python's typing cannot spell otherwise): no recorder
    derives from it; the Registry casts the recorder it creates to it, once."""
