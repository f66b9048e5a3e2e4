"""eventsourcing's SQLite recorders, extended with what the platform needs in the same
transaction as the events: claims (unique event_ids and inspection ids), the audit hash chain
(tuoyu/persistence/chain.py), and view state."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder

from tuoyu.persistence.chain import GENESIS, ChainBroken, ChainRow, EventRow, chain_rows, originator_hex

Claim = tuple[str, str]  # (key, digest)


def create_private_database(datastore: SQLiteDatastore) -> None:
    """Create the database file readable and writable by its owner only (0600), before SQLite
    creates it as 0644 less the umask. SQLite gives the -wal and -shm files it creates beside
    it the database file's mode (os_unix.c, findCreateFileMode), so they are 0600 too."""
    pool = datastore.pool
    if pool.is_sqlite_memory_mode or pool.db_name.startswith("file:"):
        return
    try:
        os.close(os.open(pool.db_name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass  # an existing store keeps the mode its operator gave it


class ClaimingSQLiteRecorder(SQLiteApplicationRecorder):
    """Stores events and, atomically with them, the claims that make event_ids unique."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS tuoyu_claims (key TEXT PRIMARY KEY, digest TEXT NOT NULL) WITHOUT ROWID",
            "CREATE TABLE IF NOT EXISTS tuoyu_chain (position INTEGER PRIMARY KEY, recorded_at TEXT NOT NULL, "
            "digest BLOB NOT NULL, link BLOB NOT NULL)",
        ]

    def create_table(self) -> None:
        # Only a store that had no chain table before (one older than the chain) is chained here.
        # A chain table that exists but was emptied is never refilled: `tuoyu verify` must
        # report its events as unchained rather than vouch for whatever the rows now say.
        create_private_database(self.datastore)
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tuoyu_chain'")
            had_chain_table = c.fetchone() is not None
        super().create_table()
        if not had_chain_table:
            self._backfill_chain()

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       *, claims: Sequence[Claim] = (), **kwargs: Any) -> Sequence[int] | None:
        if claims:
            c.executemany("INSERT INTO tuoyu_claims VALUES (?, ?)", claims)
        ids = super()._insert_events(c, stored_events, **kwargs)
        if ids:
            # SQLite serialises writers: the insert above holds the write lock until commit, so
            # the newest link read here is the one just before these events, in every process.
            c.execute("SELECT position, link FROM tuoyu_chain ORDER BY position DESC LIMIT 1")
            row = c.fetchone()
            if row and row[0] >= ids[0]:
                # SQLite hands out the rowid of a deleted newest row again: only someone removing
                # an event behind the platform's back gets here. Refuse, and say so.
                raise ChainBroken(f"position {ids[0]} is chained already but its event is gone: the store was "
                                  "altered outside the platform; run `tuoyu verify`")
            rows = [EventRow(p, originator_hex(s.originator_id), s.originator_version, s.topic, s.state)
                    for p, s in zip(ids, stored_events)]
            c.executemany("INSERT INTO tuoyu_chain VALUES (?, ?, ?, ?)",
                          chain_rows(bytes(row[1]) if row else GENESIS, rows))
        return ids

    def _backfill_chain(self) -> None:
        """Chain the events of a store that predates the chain (its table just created). Only an
        EMPTY chain is filled: events beyond the end of a chain are what `tuoyu verify` must report."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT EXISTS (SELECT 1 FROM {self.events_table_name}), "
                      "EXISTS (SELECT 1 FROM tuoyu_chain)")
            has_events, has_chain = c.fetchone()
        if not has_events or has_chain:
            return
        with self.datastore.transaction(commit=True) as c:
            previous, after = GENESIS, 0
            while rows := self._event_rows(c, after, 10_000, None):
                chained = chain_rows(previous, rows)
                c.executemany("INSERT OR IGNORE INTO tuoyu_chain VALUES (?, ?, ?, ?)", chained)
                previous, after = chained[-1].link, rows[-1][0]

    def _event_rows(self, c: SQLiteCursor, after: int, limit: int, upto: int | None) -> list[EventRow]:
        """Rows as plain tuples in EventRow's order: the verifier reads millions of them."""
        c.sqlite_cursor.row_factory = None
        c.execute(f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.events_table_name} "
                  "WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?",
                  (after, 2**62 if upto is None else upto, limit))
        return c.fetchall()

    # ---- reads of the audit verifier ---------------------------------------------------

    def select_event_rows(self, after: int, limit: int, upto: int | None = None) -> list[EventRow]:
        with self.datastore.transaction(commit=False) as c:
            return self._event_rows(c, after, limit, upto)

    def select_chain_rows(self, after: int, limit: int, upto: int | None = None) -> list[ChainRow]:
        with self.datastore.transaction(commit=False) as c:
            c.sqlite_cursor.row_factory = None  # plain tuples in ChainRow's order
            c.execute("SELECT position, recorded_at, digest, link FROM tuoyu_chain WHERE position > ? "
                      "AND position <= ? ORDER BY position LIMIT ?", (after, 2**62 if upto is None else upto, limit))
            return c.fetchall()

    def chain_extent(self) -> tuple[int, int]:
        """The highest event position and the highest chained position, read together."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT (SELECT MAX(rowid) FROM {self.events_table_name}), "
                      "(SELECT MAX(position) FROM tuoyu_chain)")
            events, chain = c.fetchone()
        return events or 0, chain or 0

    def select_chain_row(self, position: int) -> ChainRow | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT position, recorded_at, digest, link FROM tuoyu_chain WHERE position = ?", (position,))
            row = c.fetchone()
        return ChainRow(*row) if row else None

    def select_chain_row_at_or_before(self, position: int) -> ChainRow | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT position, recorded_at, digest, link FROM tuoyu_chain WHERE position <= ? "
                      "ORDER BY position DESC LIMIT 1", (position,))
            row = c.fetchone()
        return ChainRow(*row) if row else None

    def select_originator_states(self, originator_id: Any) -> list[tuple[int, bytes]]:
        """(position, state) of one aggregate's events, oldest first (audit trails)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT rowid, state FROM {self.events_table_name} WHERE originator_id = ? "
                      "ORDER BY originator_version", (originator_hex(originator_id),))
            return [(row[0], row[1]) for row in c.fetchall()]

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

    def create_table(self) -> None:
        create_private_database(self.datastore)
        super().create_table()

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
