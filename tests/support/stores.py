"""Fresh, empty stores for tests and benches: a SQLite file, or a schema of its own in the
machine's PostgreSQL (`make services` provides it), dropped when the block ends."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tuoyu.service.config import Settings

POSTGRES_URL = os.environ.get("TUOYU_TEST_POSTGRES", "postgresql://tuoyu_test:tuoyu_test@127.0.0.1:5432/tuoyu_test")
KINDS = ("sqlite", "postgres")


@contextmanager
def fresh_store(kind: str, directory: Path, name: str = "tuoyu") -> Iterator[Settings]:
    """Settings for a new store of `kind` ("sqlite" or "postgres"), data directory `directory`."""
    if kind == "sqlite":
        yield Settings(data_dir=directory, store=f"sqlite:///{directory / f'{name}-{uuid.uuid4().hex[:8]}.db'}")
        return
    if kind != "postgres":
        raise ValueError(f"unknown store kind {kind!r}; one of {', '.join(KINDS)}")
    schema = f"t_{name}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield Settings(data_dir=directory, store=f"{POSTGRES_URL}?schema={schema}")
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def store_env(settings: Settings) -> dict[str, str]:
    """The environment that points the `tuoyu` command at a store."""
    return {**os.environ, "TUOYU_DATA_DIR": str(settings.data_dir), "TUOYU_STORE": settings.store}
