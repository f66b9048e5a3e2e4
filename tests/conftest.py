"""Fixtures shared by every test: one test body runs against SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tuoyu.service.config import Settings

POSTGRES_URL = os.environ.get("TUOYU_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh, empty store of each kind."""
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path, store=f"sqlite:///{tmp_path / 'tuoyu.db'}")
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield Settings(data_dir=tmp_path, store=f"{POSTGRES_URL}?schema={schema}")
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def store_env(store_settings: Settings) -> dict[str, str]:
    """Environment variables that point the `tuoyu` command at the fresh store."""
    return {**os.environ, "TUOYU_DATA_DIR": str(store_settings.data_dir), "TUOYU_STORE": store_settings.store}
