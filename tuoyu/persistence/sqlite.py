"""eventsourcing's SQLite recorders, extended with what the platform needs in the same
transaction as the events: claims (unique event_ids and inspection ids), the recording time
stamped under the write lock (tuoyu/persistence/stamping.py), the audit hash chain
(tuoyu/persistence/chain.py), the personal values held back from the events
(tuoyu/domain/personal.py), the token view, and view state."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import OperationalError, StoredEvent, Tracking
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteTrackingRecorder,
    SQLiteTransaction,
)

from tuoyu import clock as wall_clock
from tuoyu.persistence.chain import (
    GENESIS,
    ChainBroken,
    ChainFields,
    ChainRow,
    EventFields,
    EventRow,
    chain_rows,
    originator_hex,
)
from tuoyu.persistence.sidecar import Side, token_changes, unchained_store
from tuoyu.persistence.stamping import Clock, as_recorded, next_stamp, stamped

if TYPE_CHECKING:
    from tuoyu.domain.recorder import ClaimingRecorder

Claim = tuple[str, str]  # (key, digest)
CHAIN_TABLE = (
    "CREATE TABLE IF NOT EXISTS tuoyu_chain (position INTEGER PRIMARY KEY, recorded_at TEXT NOT NULL, "
    "digest BLOB NOT NULL, link BLOB NOT NULL)"
)


class _Immediate(SQLiteTransaction):
    """eventsourcing's transaction, begun IMMEDIATE: the write lock is held from the start, so
    the recording time and the chain's head are read under it (a deferred BEGIN would take
    the lock only at the first insert, after them)."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:  # busy past SQLITE_LOCK_TIMEOUT
            raise OperationalError(error) from error
        return cursor


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

    clock: Clock = staticmethod(wall_clock.now)  # the Registry sets its own

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS tuoyu_claims (key TEXT PRIMARY KEY, digest TEXT NOT NULL) WITHOUT ROWID",
            CHAIN_TABLE,
            "CREATE TABLE IF NOT EXISTS tuoyu_personal (digest TEXT PRIMARY KEY, salt TEXT NOT NULL, "
            "value TEXT NOT NULL) WITHOUT ROWID",
            "CREATE TABLE IF NOT EXISTS tuoyu_token_view (token_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
            "role TEXT NOT NULL, digest TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT, "
            "name_digest TEXT)",
        ]

    def create_table(self) -> None:
        create_private_database(self.datastore)
        super().create_table()

    @contextmanager
    def _write(self) -> Iterator[SQLiteCursor]:
        with self.datastore.get_connection(commit=True) as conn, _Immediate(conn, commit=True) as c, c:
            yield c

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        with self._write() as c:
            return self._insert_events(c, stored_events, **kwargs)

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        *,
        claims: Sequence[Claim] = (),
        erase: Sequence[str] = (),
        keep_times: bool = False,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        c.execute("SELECT position, recorded_at, link FROM tuoyu_chain ORDER BY position DESC LIMIT 1")
        head = c.fetchone()
        side = Side.of(stored_events, erase)
        if stored_events and keep_times:
            stored_events, _ = as_recorded(stored_events, head[1] if head else None)
        elif stored_events:
            stored_events = stamped(stored_events, next_stamp(self.clock(), head[1] if head else None))
        if claims:
            c.executemany("INSERT INTO tuoyu_claims VALUES (?, ?)", claims)
        if side.values:
            c.executemany("INSERT OR IGNORE INTO tuoyu_personal VALUES (?, ?, ?)", side.values)
        for digest in side.erase:
            c.execute("DELETE FROM tuoyu_personal WHERE digest = ?", (digest,))
            c.execute(
                "UPDATE tuoyu_token_view SET name = 'redacted-' || substr(name_digest, 1, 12) WHERE name_digest = ?",
                (digest,),
            )
        ids = super()._insert_events(c, stored_events, **kwargs)
        if ids:
            self._chain(c, ids, stored_events, head)
            self._keep_token_view(c, ids, stored_events)
        return ids

    def _chain(self, c: SQLiteCursor, ids: Sequence[int], stored_events: Sequence[StoredEvent], head: Any) -> None:
        if head and head[0] >= ids[0]:
            # SQLite hands out the rowid of a deleted newest row again: only someone removing
            # an event behind the platform's back gets here. Refuse, and say so.
            raise ChainBroken(
                f"position {ids[0]} is chained already but its event is gone: the store was "
                "altered outside the platform; run `tuoyu verify`"
            )
        if head is None:
            c.execute(f"SELECT EXISTS (SELECT 1 FROM {self.events_table_name} WHERE rowid < ?)", (ids[0],))
            if c.fetchone()[0]:
                raise unchained_store()
        rows = [
            EventRow(p, originator_hex(s.originator_id), s.originator_version, s.topic, s.state)
            for p, s in zip(ids, stored_events, strict=True)
        ]
        c.executemany(
            "INSERT INTO tuoyu_chain VALUES (?, ?, ?, ?)", chain_rows(bytes(head[2]) if head else GENESIS, rows)
        )

    def _keep_token_view(self, c: SQLiteCursor, ids: Sequence[int], stored_events: Sequence[StoredEvent]) -> None:
        for change in token_changes(stored_events):
            if change.granted:
                c.execute("INSERT INTO tuoyu_token_view VALUES (?, ?, ?, ?, ?, NULL, ?)", change.granted)
            else:
                c.execute("UPDATE tuoyu_token_view SET revoked_at = ? WHERE token_id = ?", change.revoked)

    # ---- the explicit migration of a store recorded before the chain ---------------------

    def has_chain_table(self) -> bool:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tuoyu_chain'")
            return c.fetchone() is not None

    def migrate_chain(self) -> tuple[int, bytes] | None:
        """Chain every event of a store whose chain is missing or empty (`tuoyu audit migrate`):
        (events chained, head link), or None if there was nothing to do. Never called on open."""
        with self._write() as c:
            c.execute(CHAIN_TABLE)
            c.execute("SELECT EXISTS (SELECT 1 FROM tuoyu_chain)")
            if c.fetchone()[0]:
                return None
            previous, after, count = GENESIS, 0, 0
            while rows := self._event_rows(c, after, 10_000, None):
                chained = chain_rows(previous, rows)
                c.executemany("INSERT INTO tuoyu_chain VALUES (?, ?, ?, ?)", chained)
                previous, after, count = chained[-1].link, rows[-1][0], count + len(rows)
        return (count, previous) if count else None

    def _event_rows(self, c: SQLiteCursor, after: int, limit: int, upto: int | None) -> list[EventFields]:
        """Rows as plain tuples in EventRow's order: the verifier reads millions of them."""
        c.sqlite_cursor.row_factory = None
        c.execute(
            f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.events_table_name} "
            "WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?",
            (after, 2**62 if upto is None else upto, limit),
        )
        return c.fetchall()

    # ---- reads of the audit verifier ---------------------------------------------------

    def select_event_rows(self, after: int, limit: int, upto: int | None = None) -> list[EventFields]:
        with self.datastore.transaction(commit=False) as c:
            return self._event_rows(c, after, limit, upto)

    def select_chain_rows(self, after: int, limit: int, upto: int | None = None) -> list[ChainFields]:
        with self.datastore.transaction(commit=False) as c:
            c.sqlite_cursor.row_factory = None  # plain tuples in ChainRow's order
            c.execute(
                "SELECT position, recorded_at, digest, link FROM tuoyu_chain WHERE position > ? "
                "AND position <= ? ORDER BY position LIMIT ?",
                (after, 2**62 if upto is None else upto, limit),
            )
            return c.fetchall()

    def chain_extent(self) -> tuple[int, int]:
        """The highest event position and the highest chained position, read together."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT (SELECT MAX(rowid) FROM {self.events_table_name}), (SELECT MAX(position) FROM tuoyu_chain)"
            )
            events, chain = c.fetchone()
        return events or 0, chain or 0

    def select_chain_row(self, position: int) -> ChainRow | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT position, recorded_at, digest, link FROM tuoyu_chain WHERE position = ?", (position,))
            row = c.fetchone()
        return ChainRow(*row) if row else None

    def select_chain_row_at_or_before(self, position: int) -> ChainRow | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT position, recorded_at, digest, link FROM tuoyu_chain WHERE position <= ? "
                "ORDER BY position DESC LIMIT 1",
                (position,),
            )
            row = c.fetchone()
        return ChainRow(*row) if row else None

    def select_originator_states(self, originator_id: Any) -> list[tuple[int, bytes]]:
        """(position, state) of one aggregate's events, oldest first (audit trails)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, state FROM {self.events_table_name} WHERE originator_id = ? "
                "ORDER BY originator_version",
                (originator_hex(originator_id),),
            )
            return [(row[0], row[1]) for row in c.fetchall()]

    def select_claims(self, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                c.execute(f"SELECT key, digest FROM tuoyu_claims WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                found.update((row["key"], row["digest"]) for row in c.fetchall())
        return found

    def select_states(self, after: int, limit: int, upto: int | None = None) -> list[tuple[int, bytes]]:
        """(position, state) of stored events after a position: the lean read replays use."""
        with self.datastore.transaction(commit=False) as c:
            if upto is None:
                c.execute(
                    f"SELECT rowid, state FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    (after, limit),
                )
            else:
                c.execute(
                    f"SELECT rowid, state FROM {self.events_table_name} WHERE rowid > ? AND rowid <= ? "
                    "ORDER BY rowid LIMIT ?",
                    (after, upto, limit),
                )
            return [(row[0], row[1]) for row in c.fetchall()]

    def select_personal(self, digests: Sequence[str]) -> dict[str, str]:
        """The values still held for these digests (erased ones are absent)."""
        found: dict[str, str] = {}
        keys = list(digests)
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                c.execute(
                    f"SELECT digest, value FROM tuoyu_personal WHERE digest IN ({','.join('?' * len(chunk))})", chunk
                )
                found.update((row[0], row[1]) for row in c.fetchall())
        return found

    def select_personal_rows(self) -> list[tuple[str, str, str]]:
        """Every (digest, salt, value) held: what verification checks against the digests."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT digest, salt, value FROM tuoyu_personal ORDER BY digest")
            return [tuple(row) for row in c.fetchall()]

    def select_token_view(self, digest: str | None = None) -> list[tuple[Any, ...]]:
        """Rows of the token view: (token_id, name, role, digest, created_at, revoked_at)."""
        columns = "token_id, name, role, digest, created_at, revoked_at"
        with self.datastore.transaction(commit=False) as c:
            if digest is None:
                c.execute(f"SELECT {columns} FROM tuoyu_token_view ORDER BY created_at, name")
            else:
                c.execute(f"SELECT {columns} FROM tuoyu_token_view WHERE digest = ?", (digest,))
            return [tuple(row) for row in c.fetchall()]

    def select_legacy_tokens(self) -> list[tuple[Any, ...]]:
        """Rows of the token table of earlier releases (name, role, digest, created_at, revoked_at)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tuoyu_tokens'")
            if c.fetchone() is None:
                return []
            c.execute("SELECT name, role, digest, created_at, revoked_at FROM tuoyu_tokens ORDER BY created_at")
            return [tuple(row) for row in c.fetchall()]

    def insert_in_one_transaction(
        self, batches: Iterable[tuple[Sequence[StoredEvent], Sequence[Claim]]], keep_times: bool = False
    ) -> int | None:
        """Insert many batches atomically without holding them all in memory. `keep_times`: a
        history loaded whole (the demo) keeps its recording times (never going back)."""
        last: int | None = None
        with self._write() as c:
            for stored_events, claims in batches:
                ids = self._insert_events(c, stored_events, claims=claims, keep_times=keep_times)
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
            c.execute(
                "INSERT INTO tuoyu_views VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET state = excluded.state",
                (name, state),
            )

    def load_view(self, name: str) -> bytes | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT state FROM tuoyu_views WHERE name = ?", (name,))
            row = c.fetchone()
        return bytes(row["state"]) if row else None


if TYPE_CHECKING:  # the Registry casts the recorder it creates to a ClaimingRecorder: held to it here
    _claiming: type[ClaimingRecorder] = ClaimingSQLiteRecorder
