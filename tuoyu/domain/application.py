"""The write side: records interchange events as domain events, all or nothing."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, Mapper, Transcoder

from tuoyu import clock
from tuoyu.domain.decisions import Authorizer, Decisions
from tuoyu.domain.problems import ConflictingEvent, EventsRejected, Forbidden, Problem, RuleViolation
from tuoyu.domain.recorder import RegistryRecorder
from tuoyu.domain.transcoder import PlainJSONTranscoder, RecordingMapper

# A writer that loses a race decides again, after a random wait growing with each attempt
# (at most BACKOFF_CAP_SECONDS), for up to RETRY_SECONDS: a fixed number of quick retries is
# not enough when another writer keeps winning, e.g. a client enrolling in a tight loop.
RETRY_SECONDS = 10.0
BACKOFF_SECONDS = 0.005
BACKOFF_CAP_SECONDS = 0.1


@dataclass(frozen=True)
class Outcome:
    recorded: int
    position: int | None
    duplicates: int = 0


class Registry(Application[UUID]):
    """托育机构登记: the application that records every event of the platform."""

    name = "tuoyu"
    recorder: RegistryRecorder

    def __init__(self, env: dict[str, str] | None = None, clock: Callable[[], datetime] = clock.now) -> None:
        super().__init__(env)
        self.clock = clock

    @property
    def clock(self) -> Callable[[], datetime]:
        return self._clock

    @clock.setter
    def clock(self, value: Callable[[], datetime]) -> None:
        # The recorder stamps each event's recording time under the store's write lock, from
        # this clock (tuoyu/persistence/stamping.py): the time decided here is provisional.
        self._clock = value
        self.recorder.clock = value

    def construct_recorder(self) -> RegistryRecorder:
        # The configured recorder is one of the platform's own (APPLICATION_RECORDER_TOPIC, or the
        # Factory of tuoyu.persistence.memory), each held to ClaimingRecorder by the type checker.
        return cast(RegistryRecorder, super().construct_recorder())

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()  # gives the store's connections back

    def construct_transcoder(self) -> Transcoder:
        return PlainJSONTranscoder()

    def construct_mapper(self) -> Mapper[UUID]:
        return RecordingMapper(self.construct_transcoder())

    def record(
        self,
        events: Sequence[Any],
        recorded_by: str,
        lines: Sequence[int] | None = None,
        authorize: Authorizer | None = None,
    ) -> Outcome:
        """Record `events` in order, or none of them.

        Raises EventsRejected (schema or rule problems) or ConflictingEvent (an event_id reused
        with other content, or writers that kept colliding on the same aggregates).
        """
        deadline, attempt = time.monotonic() + RETRY_SECONDS, 0
        while attempt == 0 or time.monotonic() < deadline:
            if attempt:
                time.sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2**attempt)))
            attempt += 1
            decisions = self.decide(events, recorded_by, lines, authorize)
            if not decisions.domain_events:
                return Outcome(0, self.recorder.max_notification_id(), decisions.duplicates)
            try:
                recordings = self.save(*decisions.domain_events, claims=decisions.new_claims)
            except IntegrityError:
                # Another writer changed one of these aggregates (or claimed an event_id) first:
                # decide again against what is stored now.
                continue
            return Outcome(len(recordings), recordings[-1].notification.id, decisions.duplicates)
        raise ConflictingEvent(
            [
                Problem(
                    0,
                    None,
                    None,
                    f"the events kept colliding with concurrent writers "
                    f"({attempt} attempts in {RETRY_SECONDS:g} s); nothing was recorded, "
                    "try again",
                    conflict=True,
                )
            ]
        )

    def decide(
        self,
        events: Sequence[Any],
        recorded_by: str,
        lines: Sequence[int] | None = None,
        authorize: Authorizer | None = None,
    ) -> Decisions:
        decisions = self.new_decisions(recorded_by, authorize)
        decisions.prefetch(events)
        for index, event in enumerate(events):
            decisions.add(index, event, lines[index] if lines else None)
        if decisions.problems:
            forbidden = [p for p in decisions.problems if p.forbidden]
            if forbidden:
                raise Forbidden(forbidden)
            if all(p.conflict for p in decisions.problems):
                raise ConflictingEvent(decisions.problems)
            raise EventsRejected(decisions.problems)
        return decisions

    def new_decisions(self, recorded_by: str, authorize: Authorizer | None = None) -> Decisions:
        return Decisions(self.load, self.recorder.select_claims, recorded_by, self.clock(), authorize)

    def record_notifications(
        self,
        payload: dict[str, Any],
        receiver: str = "alertmanager",
        repeats: dict[str, int] | None = None,
        record_every: timedelta = timedelta(hours=24),
    ) -> Outcome:
        """Record the alerts of an Alertmanager (version 4) webhook payload, all or nothing.

        A notification that only repeats what is recorded is counted in `repeats` (fingerprint ->
        count, kept by the caller) instead of recorded; the next recorded notification of that
        alert carries the count (`count`), so an alert that never ends makes about one event a
        day (`record_every`), not one per notification.
        """
        from tuoyu.domain.oncall import Alert

        repeats = {} if repeats is None else repeats
        for _ in range(20):
            now, counted = self.clock(), dict(repeats)
            events: list[DomainEventProtocol[UUID]] = []
            touched: dict[UUID, Alert] = {}
            for alert in payload["alerts"]:
                aggregate_id = Alert.create_id(alert["fingerprint"])
                aggregate = touched.get(aggregate_id) or self.load(aggregate_id)
                if aggregate is not None and aggregate.is_repeat(alert, now, record_every):
                    counted[alert["fingerprint"]] = counted.get(alert["fingerprint"], 0) + 1
                    continue
                event = _notified(alert, payload, now, 1 + counted.pop(alert["fingerprint"], 0))
                if aggregate is None:
                    aggregate = Alert.notify_first(event, receiver, now)
                else:
                    aggregate.notify(event, receiver, now)
                touched[aggregate_id] = aggregate
                events.extend(aggregate.collect_events())
            try:
                recordings = self.save(*events) if events else []
            except IntegrityError:
                continue
            repeats.clear()
            repeats.update(counted)
            return Outcome(len(recordings), recordings[-1].notification.id if recordings else self.position())
        raise ConflictingEvent([Problem(0, None, None, "alert notifications kept colliding; try again", conflict=True)])

    def acknowledge_alert(
        self, fingerprint: str, by: str, note: str | None, silence: dict[str, Any] | None = None
    ) -> Outcome:
        """Record an acknowledgement; `silence` ({"silence_id", "silenced_until"}) is the
        Alertmanager silence it created, if any."""
        from tuoyu.domain.oncall import Alert

        alert = self.load(Alert.create_id(fingerprint))
        if alert is None:
            raise EventsRejected([Problem(0, None, "fingerprint", f"no alert {fingerprint!r} was ever notified")])
        now = self.clock()
        event = {
            "type": "AlertAcknowledged",
            "occurred_at": now.isoformat(),
            "fingerprint": fingerprint,
            "acknowledged_by": by,
            **({"note": note} if note else {}),
            **(silence or {}),
        }
        try:
            alert.acknowledge(event, by, now)
            recordings = self.save(alert)
        except RuleViolation as violation:
            raise ConflictingEvent([Problem(0, None, violation.field, violation.message, conflict=True)]) from None
        except IntegrityError:
            raise ConflictingEvent(
                [Problem(0, None, None, "the alert changed meanwhile; try again", conflict=True)]
            ) from None
        return Outcome(1, recordings[-1].notification.id)

    def load(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def position(self) -> int:
        return self.recorder.max_notification_id() or 0


def _notified(alert: dict[str, Any], payload: dict[str, Any], now: datetime, count: int) -> dict[str, Any]:
    """An AlertNotified event: `count` notifications (this one and the repeats counted since the last)."""
    return {
        "type": "AlertNotified",
        "occurred_at": now.isoformat(),
        "fingerprint": alert["fingerprint"],
        "status": alert["status"],
        "alertname": alert["labels"].get("alertname"),
        "labels": alert["labels"],
        "annotations": alert.get("annotations", {}),
        "starts_at": alert.get("startsAt"),
        "ends_at": alert.get("endsAt"),
        "receiver": payload.get("receiver"),
        "group_key": payload.get("groupKey"),
        "count": count,
    }
