"""The on-call record: every alert notification the commission received, and who acknowledged it.

These are the platform's own events (not part of the interchange format): they go through the
same store, so audit replay shows when the commission was told and when it acted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from tuoyu.domain.base import Opened, Recorded, natural_id
from tuoyu.domain.problems import RuleViolation


class Alert(Aggregate):
    """One alert (an Alertmanager fingerprint) as the on-call officer sees it."""

    @staticmethod
    def create_id(fingerprint: str) -> UUID:
        return natural_id("alert", fingerprint)

    class FirstNotified(Opened):
        pass

    class Notified(Recorded):
        def apply(self, aggregate: Alert) -> None:
            if aggregate.status == "resolved" and self.event["starts_at"] != aggregate.starts_at:
                aggregate.episode = self.event["starts_at"]  # fires again after a resolution
            aggregate.status = self.event["status"]
            aggregate.starts_at = self.event["starts_at"]
            aggregate.annotations = self.event.get("annotations", {})
            aggregate.last_recorded_at = self.event["occurred_at"]

    class Acknowledged(Recorded):
        def apply(self, aggregate: Alert) -> None:
            aggregate.acknowledged_for = aggregate.episode
            # Stored before silences existed: the acknowledgement held for its episode only.
            aggregate.acknowledged_until = self.event.get("silenced_until")

    def __init__(self, event: dict[str, Any], context: dict[str, Any], recorded_by: str) -> None:
        self.fingerprint = event["fingerprint"]
        self.status = event["status"]
        self.starts_at = event["starts_at"]
        # The episode: the start of the first firing after a resolution (a start that moves while
        # the alert fires, as after restarts of Prometheus and Alertmanager, continues it).
        self.episode = event["starts_at"]
        self.annotations = event.get("annotations", {})
        self.last_recorded_at = event["occurred_at"]
        self.acknowledged_for: str | None = None
        self.acknowledged_until: str | None = None

    @classmethod
    def notify_first(cls, event: dict[str, Any], recorded_by: str, now: datetime) -> Alert:
        return cls._create(
            cls.FirstNotified,
            id=cls.create_id(event["fingerprint"]),
            timestamp=now,
            event=event,
            context={"township": None},
            recorded_by=recorded_by,
        )

    def is_repeat(self, alert: dict[str, Any], now: datetime, record_every: timedelta) -> bool:
        """Whether a notification only repeats what is recorded (same status, start and text), and
        the last record of this alert is recent enough to count it instead of recording it."""
        return (
            alert["status"] == self.status
            and alert.get("startsAt") == self.starts_at
            and alert.get("annotations", {}) == self.annotations
            and now - datetime.fromisoformat(self.last_recorded_at) < record_every
        )

    def notify(self, event: dict[str, Any], recorded_by: str, now: datetime) -> None:
        self.trigger_event(
            self.Notified, timestamp=now, event=event, context={"township": None}, recorded_by=recorded_by
        )

    def acknowledged_at(self, now: datetime) -> bool:
        """An acknowledgement holds until its silence ends (through a re-fire meanwhile), or, for
        one without a silence, for the episode it was given in."""
        if self.acknowledged_until is not None:
            return datetime.fromisoformat(self.acknowledged_until) > now
        return self.acknowledged_for is not None and self.acknowledged_for == self.episode

    def acknowledge(self, event: dict[str, Any], recorded_by: str, now: datetime) -> None:
        if self.acknowledged_at(now):
            raise RuleViolation("fingerprint", f"alert {self.fingerprint} is already acknowledged")
        self.trigger_event(
            self.Acknowledged, timestamp=now, event=event, context={"township": None}, recorded_by=recorded_by
        )
