"""District records that concern no one institution: population reports (人口统计) and the
monthly fee cap of inclusive institutions (普惠收费上限). One aggregate per event_id: a later
report or cap does not replace an earlier one in the store; the views decide which is in force."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from tuoyu.domain.base import Opened, natural_id
from tuoyu.domain.catalogue import DISTRICT
from tuoyu.domain.problems import RuleViolation


class PopulationReport(Aggregate):
    """The resident population of the district or a township for a year."""

    @staticmethod
    def create_id(event_id: str) -> UUID:
        return natural_id("population", event_id)

    class Reported(Opened):
        pass

    def __init__(self, event: dict[str, Any], context: dict[str, Any], recorded_by: str) -> None:
        self.scope = event["scope"]
        self.year = event["year"]

    @classmethod
    def report(cls, event: dict[str, Any], recorded_by: str, now: datetime) -> PopulationReport:
        if event.get("under3", 0) > event["population"]:
            raise RuleViolation(
                "under3",
                f"under3 {event['under3']} exceeds the population {event['population']} "
                f"of {event['scope']} in {event['year']}; children under three are part of the "
                "population",
            )
        township = None if event["scope"] == DISTRICT else event["scope"]
        return cls._create(
            cls.Reported,
            id=cls.create_id(event["event_id"]),
            timestamp=now,
            event=event,
            context={"township": township},
            recorded_by=recorded_by,
        )


class InclusiveFeeCap(Aggregate):
    """A monthly fee cap for inclusive institutions, in force from its start date."""

    @staticmethod
    def create_id(event_id: str) -> UUID:
        return natural_id("fee-cap", event_id)

    class Set(Opened):
        pass

    def __init__(self, event: dict[str, Any], context: dict[str, Any], recorded_by: str) -> None:
        self.monthly_fee_yuan = event["monthly_fee_yuan"]
        self.start = event["start"]

    @classmethod
    def set(cls, event: dict[str, Any], recorded_by: str, now: datetime) -> InclusiveFeeCap:
        return cls._create(
            cls.Set,
            id=cls.create_id(event["event_id"]),
            timestamp=now,
            event=event,
            context={"township": None},
            recorded_by=recorded_by,
        )
