"""eventsourcing's PostgreSQL recorders, extended like the SQLite ones (see sqlite.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresTrackingRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from tuoyu.persistence.chain import GENESIS, ChainBroken, ChainRow, EventRow, chain_rows, originator_hex

Claim = tuple[str, str]


class ClaimingPostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.claims_table = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier("tuoyu_claims"))
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, digest text NOT NULL)").format(self.claims_table)
        )
        self.chain_table = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier("tuoyu_chain"))
        self.events_table = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY, recorded_at text NOT NULL, "
                "digest bytea NOT NULL, link bytea NOT NULL)").format(self.chain_table)
        )
        if self.datastore.enable_db_functions:
            # The database-function insert path bypasses _fetch_ids_after_insert_events: no chain.
            raise ValueError("POSTGRES_ENABLE_DB_FUNCTIONS is not supported: the audit chain would not be kept")

    def create_table(self) -> None:
        # As in sqlite.py: only a store that had no chain table before is chained here; an
        # emptied chain table is never refilled (verify reports its events as unchained).
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute("SELECT to_regclass(%s)", (f'"{self.datastore.schema}"."tuoyu_chain"',))
            had_chain_table = curs.fetchone()[0] is not None
        super().create_table()
        if not had_chain_table:
            self._backfill_chain()

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        # eventsourcing's own insert_events catches an exception raised inside its transaction
        # block and re-raises it only after the block has exited, i.e. after COMMIT: an error
        # raised in Python while chaining (ChainBroken) would leave the events and claims
        # recorded without their links. Here every exception leaves through conn.transaction(),
        # which rolls everything back.
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_events(curs, stored_events, **kwargs)
            if not stored_events:
                return None
            self._insert_stored_events(curs, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if ids:
            self._extend_chain(curs, ids, stored_events)
        return ids

    def _extend_chain(self, curs: Any, ids: Sequence[int], stored_events: Sequence[StoredEvent]) -> None:
        # Both insert paths (eventsourcing's insert_events and insert_in_one_transaction) took
        # eventsourcing's EXCLUSIVE lock on the events table before inserting, and hold it to
        # commit: writers are serialised, so under READ COMMITTED this statement sees the chain
        # of every earlier transaction and no later one can slip a link in before ours.
        curs.execute(SQL("SELECT position, link FROM {} ORDER BY position DESC LIMIT 1").format(self.chain_table),
                     prepare=True)
        row = curs.fetchone()
        if row and row["position"] >= ids[0]:  # only if someone reset the sequence behind our back
            raise ChainBroken(f"position {ids[0]} is chained already: the store was altered outside the "
                              "platform; run `tuoyu verify`")
        previous = bytes(row["link"]) if row else GENESIS
        rows = [EventRow(p, originator_hex(s.originator_id), s.originator_version, s.topic, s.state)
                for p, s in zip(ids, stored_events)]
        curs.executemany(SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(self.chain_table),
                         chain_rows(previous, rows))

    def _backfill_chain(self) -> None:
        """Chain the events of a store that predates the chain. Only an EMPTY chain is filled:
        events beyond the end of an existing chain are what `tuoyu verify` must report."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(SQL("SELECT EXISTS (SELECT 1 FROM {}), EXISTS (SELECT 1 FROM {})")
                         .format(self.events_table, self.chain_table))
            has_events, has_chain = curs.fetchone()
        if not has_events or has_chain:
            return
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)  # no writer in between; a concurrent backfill waits, then finds it done
            curs.execute(SQL("SELECT EXISTS (SELECT 1 FROM {})").format(self.chain_table))
            if curs.fetchone()["exists"]:
                return
            previous, after = GENESIS, 0
            while rows := self._event_rows(curs, after, 10_000, None):
                chained = chain_rows(previous, rows)
                curs.executemany(SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(self.chain_table), chained)
                previous, after = chained[-1].link, rows[-1][0]

    def _event_rows(self, curs: Any, after: int, limit: int, upto: int | None) -> list[EventRow]:
        curs.execute(SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
                         "WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id LIMIT %s")
                     .format(self.events_table), (after, 2**62 if upto is None else upto, limit), prepare=True)
        rows = curs.fetchall()
        if rows and isinstance(rows[0], dict):
            return [(r["notification_id"], r["originator_id"].hex, r["originator_version"], r["topic"], r["state"])
                    for r in rows]
        # Plain tuples in EventRow's order (the verifier reads millions); bytea comes as bytes.
        return [(p, o.hex, v, t, s) for p, o, v, t, s in rows]

    # ---- reads of the audit verifier ---------------------------------------------------

    def select_event_rows(self, after: int, limit: int, upto: int | None = None) -> list[EventRow]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            return self._event_rows(curs, after, limit, upto)

    def select_chain_rows(self, after: int, limit: int, upto: int | None = None) -> list[ChainRow]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(SQL("SELECT position, recorded_at, digest, link FROM {} WHERE position > %s "
                             "AND position <= %s ORDER BY position LIMIT %s").format(self.chain_table),
                         (after, 2**62 if upto is None else upto, limit), prepare=True)
            return curs.fetchall()  # plain tuples in ChainRow's order

    def chain_extent(self) -> tuple[int, int]:
        """The highest event position and the highest chained position, in one snapshot."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(SQL("SELECT (SELECT MAX(notification_id) FROM {}), (SELECT MAX(position) FROM {})")
                         .format(self.events_table, self.chain_table))
            events, chain = curs.fetchone()
        return events or 0, chain or 0

    def select_chain_row(self, position: int) -> ChainRow | None:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(SQL("SELECT position, recorded_at, digest, link FROM {} WHERE position = %s")
                         .format(self.chain_table), (position,))
            row = curs.fetchone()
        return ChainRow(row[0], row[1], bytes(row[2]), bytes(row[3])) if row else None

    def select_chain_row_at_or_before(self, position: int) -> ChainRow | None:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(SQL("SELECT position, recorded_at, digest, link FROM {} WHERE position <= %s "
                             "ORDER BY position DESC LIMIT 1").format(self.chain_table), (position,))
            row = curs.fetchone()
        return ChainRow(row[0], row[1], bytes(row[2]), bytes(row[3])) if row else None

    def select_originator_states(self, originator_id: Any) -> list[tuple[int, bytes]]:
        """(position, state) of one aggregate's events, oldest first (audit trails)."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(SQL("SELECT notification_id, state FROM {} WHERE originator_id = %s "
                             "ORDER BY originator_version").format(self.events_table), (originator_id,))
            return [(p, bytes(s)) for p, s in curs.fetchall()]

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
