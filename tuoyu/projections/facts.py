"""Recorded facts: what a projection consumes.

A fact is the stored event in plain JSON, plus its position in the store's global order:
`{"position", "recorded_at", "event", "context", "recorded_by"}`. It is the same dict
whether it comes from the store (embedded projector, replay), from Kafka (Faust workers)
or from an audit bundle.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import orjson

# Only the time zone: a projection never reads the clock (the evaluation time is passed in).
from tuoyu.clock import SHANGHAI
from tuoyu.domain.canonical import readable
from tuoyu.domain.transcoder import upcast

Fact = dict[str, Any]


def fact_from_stored(position: int, state: bytes) -> Fact:
    """The fact of a stored event. Every reader gets facts here, so this is the one place where
    older schema versions are upcast and what a store accepted before the boundary's checks is
    read in the stored form."""
    return fact_from_state(position, orjson.loads(state))


def fact_from_state(position: int, state: dict[str, Any]) -> Fact:
    """The fact of a stored event's state already decoded from JSON (the Faust workers get the
    states so from Kafka), made in place as fact_from_stored makes it."""
    fact = upcast(state)  # older schema versions read in the current shape
    readable(fact["event"])
    fact["position"] = position
    fact["recorded_at"] = fact.pop("timestamp")
    fact.pop("originator_topic", None)
    return fact


def partition_of(fact: Fact) -> str:
    """The township a fact belongs to, or "district" (Kafka key and Faust table key too)."""
    return fact["context"].get("township") or "district"


def business_date(timestamp: str) -> str:
    """The Asia/Shanghai calendar date (YYYY-MM-DD) of an RFC 3339 timestamp."""
    if timestamp.endswith("+08:00"):  # how nearly every event arrives: the date is written out
        return timestamp[:10]
    return datetime.fromisoformat(timestamp).astimezone(SHANGHAI).date().isoformat()


def day_start(day: str) -> datetime:
    """00:00 of a date in Asia/Shanghai (how kpis.md reads a target's `start`)."""
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), SHANGHAI)


def day_end(day: str) -> datetime:
    """The end of a date in Asia/Shanghai (how kpis.md reads a target's `due`)."""
    return day_start(day) + timedelta(days=1)
