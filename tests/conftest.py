"""Fixtures shared by every test: one test body runs against SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support import stores
from tests.support.stores import fresh_store
from tuoyu import clock
from tuoyu.service.config import Settings

# The fixtures' tokens are granted (recorded as events) at a fixed moment long before any test's events.
TOKENS_ISSUED = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh, empty store of each kind."""
    with fresh_store(request.param, tmp_path) as settings:
        yield settings


@pytest.fixture
def store_env(store_settings: Settings) -> dict[str, str]:
    """Environment variables that point the `tuoyu` command at the fresh store."""
    return stores.store_env(store_settings)


@pytest.fixture
def api(store_settings: Settings):
    """The HTTP API in-process on a fresh store (lifespan runs: the projector follows), with one
    token per role: `api.client`, `api.tokens[role]`, `api.headers(role)`, `api.platform`."""
    from fastapi.testclient import TestClient

    from tuoyu.domain.catalogue import TOWNSHIP_IDS
    from tuoyu.service.http.app import create_app
    from tuoyu.service.tokens import create_token
    from tuoyu.service.wiring import open_platform

    platform = open_platform(store_settings)
    roles = ["admin", "registry", "inspector", "auditor", "oncall", *(f"township:{t}" for t in TOWNSHIP_IDS)]
    # Grants are events, and recording times never go back: the tokens are issued before any
    # history a test records (whatever moment it records it at).
    with clock.set_to(TOKENS_ISSUED):
        tokens = {role: create_token(platform.tokens, role)[1] for role in roles}

    class Api:
        def headers(self, role: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {tokens[role]}"}

        def wait_for_view(self, timeout: float = 10.0) -> None:
            """Block until the live view has applied every recorded event."""
            import time

            deadline = time.monotonic() + timeout
            while platform.projector.position < platform.registry.position():
                if time.monotonic() > deadline:
                    raise AssertionError("the projector did not catch up")
                platform.projector.wake()
                time.sleep(0.01)
            platform.refresh_snapshot()

    try:
        with TestClient(create_app(platform)) as client:
            handle = Api()
            handle.client, handle.tokens, handle.platform, handle.settings = client, tokens, platform, store_settings
            handle.start = platform.registry.position()  # the grants of the tokens, recorded first
            yield handle
    finally:
        platform.close()
