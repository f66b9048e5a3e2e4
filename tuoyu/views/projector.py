"""The embedded projector: keeps the KPI view current as events are recorded.

It follows the store's notification log and commits the view's state together with an
eventsourcing tracking record of the last applied position, in one transaction. After a
crash it restarts from the last commit: events after it are applied once, none twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import orjson
from eventsourcing.persistence import Tracking

from tuoyu.projections.facts import partition_of
from tuoyu.projections.fold import apply
from tuoyu.projections.snapshot import View, new_view, view_position
from tuoyu.views.reading import read_facts

log = logging.getLogger(__name__)

# Bump when the shape of the view state changes: the projector then rebuilds it from zero.
VIEW_NAME = "kpi.v3"


class EmbeddedProjector:
    def __init__(self, events_recorder: Any, view_recorder: Any, name: str = VIEW_NAME, batch: int = 1000,
                 on_change: Callable[[View], None] | None = None) -> None:
        self.events = events_recorder
        self.views = view_recorder
        self.name = name
        self.batch = batch
        self.on_change = on_change
        self.lock = threading.Lock()
        self.view: View = self._load()
        self._wake = threading.Event()

    @property
    def position(self) -> int:
        return self.views.max_tracking_id(self.name) or 0

    def _load(self) -> View:
        stored = self.views.load_view(self.name)
        view = new_view() if stored is None else orjson.loads(stored)
        tracked = self.views.max_tracking_id(self.name) or 0
        if view_position(view) != tracked:
            # State and tracking commit together, so this means the state was edited by hand.
            raise RuntimeError(f"view {self.name!r} is at position {view_position(view)} but its tracking "
                               f"record says {tracked}; run `tuoyu audit check` or delete the view to rebuild")
        return view

    def catch_up(self, limit: int | None = None) -> int:
        """Apply every recorded event not yet applied (at most `limit`); returns how many."""
        applied = 0
        position = view_position(self.view)
        pending = 0
        for fact in read_facts(self.events, after=position, page=self.batch):
            with self.lock:
                apply(self.view[partition_of(fact)], fact)
            position = fact["position"]
            applied += 1
            pending += 1
            if pending >= self.batch:
                self._commit(position)
                pending = 0
            if limit is not None and applied >= limit:
                break
        if pending:
            self._commit(position)
        if applied and self.on_change:
            self.on_change(self.view)
        return applied

    def _commit(self, position: int) -> None:
        with self.lock:
            state = orjson.dumps(self.view)
        self.views.save_view(self.name, state, Tracking(self.name, position))

    def close(self) -> None:
        """Give the view recorder's connections back (the events recorder belongs to its registry)."""
        self.views.datastore.close()

    def wake(self) -> None:
        """Called by the write path after recording, so the view follows without polling delay."""
        self._wake.set()

    def run(self, stop: threading.Event, poll_seconds: float = 0.5) -> None:
        while not stop.is_set():
            try:
                self.catch_up()
            except Exception:  # keep following; the next round retries from the last commit
                log.exception("projector round failed; retrying")
            self._wake.wait(poll_seconds)
            self._wake.clear()
