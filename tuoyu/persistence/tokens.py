"""Bearer tokens: only a SHA-256 digest of each token is stored, beside the events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import IntegrityError


@dataclass(frozen=True)
class TokenRecord:
    name: str
    role: str
    created_at: str
    revoked_at: str | None


class SQLiteTokens:
    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore
        with self.datastore.transaction(commit=True) as c:
            c.execute("CREATE TABLE IF NOT EXISTS tuoyu_tokens (name TEXT PRIMARY KEY, role TEXT NOT NULL, "
                      "digest TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT)")

    def add(self, name: str, role: str, digest: str, created_at: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("INSERT INTO tuoyu_tokens VALUES (?, ?, ?, ?, NULL)", (name, role, digest, created_at))

    def revoke(self, name: str, revoked_at: str) -> bool:
        with self.datastore.transaction(commit=True) as c:
            c.execute("UPDATE tuoyu_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                      (revoked_at, name))
            c.execute("SELECT changes()")
            return c.fetchone()[0] > 0

    def find(self, digest: str) -> TokenRecord | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT name, role, created_at, revoked_at FROM tuoyu_tokens WHERE digest = ?", (digest,))
            row = c.fetchone()
        return TokenRecord(*tuple(row)) if row else None

    def all(self) -> list[TokenRecord]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT name, role, created_at, revoked_at FROM tuoyu_tokens ORDER BY created_at")
            return [TokenRecord(*tuple(row)) for row in c.fetchall()]


class PostgresTokens:
    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore
        self.table = f'"{datastore.schema}".tuoyu_tokens'
        with self.datastore.get_connection() as conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (name text PRIMARY KEY, role text NOT NULL, "
                         "digest text NOT NULL UNIQUE, created_at text NOT NULL, revoked_at text)")

    def add(self, name: str, role: str, digest: str, created_at: str) -> None:
        with self.datastore.get_connection() as conn:
            conn.execute(f"INSERT INTO {self.table} VALUES (%s, %s, %s, %s, NULL)", (name, role, digest, created_at))

    def revoke(self, name: str, revoked_at: str) -> bool:
        with self.datastore.get_connection() as conn:
            cursor = conn.execute(f"UPDATE {self.table} SET revoked_at = %s WHERE name = %s AND revoked_at IS NULL",
                                  (revoked_at, name))
            return cursor.rowcount > 0

    def find(self, digest: str) -> TokenRecord | None:
        with self.datastore.get_connection() as conn:
            row = conn.execute(f"SELECT name, role, created_at, revoked_at FROM {self.table} WHERE digest = %s",
                               (digest,)).fetchone()
        return TokenRecord(row["name"], row["role"], row["created_at"], row["revoked_at"]) if row else None

    def all(self) -> list[TokenRecord]:
        with self.datastore.get_connection() as conn:
            rows = conn.execute(f"SELECT name, role, created_at, revoked_at FROM {self.table} "
                                "ORDER BY created_at").fetchall()
        return [TokenRecord(r["name"], r["role"], r["created_at"], r["revoked_at"]) for r in rows]


__all__ = ["IntegrityError", "PostgresTokens", "SQLiteTokens", "TokenRecord"]
