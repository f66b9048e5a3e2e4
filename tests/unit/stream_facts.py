"""Recorded facts for the stream unit tests: synthetic events recorded in a SQLite store in a
temporary directory and read back as every runner reads them (position, context, recorded_at)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from tuoyu.demo.synthetic import synthetic_events
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_registry
from tuoyu.views.reading import read_facts


@functools.cache
def _recorded(count: int, seed: int) -> tuple[dict, ...]:
    with tempfile.TemporaryDirectory(prefix="tuoyu-stream-facts-") as tmp:
        settings = Settings(data_dir=Path(tmp), store=f"sqlite:///{Path(tmp) / 'tuoyu.db'}")
        registry = open_registry(settings)
        try:
            registry.record(list(synthetic_events(count, seed=seed)), "stream-test")
            return tuple(read_facts(registry.recorder))
        finally:
            registry.close()


def facts_of(count: int, seed: int = 3) -> list[dict]:
    """`count` recorded facts (copies: a test may fold them)."""
    import copy

    return copy.deepcopy(list(_recorded(count, seed)))
