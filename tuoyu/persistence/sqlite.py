"""eventsourcing's SQLite recorders, extended with the two things the platform needs in the
same transaction as the events: claims (unique event_ids and inspection ids) and view state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteTrackingRecorder

Claim = tuple[str, str]  # (key, digest)


class ClaimingSQLiteRecorder(SQLiteApplicationRecorder):
    """Stores events and, atomically with them, the claims that make event_ids unique."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS tuoyu_claims (key TEXT PRIMARY KEY, digest TEXT NOT NULL) WITHOUT ROWID",
        ]

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       *, claims: Sequence[Claim] = (), **kwargs: Any) -> Sequence[int] | None:
        if claims:
            c.executemany("INSERT INTO tuoyu_claims VALUES (?, ?)", claims)
        return super()._insert_events(c, stored_events, **kwargs)

    def select_claims(self, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                c.execute(f"SELECT key, digest FROM tuoyu_claims WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                found.update((row["key"], row["digest"]) for row in c.fetchall())
        return found

    def select_states(self, after: int, limit: int, upto: int | None = None) -> list[tuple[int, bytes]]:
        """(position, state) of stored events after a position: the lean read replays use."""
        with self.datastore.transaction(commit=False) as c:
            if upto is None:
                c.execute(f"SELECT rowid, state FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                          (after, limit))
            else:
                c.execute(f"SELECT rowid, state FROM {self.events_table_name} WHERE rowid > ? AND rowid <= ? "
                          "ORDER BY rowid LIMIT ?", (after, upto, limit))
            return [(row[0], row[1]) for row in c.fetchall()]

    def insert_in_one_transaction(self, batches: Iterable[tuple[Sequence[StoredEvent], Sequence[Claim]]]) -> int | None:
        """Insert many batches atomically without holding them all in memory."""
        last: int | None = None
        with self.datastore.transaction(commit=True) as c:
            for stored_events, claims in batches:
                ids = self._insert_events(c, stored_events, claims=claims)
                if ids:
                    last = ids[-1]
        return last


class ViewSQLiteRecorder(SQLiteTrackingRecorder):
    """A tracking recorder that also keeps a view's state, so state and position commit together."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS tuoyu_views (name TEXT PRIMARY KEY, state BLOB NOT NULL) WITHOUT ROWID",
        ]

    def save_view(self, name: str, state: bytes, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            self._insert_tracking(c, tracking)
            c.execute("INSERT INTO tuoyu_views VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET state = excluded.state",
                      (name, state))

    def load_view(self, name: str) -> bytes | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT state FROM tuoyu_views WHERE name = ?", (name,))
            row = c.fetchone()
        return bytes(row["state"]) if row else None
