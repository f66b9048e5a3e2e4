"""District programme aggregates: training sessions, parenting guidance and plan targets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from tuoyu.domain.base import Opened, Recorded, natural_id
from tuoyu.domain.catalogue import DISTRICT, DISTRICT_ONLY_KPIS
from tuoyu.domain.problems import RuleViolation


class TrainingSession(Aggregate):
    """One completed training session (one per event_id)."""

    @staticmethod
    def create_id(event_id: str) -> UUID:
        return natural_id("training", event_id)

    class Completed(Opened):
        pass

    def __init__(self, event: dict[str, Any], context: dict[str, Any], recorded_by: str) -> None:
        self.course = event["course"]
        self.people = event["people"]
        self.township = context["township"]

    @classmethod
    def complete(cls, event: dict[str, Any], township: str | None, recorded_by: str, now: datetime) -> TrainingSession:
        if event.get("township") and township and event["township"] != township:
            raise RuleViolation(
                "township",
                f"{event['township']!r} differs from the township {township!r} "
                f"of institution {event['institution_id']}; give one or make them agree",
            )
        return cls._create(
            cls.Completed,
            id=cls.create_id(event["event_id"]),
            timestamp=now,
            event=event,
            context={"township": township or event.get("township")},
            recorded_by=recorded_by,
        )


class GuidanceActivity(Aggregate):
    """One parenting guidance activity (one per event_id)."""

    @staticmethod
    def create_id(event_id: str) -> UUID:
        return natural_id("guidance", event_id)

    class Held(Opened):
        pass

    def __init__(self, event: dict[str, Any], context: dict[str, Any], recorded_by: str) -> None:
        self.township = context["township"]

    @classmethod
    def hold(cls, event: dict[str, Any], recorded_by: str, now: datetime) -> GuidanceActivity:
        return cls._create(
            cls.Held,
            id=cls.create_id(event["event_id"]),
            timestamp=now,
            event=event,
            context={"township": event.get("township")},
            recorded_by=recorded_by,
        )


class Target(Aggregate):
    """The target for one (scope, kpi); a later TargetSet replaces the one in force."""

    @staticmethod
    def create_id(scope: str, kpi: str) -> UUID:
        return natural_id("target", f"{scope}/{kpi}")

    class Set(Opened):
        pass

    class Replaced(Recorded):
        def apply(self, aggregate: Target) -> None:
            aggregate.value = self.event["value"]

    def __init__(self, event: dict[str, Any], context: dict[str, Any], recorded_by: str) -> None:
        self.value = event["value"]

    @staticmethod
    def check(event: dict[str, Any]) -> None:
        if date.fromisoformat(event["due"]) < date.fromisoformat(event["start"]):
            raise RuleViolation("due", f"due {event['due']} is before start {event['start']}")
        if event["scope"] != DISTRICT and event["kpi"] in DISTRICT_ONLY_KPIS:
            raise RuleViolation(
                "kpi",
                f"{event['kpi']} applies to the district only; set it with scope 'district', not {event['scope']!r}",
            )

    @classmethod
    def set(cls, event: dict[str, Any], recorded_by: str, now: datetime) -> Target:
        cls.check(event)
        return cls._create(
            cls.Set,
            id=cls.create_id(event["scope"], event["kpi"]),
            timestamp=now,
            event=event,
            context={"township": None if event["scope"] == DISTRICT else event["scope"]},
            recorded_by=recorded_by,
        )

    def replace(self, event: dict[str, Any], recorded_by: str, now: datetime) -> None:
        self.check(event)
        self.trigger_event(
            self.Replaced,
            timestamp=now,
            event=event,
            context={"township": None if event["scope"] == DISTRICT else event["scope"]},
            recorded_by=recorded_by,
        )
