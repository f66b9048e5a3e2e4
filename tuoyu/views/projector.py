"""The embedded projector: keeps the KPI view current as events are recorded.

It follows the store's notification log and commits the view's state together with an
eventsourcing tracking record of the last applied position, in one transaction. After a
crash it restarts from the last commit: events after it are applied once, none twice.

A fact that cannot be read or folded stops the projector just before it: the view stays at
the fact before (committed), the projector reports itself stuck (`stuck`, exported as
childcare_projection_stuck), retries with a growing pause, and goes on once the fact applies.
Moving past it would leave the view silently wrong while its lag says 0.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson
from eventsourcing.persistence import Tracking

from tuoyu.projections.facts import partition_of
from tuoyu.projections.fold import apply, unknown_counts
from tuoyu.projections.snapshot import View, new_view, view_position
from tuoyu.views.reading import NOT_FOLDED, UnreadableFact, read_facts
from tuoyu.views.replay import fold_all
from tuoyu.views.stuck import CannotApply, Stuck
from tuoyu.views.version import VIEW_NAME

log = logging.getLogger(__name__)

# Its value is erased from the side table, but the live view may hold it (folded before):
# the view is rebuilt from the record, as a replay would build it.
REDACTION = "PersonalDataRedacted"


class EmbeddedProjector:
    def __init__(
        self,
        events_recorder: Any,
        view_recorder: Any,
        name: str = VIEW_NAME,
        batch: int = 1000,
        on_change: Callable[[View], None] | None = None,
        first_retry_seconds: float = 1.0,
        max_retry_seconds: float = 60.0,
    ) -> None:
        self.events = events_recorder
        self.views = view_recorder
        self.name = name
        self.batch = batch
        self.on_change = on_change
        self.first_retry_seconds = first_retry_seconds
        self.max_retry_seconds = max_retry_seconds
        self.lock = threading.Lock()
        self.view: View = self._load()
        self.stuck: Stuck | None = None  # the fact the view cannot get past, while there is one
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
            raise RuntimeError(
                f"view {self.name!r} is at position {view_position(view)} but its tracking "
                f"record says {tracked}; run `tuoyu audit check` or delete the view to rebuild"
            )
        return view

    def catch_up(self, limit: int | None = None) -> int:
        """Apply every recorded event not yet applied (at most `limit`); returns how many. Stops
        before a fact that cannot be applied (see `stuck`); while stuck, tries it again only
        when the pause since the last attempt has passed."""
        if self.stuck is not None and time.monotonic() < self.stuck.retry_at:
            return 0
        try:
            applied = self._apply_pending(limit)
        except CannotApply as failure:
            applied = self._stop_before(failure)
        else:
            self._resume_if_past()
        if applied and self.on_change:
            self.on_change(self.view)
        return applied

    def _apply_pending(self, limit: int | None, upto: int | None = None) -> int:
        applied = pending = 0
        position = view_position(self.view)
        redacted = False
        try:
            for fact in read_facts(self.events, after=position, page=self.batch, upto=upto, skip=NOT_FOLDED):
                with self.lock:
                    try:
                        apply(self.view[partition_of(fact)], fact)
                    except Exception as error:  # any error of the fold is about this fact
                        raise CannotApply(fact["position"], error, fact) from error
                redacted = redacted or fact["event"].get("type") == REDACTION
                position = fact["position"]
                applied += 1
                pending += 1
                if pending >= self.batch:
                    self._commit(position)
                    pending = 0
                if limit is not None and applied >= limit:
                    break
        except UnreadableFact as unreadable:
            raise CannotApply(unreadable.position, unreadable.error) from unreadable
        # Not committed when a fold failed: the failing fact may have changed its part already.
        if redacted:
            self._rebuild(position)
        elif pending:
            self._commit(position)
        return applied

    def _rebuild(self, position: int) -> None:
        view, _ = fold_all(read_facts(self.events, upto=position, skip=NOT_FOLDED))
        with self.lock:
            self.view = view
        log.info("view %s rebuilt up to position %d after a redaction", self.name, position)
        self._commit(position)

    def unknown_events(self) -> dict[str, int]:
        """Events of each type the fold did not know and skipped (exported as a metric)."""
        with self.lock:
            return unknown_counts(self.view.values())

    def _stop_before(self, failure: CannotApply) -> int:
        """Bring the view back to the last commit (the failing fold may have changed part of it),
        apply what lies before the failing fact, and report it."""
        with self.lock:
            self.view = self._load()
        applied = self._apply_pending(None, upto=failure.position - 1)
        if self.stuck is None or self.stuck.position != failure.position:
            self.stuck = Stuck.first(self.name, failure, self.first_retry_seconds)
            log.error("%s", self.stuck.describe())
        else:
            self.stuck = self.stuck.again(failure, self.max_retry_seconds)
            log.warning("%s (attempt %d; next in %.0f s)", self.stuck.describe(), self.stuck.attempts, self.stuck.pause)
        return applied

    def _resume_if_past(self) -> None:
        if self.stuck is not None and view_position(self.view) >= self.stuck.position:
            log.warning(
                "projection %s applied the event at position %d after %d attempt(s); it goes on",
                self.name,
                self.stuck.position,
                self.stuck.attempts,
            )
            self.stuck = None

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
            except Exception:  # the store is unreachable: the next round retries from the last commit
                log.exception("projector round failed; retrying")
            self._wake.wait(poll_seconds)
            self._wake.clear()
