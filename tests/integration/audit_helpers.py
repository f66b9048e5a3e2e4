"""Helpers of the audit tests: a small recorded history, the `tuoyu` command in-process, and
direct access to the store's tables, to tamper with them as an intruder with SQL access would."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
import psycopg
import pytest

from tests.support.builders import enrolled, filed, open_app, record, staff, training, withdrawn
from tests.support.stores import POSTGRES_URL
from tuoyu.service.cli import main
from tuoyu.service.config import Settings


def record_history(settings: Settings) -> int:
    """Eight events in four transactions; returns the store position."""
    app = open_app(settings)
    try:
        record(app, filed("A1", slots=30), filed("A2", township="longquan"))
        record(app, enrolled("A1", 3), enrolled("A2", 2))
        record(app, staff("A1", 4, 3), training())
        record(app, withdrawn("A1", 1), enrolled("A2", 1))
        return app.position()
    finally:
        app.close()


def rechain(settings: Settings) -> None:
    """What an intruder able to run the migration does after dropping the chain table."""
    from tuoyu.service.wiring import open_registry

    app = open_registry(settings)
    try:
        assert app.recorder.migrate_chain() is not None
    finally:
        app.close()


def run(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *argv: str
) -> tuple[int, str, str]:
    """`tuoyu ARGV` in this process against the store of `env`: (exit code, stdout, stderr)."""
    for name in ("TUOYU_STORE", "TUOYU_DATA_DIR"):
        if name in env:
            monkeypatch.setenv(name, env[name])
        else:
            monkeypatch.delenv(name, raising=False)
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def verdict(env, monkeypatch, capsys, *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(env, monkeypatch, capsys, "verify", "--json", *argv)
    assert out, err
    return code, orjson.loads(out)


class Tables:
    """SQL on the store's own tables, bypassing the platform. Positions are SQLite's rowid and
    PostgreSQL's notification_id."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.postgres = settings.is_postgres
        self.events = "tuoyu_events" if self.postgres else "stored_events"
        self.position = "notification_id" if self.postgres else "rowid"
        self.schema = settings.store.split("schema=")[1] if self.postgres else None

    @contextmanager
    def sql(self) -> Iterator[Any]:
        if self.postgres:
            with psycopg.connect(POSTGRES_URL, autocommit=False) as conn:
                conn.execute(f"SET search_path TO {self.schema}")
                yield conn
        else:
            conn = sqlite3.connect(self.settings.store.removeprefix("sqlite:///"))
            try:
                with conn:
                    yield conn
            finally:
                conn.close()

    def q(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self.sql() as conn:
            cursor = conn.execute(self.q(statement), params)
            return list(cursor.fetchall()) if cursor.description else []

    def state(self, position: int) -> bytes:
        return bytes(self.execute(f"SELECT state FROM {self.events} WHERE {self.position} = ?", (position,))[0][0])

    def set_state(self, position: int, state: bytes) -> None:
        self.execute(f"UPDATE {self.events} SET state = ? WHERE {self.position} = ?", (state, position))

    def move(self, moves: Sequence[tuple[int, int]]) -> None:
        """Change positions of event rows, in one transaction (through a free position, for swaps)."""
        with self.sql() as conn:
            for before, after in moves:
                conn.execute(
                    self.q(f"UPDATE {self.events} SET {self.position} = ? WHERE {self.position} = ?"), (after, before)
                )

    def copy_event_to(self, source: int, position: int, version: int) -> None:
        """A new row at `position`: the event at `source` under another aggregate version."""
        columns = "originator_id, originator_version, topic, state"
        with self.sql() as conn:
            conn.execute(
                self.q(
                    f"INSERT INTO {self.events} ({columns}, {self.position}) SELECT originator_id, ?, "
                    f"topic, state, ? FROM {self.events} WHERE {self.position} = ?"
                ),
                (version, position, source),
            )
