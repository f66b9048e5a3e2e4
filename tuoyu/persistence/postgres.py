"""eventsourcing's PostgreSQL recorders, extended like the SQLite ones (see sqlite.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresTrackingRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

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

Claim = tuple[str, str]
Row = TypeVar("Row")


def _single(row: Row | None, query: str) -> Row:
    """The row of a query that always returns one (a function call, an aggregate, EXISTS)."""
    if row is None:
        raise RuntimeError(f"PostgreSQL returned no row for {query}, which always returns one")
    return row


class ClaimingPostgresRecorder(PostgresApplicationRecorder):
    clock: Clock = staticmethod(wall_clock.now)  # the Registry sets its own

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = Identifier(self.datastore.schema)
        self.claims_table = SQL("{}.{}").format(schema, Identifier("tuoyu_claims"))
        self.chain_table = SQL("{}.{}").format(schema, Identifier("tuoyu_chain"))
        self.personal_table = SQL("{}.{}").format(schema, Identifier("tuoyu_personal"))
        self.token_view = SQL("{}.{}").format(schema, Identifier("tuoyu_token_view"))
        self.events_table = SQL("{}.{}").format(schema, Identifier(self.events_table_name))
        self.sql_create_statements += [
            SQL("CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, digest text NOT NULL)").format(self.claims_table),
            self._create_chain_table(),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (digest text PRIMARY KEY, salt text NOT NULL, value text NOT NULL)"
            ).format(self.personal_table),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (token_id text PRIMARY KEY, name text NOT NULL UNIQUE, "
                "role text NOT NULL, digest text NOT NULL UNIQUE, created_at text NOT NULL, revoked_at text, "
                "name_digest text)"
            ).format(self.token_view),
        ]
        if self.datastore.enable_db_functions:
            # The database-function insert path bypasses insert_events below: no chain.
            raise ValueError("POSTGRES_ENABLE_DB_FUNCTIONS is not supported: the audit chain would not be kept")

    def _create_chain_table(self) -> Any:
        return SQL(
            "CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY, recorded_at text NOT NULL, "
            "digest bytea NOT NULL, link bytea NOT NULL)"
        ).format(self.chain_table)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        # eventsourcing's own insert_events catches an exception raised inside its transaction
        # block and re-raises it only after the block has exited, i.e. after COMMIT: an error
        # raised in Python while chaining (ChainBroken) would leave the events and claims
        # recorded without their links. Here every exception leaves through conn.transaction(),
        # which rolls everything back.
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._lock_table(curs)
            return self._insert_locked(curs, stored_events, **kwargs)

    def _insert_locked(
        self,
        curs: Any,
        stored_events: Sequence[StoredEvent],
        *,
        claims: Sequence[Claim] = (),
        erase: Sequence[str] = (),
        keep_times: bool = False,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        """Insert under eventsourcing's EXCLUSIVE lock on the events table, taken by the caller
        BEFORE anything else: an import and an API writer claiming the same event_id would
        otherwise each hold what the other waits for (a claim row, the table lock) and deadlock.
        The lock serialises writers to commit, so under READ COMMITTED the chain's head read
        here is the newest, and no other writer can slip a link in before ours."""
        curs.execute(
            SQL("SELECT position, recorded_at, link FROM {} ORDER BY position DESC LIMIT 1").format(self.chain_table),
            prepare=True,
        )
        head = curs.fetchone()
        side = Side.of(stored_events, erase)
        if stored_events and keep_times:
            stored_events, _ = as_recorded(stored_events, head["recorded_at"] if head else None)
        elif stored_events:
            stored_events = stamped(stored_events, next_stamp(self.clock(), head["recorded_at"] if head else None))
        if claims:
            curs.executemany(SQL("INSERT INTO {} VALUES (%s, %s)").format(self.claims_table), claims)
        if side.values:
            curs.executemany(
                SQL("INSERT INTO {} VALUES (%s, %s, %s) ON CONFLICT DO NOTHING").format(self.personal_table),
                side.values,
            )
        for digest in side.erase:
            curs.execute(SQL("DELETE FROM {} WHERE digest = %s").format(self.personal_table), (digest,))
            curs.execute(
                SQL("UPDATE {} SET name = 'redacted-' || substr(name_digest, 1, 12) WHERE name_digest = %s").format(
                    self.token_view
                ),
                (digest,),
            )
        if not stored_events:
            return None
        self._insert_stored_events(curs, stored_events, **kwargs)
        ids = PostgresApplicationRecorder._fetch_ids_after_insert_events(self, curs, stored_events)
        if ids:
            self._extend_chain(curs, ids, stored_events, head)
            self._keep_token_view(curs, stored_events)
        return ids

    def _extend_chain(self, curs: Any, ids: Sequence[int], stored_events: Sequence[StoredEvent], head: Any) -> None:
        if head and head["position"] >= ids[0]:  # only if someone reset the sequence behind our back
            raise ChainBroken(
                f"position {ids[0]} is chained already: the store was altered outside the platform; run `tuoyu verify`"
            )
        if head is None:
            curs.execute(
                SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE notification_id < %s) AS earlier").format(self.events_table),
                (ids[0],),
            )
            if curs.fetchone()["earlier"]:
                raise unchained_store()
        previous = bytes(head["link"]) if head else GENESIS
        rows = [
            EventRow(p, originator_hex(s.originator_id), s.originator_version, s.topic, s.state)
            for p, s in zip(ids, stored_events, strict=True)
        ]
        curs.executemany(
            SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(self.chain_table), chain_rows(previous, rows)
        )

    def _keep_token_view(self, curs: Any, stored_events: Sequence[StoredEvent]) -> None:
        for change in token_changes(stored_events):
            if change.granted:
                curs.execute(
                    SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, NULL, %s)").format(self.token_view), change.granted
                )
            else:
                curs.execute(
                    SQL("UPDATE {} SET revoked_at = %s WHERE token_id = %s").format(self.token_view), change.revoked
                )

    # ---- the explicit migration of a store recorded before the chain ---------------------

    def has_chain_table(self) -> bool:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute("SELECT to_regclass(%s)", (f'"{self.datastore.schema}"."tuoyu_chain"',))
            return _single(curs.fetchone(), "to_regclass")[0] is not None

    def migrate_chain(self) -> tuple[int, bytes] | None:
        """Chain every event of a store whose chain is missing or empty (`tuoyu audit migrate`):
        (events chained, head link), or None if there was nothing to do. Never called on open."""
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)  # no writer in between
            curs.execute(self._create_chain_table())
            curs.execute(SQL("SELECT EXISTS (SELECT 1 FROM {})").format(self.chain_table))
            if _single(curs.fetchone(), "EXISTS")["exists"]:
                return None
            previous, after, count = GENESIS, 0, 0
            while rows := self._event_rows(curs, after, 10_000, None):
                chained = chain_rows(previous, rows)
                curs.executemany(SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(self.chain_table), chained)
                previous, after, count = chained[-1].link, rows[-1][0], count + len(rows)
        return (count, previous) if count else None

    def _event_rows(self, curs: Any, after: int, limit: int, upto: int | None) -> list[EventFields]:
        curs.execute(
            SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
                "WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id LIMIT %s"
            ).format(self.events_table),
            (after, 2**62 if upto is None else upto, limit),
            prepare=True,
        )
        rows = curs.fetchall()
        if rows and isinstance(rows[0], dict):
            return [
                (r["notification_id"], r["originator_id"].hex, r["originator_version"], r["topic"], r["state"])
                for r in rows
            ]
        # Plain tuples in EventRow's order (the verifier reads millions); bytea comes as bytes.
        return [(p, o.hex, v, t, s) for p, o, v, t, s in rows]

    # ---- reads of the audit verifier ---------------------------------------------------

    def select_event_rows(self, after: int, limit: int, upto: int | None = None) -> list[EventFields]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            return self._event_rows(curs, after, limit, upto)

    def select_chain_rows(self, after: int, limit: int, upto: int | None = None) -> list[ChainFields]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(
                SQL(
                    "SELECT position, recorded_at, digest, link FROM {} WHERE position > %s "
                    "AND position <= %s ORDER BY position LIMIT %s"
                ).format(self.chain_table),
                (after, 2**62 if upto is None else upto, limit),
                prepare=True,
            )
            return curs.fetchall()  # plain tuples in ChainRow's order

    def chain_extent(self) -> tuple[int, int]:
        """The highest event position and the highest chained position, in one snapshot."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(
                SQL("SELECT (SELECT MAX(notification_id) FROM {}), (SELECT MAX(position) FROM {})").format(
                    self.events_table, self.chain_table
                )
            )
            events, chain = _single(curs.fetchone(), "MAX")
        return events or 0, chain or 0

    def select_chain_row(self, position: int) -> ChainRow | None:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(
                SQL("SELECT position, recorded_at, digest, link FROM {} WHERE position = %s").format(self.chain_table),
                (position,),
            )
            row = curs.fetchone()
        return ChainRow(row[0], row[1], bytes(row[2]), bytes(row[3])) if row else None

    def select_chain_row_at_or_before(self, position: int) -> ChainRow | None:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(
                SQL(
                    "SELECT position, recorded_at, digest, link FROM {} WHERE position <= %s "
                    "ORDER BY position DESC LIMIT 1"
                ).format(self.chain_table),
                (position,),
            )
            row = curs.fetchone()
        return ChainRow(row[0], row[1], bytes(row[2]), bytes(row[3])) if row else None

    def select_originator_states(self, originator_id: Any) -> list[tuple[int, bytes]]:
        """(position, state) of one aggregate's events, oldest first (audit trails)."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(
                SQL(
                    "SELECT notification_id, state FROM {} WHERE originator_id = %s ORDER BY originator_version"
                ).format(self.events_table),
                (originator_id,),
            )
            return [(p, bytes(s)) for p, s in curs.fetchall()]

    def select_claims(self, keys: Sequence[str]) -> dict[str, str]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT key, digest FROM {} WHERE key = ANY(%s)").format(self.claims_table), (list(keys),))
            return {row["key"]: row["digest"] for row in curs.fetchall()}

    def select_states(self, after: int, limit: int, upto: int | None = None) -> list[tuple[int, bytes]]:
        """(position, state) of stored events after a position: the lean read replays use."""
        table = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(
                SQL(
                    "SELECT notification_id, state FROM {} WHERE notification_id > %s "
                    "AND notification_id <= %s ORDER BY notification_id LIMIT %s"
                ).format(table),
                (after, upto if upto is not None else 2**62, limit),
                prepare=True,
            )
            return curs.fetchall()

    def select_personal(self, digests: Sequence[str]) -> dict[str, str]:
        """The values still held for these digests (erased ones are absent)."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(
                SQL("SELECT digest, value FROM {} WHERE digest = ANY(%s)").format(self.personal_table), (list(digests),)
            )
            return dict(curs.fetchall())

    def select_personal_rows(self) -> list[tuple[str, str, str]]:
        """Every (digest, salt, value) held: what verification checks against the digests."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(SQL("SELECT digest, salt, value FROM {} ORDER BY digest").format(self.personal_table))
            return curs.fetchall()

    def select_token_view(self, digest: str | None = None) -> list[tuple[Any, ...]]:
        """Rows of the token view: (token_id, name, role, digest, created_at, revoked_at)."""
        select = SQL("SELECT token_id, name, role, digest, created_at, revoked_at FROM {}").format(self.token_view)
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            if digest is None:
                curs.execute(select + SQL(" ORDER BY created_at, name"))
            else:
                curs.execute(select + SQL(" WHERE digest = %s"), (digest,))
            return curs.fetchall()

    def select_legacy_tokens(self) -> list[tuple[Any, ...]]:
        """Rows of the token table of earlier releases (name, role, digest, created_at, revoked_at)."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute("SELECT to_regclass(%s)", (f'"{self.datastore.schema}"."tuoyu_tokens"',))
            if _single(curs.fetchone(), "to_regclass")[0] is None:
                return []
            curs.execute(
                SQL(
                    "SELECT name, role, digest, created_at, revoked_at FROM {}.tuoyu_tokens ORDER BY created_at"
                ).format(Identifier(self.datastore.schema))
            )
            return curs.fetchall()

    def insert_in_one_transaction(
        self, batches: Iterable[tuple[Sequence[StoredEvent], Sequence[Claim]]], keep_times: bool = False
    ) -> int | None:
        """Insert many batches atomically without holding them all in memory. The table lock is
        taken first, before any claim (see _insert_locked), and held to commit. `keep_times`: a
        history loaded whole (the demo) keeps its recording times (never going back)."""
        last: int | None = None
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._lock_table(curs)
            for stored_events, claims in batches:
                ids = self._insert_locked(curs, stored_events, claims=claims, keep_times=keep_times)
                if ids:
                    last = ids[-1]
        return last


class ReadingPostgresRecorder(ClaimingPostgresRecorder):
    """The recorder of a registry that only reads (`tuoyu verify`): PostgreSQL refuses any write
    in its sessions. psycopg_pool passes ConnectionPool.kwargs to every connect(), and the pool
    opens in eventsourcing's recorder __init__, so the option is set just before it."""

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        datastore.pool.kwargs["options"] = "-c default_transaction_read_only=on"
        super().__init__(datastore, **kwargs)


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
            curs.execute(
                SQL("INSERT INTO {} VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET state = excluded.state").format(
                    self.views_table
                ),
                (name, state),
            )

    def load_view(self, name: str) -> bytes | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT state FROM {} WHERE name = %s").format(self.views_table), (name,))
            row = curs.fetchone()
        return bytes(row["state"]) if row else None


if TYPE_CHECKING:  # the Registry casts the recorder it creates to a ClaimingRecorder: held to it here
    _claiming: type[ClaimingRecorder] = ClaimingPostgresRecorder
