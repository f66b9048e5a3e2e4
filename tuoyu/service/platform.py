"""The running platform: the write side, the live view and the tokens, in one process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from tuoyu import clock
from tuoyu.domain.application import Outcome, Registry
from tuoyu.domain.institution import Institution
from tuoyu.domain.permissions import refusal
from tuoyu.persistence.tokens import TokenRecord
from tuoyu.projections import lists
from tuoyu.projections.facts import SHANGHAI, fact_from_stored
from tuoyu.projections.history import slots_over_time
from tuoyu.projections.snapshot import View, build_snapshot
from tuoyu.views.projector import EmbeddedProjector
from tuoyu.views.reading import held_back_details, personal_details, read_facts, with_personal_values
from tuoyu.views.replay import fold_all, replay_snapshot

# The live snapshot is rebuilt when the view changes, and at least this often, because the
# evaluation time moves (overdue rectifications, target pace).
SNAPSHOT_MAX_AGE_SECONDS = 30.0
# ... but not more often than this while events stream in: readers (dashboards, scrapes)
# would otherwise rebuild it for every write, competing with the writers for the one
# interpreter. Live figures are at most this much behind the view.
SNAPSHOT_MIN_AGE_SECONDS = 1.0
REPLAY_MAX_AGE_SECONDS = 5.0


class Platform:
    def __init__(
        self,
        registry: Registry,
        projector: EmbeddedProjector | None,
        tokens: Any,
        alert_webhook_secret: str | None = None,
    ) -> None:
        self.registry = registry
        self.alert_webhook_secret = alert_webhook_secret
        self.projector = projector
        self.tokens = tokens
        self._snapshot: dict[str, Any] | None = None
        self._snapshot_at = 0.0
        # Bumped on every view change; a snapshot is fresh only for the generation it was built from,
        # so a change that lands while a snapshot is being built is not hidden by the cache.
        self._generation = 0
        self._snapshot_generation = -1
        self._snapshot_lock = threading.Lock()
        self._replay_lock = threading.Lock()
        self._replayed: View | None = None
        self._replayed_position = -1
        self._replayed_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if projector is not None:
            projector.on_change = lambda view: self._invalidate()

    # ---- lifecycle ------------------------------------------------------------------

    def __enter__(self) -> Platform:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        if self.projector is not None and self._thread is None:
            self.projector.catch_up()
            self._thread = threading.Thread(
                target=self.projector.run, args=(self._stop, 1.0), name="embedded-projector", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.projector is not None:
            self.projector.wake()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def close(self) -> None:
        """Stop following and give the store connections back (tests open many platforms)."""
        self.stop()
        if self.projector is not None:
            self.projector.close()
        self.registry.close()

    # ---- writes ---------------------------------------------------------------------

    def record(self, events: list[Any], token: TokenRecord) -> Outcome:
        outcome = self.registry.record(
            events,
            recorded_by=f"{token.name} ({token.role})",
            authorize=lambda event, township: refusal(token.role, event, township),
        )
        if self.projector is not None and outcome.recorded:
            self.projector.wake()
        return outcome

    def oncall(self, status: str) -> list[dict[str, Any]]:
        with self._reading() as view:
            alerts = [dict(a) for a in view["district"].get("alerts", {}).values()]
        chosen = [a for a in alerts if status == "all" or a["status"] == status]
        return sorted(chosen, key=lambda a: (a["status"] != "firing", a["starts_at"] or ""), reverse=False)

    # ---- reads ----------------------------------------------------------------------

    def _invalidate(self) -> None:
        self._generation += 1

    def refresh_snapshot(self) -> None:
        """Rebuild the live snapshot on the next read, however recent it is."""
        self._generation += 1
        self._snapshot_at = float("-inf")

    def live_snapshot(self) -> dict[str, Any]:
        """The snapshot of the live view: rebuilt when the view changed (at most once a second),
        and at least every SNAPSHOT_MAX_AGE_SECONDS as the clock moves."""
        with self._snapshot_lock:
            age = time.monotonic() - self._snapshot_at
            changed = self._snapshot_generation != self._generation
            if (
                self._snapshot is None
                or age > SNAPSHOT_MAX_AGE_SECONDS
                or (changed and age >= SNAPSHOT_MIN_AGE_SECONDS)
            ):
                generation = self._generation
                now = clock.now()
                with self._reading() as view:
                    self._snapshot = build_snapshot(view, now, now)
                self._snapshot_at = time.monotonic()
                self._snapshot_generation = generation
            return self._snapshot

    def past_snapshot(self, as_of: datetime | None, known_at: datetime | None) -> dict[str, Any]:
        return replay_snapshot(read_facts(self.registry.recorder), clock.now(), as_of, known_at)

    @contextmanager
    def _reading(self) -> Iterator[View]:
        """The view to read: the embedded projector's, or (in the distributed deployment,
        where Faust workers keep the live views) a replay of the store, refreshed at most
        every REPLAY_MAX_AGE_SECONDS while the store changes."""
        if self.projector is not None:
            with self.projector.lock:
                yield self.projector.view
            return
        with self._replay_lock:
            position = self.registry.position()
            stale = time.monotonic() - self._replayed_at > REPLAY_MAX_AGE_SECONDS
            if self._replayed is None or (position != self._replayed_position and stale):
                self._replayed, _ = fold_all(read_facts(self.registry.recorder))
                self._replayed_position, self._replayed_at = position, time.monotonic()
            yield self._replayed

    def closures(self, status: str) -> list[dict[str, Any]]:
        with self._reading() as view:
            return lists.closures(view, status)

    def rectifications(self, status: str) -> list[dict[str, Any]]:
        today = clock.now().astimezone(SHANGHAI).date().isoformat()
        with self._reading() as view:
            return lists.rectifications(view, status, today)

    def incidents(self, status: str) -> list[dict[str, Any]]:
        with self._reading() as view:
            return lists.incidents(view, status)

    def slots_history(self) -> list[dict[str, Any]]:
        """District slots over time (the wall page's chart), from the view's daily changes."""
        with self._reading() as view:
            return slots_over_time(view.values())

    def public_registry(self) -> dict[str, Any]:
        with self._reading() as view:
            return lists.registry(view)

    def institution(self, institution_id: str) -> dict[str, Any] | None:
        aggregate_id = Institution.create_id(institution_id)
        aggregate = self.registry.load(aggregate_id)
        if aggregate is None:
            return None
        events, details = [], held_back_details(aggregate.details)
        stored_events = self.registry.recorder.select_events(aggregate_id)
        facts = with_personal_values(self.registry.recorder, [fact_from_stored(0, s.state) for s in stored_events])
        for stored, fact in zip(stored_events, facts, strict=True):
            events.append(
                {
                    "version": stored.originator_version,
                    "occurred_at": fact["event"]["occurred_at"],
                    "recorded_at": fact["recorded_at"],
                    "recorded_by": fact.get("recorded_by"),
                    "event": fact["event"],
                }
            )
            details.update(personal_details(fact["event"]))
        state = {
            "institution_id": institution_id,
            "township": aggregate.township,
            "kind": aggregate.kind,
            "slots": aggregate.slots,
            "inclusive": aggregate.inclusive,
            "enrolled": aggregate.enrolled,
            "operating": aggregate.operating,
            "children_awaiting_rehoming": aggregate.awaiting,
            "emergency_closure": aggregate.emergency,
            "open_rectifications": sorted(aggregate.open_rectifications),
            **details,
            **_supervision_of(aggregate),
        }
        return {"institution": state, "version": aggregate.version, "events": events}

    def stuck_positions(self) -> dict[str, int]:
        """Per view kept here, the position of the event it cannot get past (0: none)."""
        if self.projector is None:
            return {}
        return {self.projector.name: self.projector.stuck.position if self.projector.stuck else 0}

    def health(self) -> dict[str, Any]:
        recorded = self.registry.position()
        applied = self.projector.position if self.projector is not None else None
        stuck = self.projector.stuck if self.projector is not None else None
        return {
            "status": "stuck" if stuck else "ok",
            "store": "reachable",
            "events_recorded": recorded,
            "projection_position": applied,
            "projection_lag": None if applied is None else recorded - applied,
            **({"projection_stuck": stuck.as_dict()} if stuck else {}),
        }


def _supervision_of(aggregate: Institution) -> dict[str, Any]:
    """What an institution's page shows of its supervision (kpis.md, revision of 2026-11-30)."""
    return {
        "risk": aggregate.risk,
        "credit": aggregate.credit,
        "latest_inspection_outcome": aggregate.latest_outcome,
        "latest_quality_scores": aggregate.latest_scores,
        "open_incidents": sorted(
            aggregate.open_incidents.values(), key=lambda i: datetime.fromisoformat(i["reported_at"])
        ),
    }
