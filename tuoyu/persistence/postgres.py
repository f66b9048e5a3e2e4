"""eventsourcing's PostgreSQL recorders, extended like the SQLite ones (see sqlite.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresTrackingRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

Claim = tuple[str, str]


class ClaimingPostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.claims_table = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier("tuoyu_claims"))
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, digest text NOT NULL)").format(self.claims_table)
        )

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                       *, claims: Sequence[Claim] = (), **kwargs: Any) -> None:
        if claims:
            curs.executemany(SQL("INSERT INTO {} VALUES (%s, %s)").format(self.claims_table), claims)

    def select_claims(self, keys: Sequence[str]) -> dict[str, str]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT key, digest FROM {} WHERE key = ANY(%s)").format(self.claims_table), (list(keys),))
            return {row["key"]: row["digest"] for row in curs.fetchall()}

    def select_states(self, after: int, limit: int, upto: int | None = None) -> list[tuple[int, bytes]]:
        """(position, state) of stored events after a position: the lean read replays use."""
        table = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(SQL("SELECT notification_id, state FROM {} WHERE notification_id > %s "
                             "AND notification_id <= %s ORDER BY notification_id LIMIT %s").format(table),
                         (after, upto if upto is not None else 2**62, limit), prepare=True)
            return curs.fetchall()

    def insert_in_one_transaction(self, batches: Iterable[tuple[Sequence[StoredEvent], Sequence[Claim]]]) -> int | None:
        last: int | None = None
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            for stored_events, claims in batches:
                self._insert_events(curs, stored_events, claims=claims)
                if stored_events:
                    self._insert_stored_events(curs, stored_events)
                    ids = self._fetch_ids_after_insert_events(curs, stored_events)
                    if ids:
                        last = ids[-1]
        return last


class ViewPostgresRecorder(PostgresTrackingRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.views_table = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier("tuoyu_views"))
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, state bytea NOT NULL)").format(self.views_table)
        )

    def save_view(self, name: str, state: bytes, tracking: Tracking) -> None:
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_tracking(curs, tracking)
            curs.execute(SQL("INSERT INTO {} VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET state = excluded.state")
                         .format(self.views_table), (name, state))

    def load_view(self, name: str) -> bytes | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT state FROM {} WHERE name = %s").format(self.views_table), (name,))
            row = curs.fetchone()
        return bytes(row["state"]) if row else None
