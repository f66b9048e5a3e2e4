"""Recorded events for the stream unit tests: synthetic events recorded in a SQLite store in a
temporary directory, read back as the relay reads them (position, stored state) and as the
projections fold them (the facts of those states, personal values held back as digests, which is
what a worker folds)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import orjson

from tuoyu.demo.synthetic import synthetic_events
from tuoyu.projections.facts import fact_from_stored
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_registry


@functools.cache
def _recorded(count: int, seed: int) -> tuple[tuple[int, bytes], ...]:
    with tempfile.TemporaryDirectory(prefix="tuoyu-stream-facts-") as tmp:
        settings = Settings(data_dir=Path(tmp), store=f"sqlite:///{Path(tmp) / 'tuoyu.db'}")
        registry = open_registry(settings)
        try:
            registry.record(list(synthetic_events(count, seed=seed)), "stream-test")
            return tuple(registry.recorder.select_states(0, count + 1))
        finally:
            registry.close()


def stored_of(count: int, seed: int = 3) -> list[tuple[int, bytes]]:
    """`count` stored events: (position, state as the store holds it)."""
    return list(_recorded(count, seed))


def facts_of(count: int, seed: int = 3) -> list[dict]:
    """The facts of the same `count` stored events (new dicts: a test may fold them)."""
    return [fact_from_stored(position, state) for position, state in _recorded(count, seed)]


def states_of(stored: list[tuple[int, bytes]]) -> list[dict]:
    """The states decoded from JSON, as a worker gets them from a message."""
    return [orjson.loads(state) for _, state in stored]
