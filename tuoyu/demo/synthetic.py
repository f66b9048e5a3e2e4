"""A fast, seeded stream of valid events of any length, for benchmarks and load tests.

Unlike the demo history (generator.py) it does not try to look like Mentougou; it keeps a
minimal model of each institution (slots, enrolled, operating, inclusive, children awaiting a
place, open rectifications and incidents) so that every event passes every rule when recorded
in order, and it streams, so a million events never sit in memory. Every event type of the
contract appears, its revision of 2026-11-30 included (inspections and quality assessments,
rectifications, incidents, closures and rehoming, guidance, population, the fee cap, targets),
in a mix where enrolment and withdrawal are the bulk, as in a district's register.

Ids carry the seed, so streams of different seeds can be recorded into one store (bench/load.py
gives each writer its own seed).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from tuoyu.domain.catalogue import (
    DISTRICT,
    DISTRICT_ONLY_KPIS,
    INCIDENT_CATEGORIES,
    INCIDENT_SEVERITIES,
    INSTITUTION_KINDS,
    TARGET_KPIS,
    TOWNSHIP_IDS,
)
from tuoyu.projections.facts import SHANGHAI

START = datetime(2023, 1, 1, 9, 0, tzinfo=SHANGHAI)
SCORE_DIMENSIONS = ("management", "staffing", "environment", "safety", "health", "family_community", "activities")
UNITS = ("health_commission", "education_commission", "market_regulation", "civil_affairs", "townships")
Event = dict[str, Any]


@dataclass
class _Place:
    township: str
    slots: int
    inclusive: bool
    enrolled: int = 0
    operating: bool = True
    awaiting: int = 0
    rectifications: list[str] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)


class _District:
    """The model the stream keeps, and one method per kind of event: each returns the event, or
    None when the institution drawn cannot have it now (the stream then draws something else)."""

    def __init__(self, seed: int, pool: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.pool = pool
        self.places: dict[str, _Place] = {}
        self.ids: list[str] = []
        self.serial = 0

    def _next_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.seed}-{self.serial:06d}"

    def file(self, at: datetime) -> Event:
        rng, iid = self.rng, f"SYN-{self.seed}-{len(self.ids):06d}"
        place = self.places[iid] = _Place(rng.choice(TOWNSHIP_IDS), rng.randrange(10, 120), rng.random() < 0.6)
        self.ids.append(iid)
        return {
            "type": "InstitutionFiled",
            "institution_id": iid,
            "name": f"合成托育机构{len(self.ids) - 1}",
            "township": place.township,
            "kind": rng.choice(INSTITUTION_KINDS),
            "slots": place.slots,
            "inclusive": place.inclusive,
            "monthly_fee_yuan": rng.randrange(1000, 8000),
        }

    def enrol(self, iid: str, place: _Place, at: datetime) -> Event | None:
        room = place.slots - place.enrolled
        if not place.operating or room <= 0:
            return None
        children = self.rng.randint(1, min(5, room))
        place.enrolled += children
        return {"type": "ChildrenEnrolled", "institution_id": iid, "children": children}

    def withdraw(self, iid: str, place: _Place, at: datetime) -> Event | None:
        if not place.operating or place.enrolled <= 0:
            return None
        children = self.rng.randint(1, min(5, place.enrolled))
        place.enrolled -= children
        return {"type": "ChildrenWithdrawn", "institution_id": iid, "children": children}

    def resize(self, iid: str, place: _Place, at: datetime) -> Event | None:
        if not place.operating:
            return None
        place.slots = max(place.enrolled, place.slots + self.rng.randint(-5, 10))
        return {"type": "CapacityChanged", "institution_id": iid, "slots": place.slots}

    def staff(self, iid: str, place: _Place, at: datetime) -> Event | None:
        if not place.operating:
            return None
        caregivers = max(1, place.slots // 5)
        return {
            "type": "StaffReported",
            "institution_id": iid,
            "caregivers": caregivers,
            "certified_caregivers": self.rng.randint(0, caregivers),
            "health_staff": self.rng.randint(0, 3),
        }

    def grade(self, iid: str, place: _Place, at: datetime) -> Event:
        return {
            "type": "RiskCreditGraded",
            "institution_id": iid,
            "risk": self.rng.choice(("low", "medium", "high")),
            "credit": self.rng.choice("ABCD"),
        }

    def inspect(self, iid: str, place: _Place, at: datetime) -> Event:
        rng = self.rng
        kind = rng.choice(("routine", "unannounced", "complaint", "supervision", "quality_assessment"))
        outcome = rng.choices(("pass", "rectify", "fail"), (0.75, 0.2, 0.05))[0]
        event: Event = {
            "type": "InspectionRecorded",
            "institution_id": iid,
            "inspection_id": self._next_id("INSP"),
            "kind": kind,
            "outcome": outcome,
        }
        if kind == "quality_assessment":
            event["scores"] = {d: rng.randrange(55, 100) for d in SCORE_DIMENSIONS if rng.random() < 0.9}
        if outcome == "rectify":
            event["rectify_by"] = (at.date() + timedelta(days=rng.choice((14, 30, 60)))).isoformat()
            place.rectifications.append(event["inspection_id"])
        return event

    def rectified(self, iid: str, place: _Place, at: datetime) -> Event | None:
        if not place.rectifications:
            return None
        return {"type": "RectificationCompleted", "institution_id": iid, "inspection_id": place.rectifications.pop(0)}

    def incident(self, iid: str, place: _Place, at: datetime) -> Event:
        rng = self.rng
        event: Event = {
            "type": "IncidentReported",
            "institution_id": iid,
            "incident_id": self._next_id("INC"),
            "category": rng.choice(INCIDENT_CATEGORIES),
            "severity": rng.choices(INCIDENT_SEVERITIES, (0.85, 0.12, 0.03))[0],
            "children_affected": rng.randint(0, 3),
        }
        place.incidents.append(event["incident_id"])
        return event

    def resolved(self, iid: str, place: _Place, at: datetime) -> Event | None:
        if not place.incidents:
            return None
        return {"type": "IncidentResolved", "institution_id": iid, "incident_id": place.incidents.pop(0)}

    def change_filing(self, iid: str, place: _Place, at: datetime) -> Event | None:
        if not place.operating:
            return None
        changes = self.rng.choice(
            (
                {"kind": self.rng.choice(INSTITUTION_KINDS)},
                {"monthly_fee_yuan": self.rng.randrange(1000, 8000)},
                {"name": f"合成托育机构{iid[-6:]}（更名）"},
            )
        )
        return {"type": "FilingChanged", "institution_id": iid, "changes": changes}

    def inclusive_status(self, iid: str, place: _Place, at: datetime) -> Event | None:
        if not place.operating:
            return None
        place.inclusive = not place.inclusive
        if place.inclusive:
            return {
                "type": "InclusiveStatusGranted",
                "institution_id": iid,
                "monthly_fee_yuan": self.rng.randrange(1000, 3500),
            }
        return {"type": "InclusiveStatusRevoked", "institution_id": iid}

    def close(self, iid: str, place: _Place, at: datetime) -> Event | None:
        if not place.operating:
            return None
        place.operating, place.awaiting, place.enrolled = False, place.enrolled, 0  # awaiting: enrolled at closure
        return {"type": "InstitutionClosed", "institution_id": iid, "emergency": self.rng.random() < 0.5}

    def rehome(self, iid: str, place: _Place, at: datetime) -> Event | None:
        if place.operating or place.awaiting <= 0:
            return None
        children = self.rng.randint(1, min(10, place.awaiting))
        place.awaiting -= children
        return {"type": "ChildrenRehomed", "institution_id": iid, "children": children}

    def reopen(self, iid: str, place: _Place, at: datetime) -> Event | None:
        if place.operating:
            return None
        place.operating, place.awaiting = True, 0
        return {"type": "InstitutionReopened", "institution_id": iid}

    # -- events of the district and its townships -------------------------------------------------

    def _township_or_district(self) -> dict[str, str]:
        return {} if self.rng.random() < 0.3 else {"township": self.rng.choice(TOWNSHIP_IDS)}

    def train(self, at: datetime) -> Event:
        rng = self.rng
        event = {
            "type": "TrainingCompleted",
            "course": rng.choice(("head", "caregiver", "health")),
            "people": rng.randint(5, 40),
        }
        if event["course"] == "health" and self.ids and rng.random() < 0.5:  # pre-job training of one institution
            return {**event, "institution_id": rng.choice(self.ids), "people": rng.randint(1, 6)}
        return {**event, **self._township_or_district()}

    def guide(self, at: datetime) -> Event:
        return {
            "type": "ParentingGuidanceHeld",
            "format": self.rng.choice(("offline", "online")),
            "participants": self.rng.randint(0, 300),
            **self._township_or_district(),
        }

    def population(self, at: datetime) -> Event:
        scope = self._township_or_district().get("township", DISTRICT)
        people = self.rng.randint(20_000, 90_000) * (8 if scope == DISTRICT else 1)
        return {
            "type": "PopulationReported",
            "scope": scope,
            "year": at.year - 1,
            "population": people,
            "under3": people * self.rng.randint(15, 30) // 1000,
        }

    def target(self, at: datetime) -> Event:
        rng = self.rng
        scope = self._township_or_district().get("township", DISTRICT)
        kpis = [k for k in TARGET_KPIS if scope == DISTRICT or k not in DISTRICT_ONLY_KPIS]
        kpi = rng.choice(kpis)
        share = kpi.endswith("_share") or kpi == "inclusive_coverage"
        value = (
            round(rng.uniform(0.4, 0.9), 2)
            if share
            else round(rng.uniform(2, 6), 1)
            if kpi == "slots_per_1000"
            else rng.randrange(10, 400)
        )
        start = date(at.year, 1, 1)
        return {
            "type": "TargetSet",
            "scope": scope,
            "kpi": kpi,
            "value": value,
            "start": start.isoformat(),
            "due": start.replace(month=12, day=31).isoformat(),
            "responsible": rng.sample(UNITS, rng.randint(0, 2)),
        }

    def fee_cap(self, at: datetime) -> Event:
        return {
            "type": "InclusiveFeeCapSet",
            "monthly_fee_yuan": self.rng.randrange(20, 40) * 100,
            "start": (at.date() + timedelta(days=30)).isoformat(),
        }


# (weight, kind): an institution event is drawn for an institution filed before; when that one
# cannot have it now, another draw is made (a grading after a few, which any institution can have).
_INSTITUTION_MIX: tuple[tuple[float, str], ...] = (
    (30, "enrol"),
    (22, "withdraw"),
    (5, "resize"),
    (8, "staff"),
    (3, "grade"),
    (7, "inspect"),
    (2, "rectified"),
    (2, "incident"),
    (1.5, "resolved"),
    (1.5, "change_filing"),
    (1, "inclusive_status"),
    (0.3, "close"),
    (1, "rehome"),
    (0.5, "reopen"),
)
_DISTRICT_MIX: tuple[tuple[float, str], ...] = (
    (5, "train"),
    (3, "guide"),
    (0.4, "population"),
    (0.4, "target"),
    (0.1, "fee_cap"),
)
DRAWS = 4
_KINDS = [kind for _, kind in _INSTITUTION_MIX + _DISTRICT_MIX]
_WEIGHTS = [weight for weight, _ in _INSTITUTION_MIX + _DISTRICT_MIX]
_OF_DISTRICT = {kind for _, kind in _DISTRICT_MIX}


def synthetic_events(count: int, seed: int = 7, institutions: int | None = None) -> Iterator[Event]:
    """`count` valid events in recorded order over three years from 2023, `institutions`
    institutions (default: one per 200 events, at least 20), filed as the stream goes."""
    district = _District(seed, institutions or max(20, count // 200))
    step = timedelta(seconds=max(1, int(3 * 365 * 86400 / max(count, 1))))
    moment = START
    for n in range(count):
        moment += step
        event = _draw(district, moment)
        yield {"event_id": f"syn-{seed}-{n}", "occurred_at": moment.isoformat(), **event}


def _draw(district: _District, at: datetime) -> Event:
    rng = district.rng
    if len(district.ids) < district.pool and (not district.ids or rng.random() < 0.05):
        return district.file(at)
    for _ in range(DRAWS):
        kind = rng.choices(_KINDS, _WEIGHTS)[0]
        if kind in _OF_DISTRICT:
            make: Callable[[datetime], Event] = getattr(district, kind)
            return make(at)
        iid = rng.choice(district.ids)
        event = getattr(district, kind)(iid, district.places[iid], at)
        if event is not None:
            return event
    return district.grade(iid, district.places[iid], at)
