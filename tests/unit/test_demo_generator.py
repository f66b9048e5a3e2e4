"""The seeded demo history of Mentougou: deterministic, valid, accepted by the registry, on the plan,
and telling the supervision and plan stories of issues #16 and #17 (checked here on the events
themselves, independently of the projections)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import groupby

import pytest

from tuoyu.demo.generator import DemoEvent, generate
from tuoyu.domain.catalogue import QUALITY_DIMENSIONS, TOWNSHIP_IDS, VISIT_KINDS
from tuoyu.domain.schema import problems_of
from tuoyu.projections.facts import SHANGHAI
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_registry

TODAY = date(2026, 3, 2)
# Days the stories around `today` must hold on: a Monday, a Sunday, New Year's Day and the day
# after, a month end, a leap day, the day after the plan's last year.
STORY_DAYS = [
    date(2025, 9, 15),
    date(2026, 3, 1),
    date(2026, 11, 30),
    date(2027, 1, 1),
    date(2027, 1, 2),
    date(2027, 6, 30),
    date(2028, 2, 29),
    date(2026, 1, 1),
]


@pytest.fixture(scope="module")
def history() -> list[DemoEvent]:
    return generate(2023, TODAY)


def operating_slots(events: list[DemoEvent], day: date) -> tuple[int, set[str]]:
    """Σ slots of institutions operating at the end of `day` (business time), and townships filed by then."""
    end = datetime.combine(day, time.max, SHANGHAI)
    slots: dict[str, int] = {}
    operating: dict[str, bool] = {}
    townships: set[str] = set()
    for item in events:
        event = item.event
        if datetime.fromisoformat(event["occurred_at"]) > end:
            continue
        institution = event.get("institution_id")
        if event["type"] == "InstitutionFiled":
            slots[institution], operating[institution] = event["slots"], True
            townships.add(event["township"])
        elif event["type"] == "CapacityChanged":
            slots[institution] = event["slots"]
        elif event["type"] == "InstitutionClosed":
            operating[institution] = False
        elif event["type"] == "InstitutionReopened":
            slots[institution] = event.get("slots", slots[institution])
            operating[institution] = True
    return sum(n for institution, n in slots.items() if operating[institution]), townships


def test_the_same_seed_gives_the_same_history_and_another_seed_a_different_one(history):
    assert generate(2023, TODAY) == history
    assert generate(7, TODAY) != history


def test_every_demo_event_is_valid_interchange_format(history):
    assert [(e.event["event_id"], problems_of(e.event)) for e in history if problems_of(e.event)] == []


def test_events_are_in_recorded_order_with_unique_ids_and_none_recorded_before_they_could_be(history):
    assert [e.recorded_at for e in history] == sorted(e.recorded_at for e in history)
    assert len({e.event["event_id"] for e in history}) == len(history)
    start_of_today = datetime.combine(TODAY, time.min, SHANGHAI)
    assert all(e.recorded_at < start_of_today for e in history)
    assert all(datetime.fromisoformat(e.event["occurred_at"]) <= e.recorded_at for e in history)


def test_the_history_has_the_size_of_a_small_district(history):
    assert 2000 <= len(history) <= 6000


def test_the_registry_accepts_every_demo_event_when_recorded_day_by_day(history, tmp_path):
    moment = {"now": history[0].recorded_at}
    app = open_registry(
        Settings(data_dir=tmp_path, store=f"sqlite:///{tmp_path / 't.db'}"), clock=lambda: moment["now"]
    )
    recorded = 0
    for _, batch in groupby(history, key=lambda e: e.recorded_at.date()):
        batch = list(batch)
        moment["now"] = batch[-1].recorded_at
        recorded += app.record([e.event for e in batch], recorded_by="demo").recorded
    assert recorded == len(history)


def test_about_455_slots_operate_at_the_end_of_2023_and_1055_at_the_end_of_2024_and_every_township_has_one(history):
    slots_2023, _ = operating_slots(history, date(2023, 12, 31))
    assert 430 <= slots_2023 <= 480
    slots_2024, _ = operating_slots(history, date(2024, 12, 31))
    assert 1030 <= slots_2024 <= 1080
    _, townships = operating_slots(history, TODAY)
    assert townships == set(TOWNSHIP_IDS)


def test_the_plans_targets_are_recorded_as_issued(history):
    from tuoyu.contracts import plan_targets

    targets = {e.event["event_id"]: e for e in history if e.event["type"] == "TargetSet"}
    for target in plan_targets():
        assert targets[target["event_id"]].event == target
        assert targets[target["event_id"]].recorded_at == datetime.fromisoformat(target["occurred_at"])


# ---- the stories of issues #16 and #17, read off the events ------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass
class Place:
    """An institution as its events leave it (applied in recorded order, as the registry does)."""

    filed: datetime
    kind: str
    inclusive: bool
    fee: float | None
    operating: bool = True
    risk: str | None = None
    inspected: list[datetime] = field(default_factory=list)
    health_trained: list[datetime] = field(default_factory=list)


def places_and_incidents(events: list[DemoEvent]) -> tuple[dict[str, Place], dict[str, dict]]:
    places: dict[str, Place] = {}
    incidents: dict[str, dict] = {}
    for item in events:
        event, kind = item.event, item.event["type"]
        place = places.get(event.get("institution_id", ""))
        if kind == "InstitutionFiled":
            places[event["institution_id"]] = Place(
                at(event["occurred_at"]), event["kind"], event["inclusive"], event.get("monthly_fee_yuan")
            )
        elif kind in ("InstitutionClosed", "InstitutionReopened"):
            place.operating = kind == "InstitutionReopened"
        elif kind in ("InclusiveStatusGranted", "InclusiveStatusRevoked"):
            place.inclusive = kind == "InclusiveStatusGranted"
            place.fee = event.get("monthly_fee_yuan", place.fee)
        elif kind == "FilingChanged":
            place.fee = event["changes"].get("monthly_fee_yuan", place.fee)
        elif kind == "RiskCreditGraded":
            place.risk = event["risk"]
        elif kind == "InspectionRecorded":
            place.inspected.append(at(event["occurred_at"]))
        elif kind == "TrainingCompleted" and event["course"] == "health" and place is not None:
            place.health_trained.append(at(event["occurred_at"]))
        elif kind == "IncidentReported":
            incidents[event["incident_id"]] = {**event, "resolved_at": None}
        elif kind == "IncidentResolved":
            incidents[event["incident_id"]]["resolved_at"] = at(event["occurred_at"])
    return places, incidents


def fee_cap(events: list[DemoEvent], today: date) -> float | None:
    caps = sorted(
        (e.event["start"], e.event["monthly_fee_yuan"])
        for e in events
        if e.event["type"] == "InclusiveFeeCapSet" and e.event["start"] <= today.isoformat()
    )
    return caps[-1][1] if caps else None


def of_type(events: list[DemoEvent], kind: str) -> list[dict]:
    return [e.event for e in events if e.event["type"] == kind]


@pytest.mark.parametrize("today", STORY_DAYS, ids=str)
def test_whatever_the_day_the_wall_has_its_supervision_stories_to_show(today):
    events = generate(2023, today)
    assert [(e.event["event_id"], problems_of(e.event)) for e in events if problems_of(e.event)] == []
    places, incidents = places_and_incidents(events)
    start = datetime.combine(today, time.min, SHANGHAI)
    # One incident open, general: a case of a contagious disease reported on the last weekday.
    still_open = [i for i in incidents.values() if i["resolved_at"] is None]
    assert [(i["category"], i["severity"]) for i in still_open] == [("health", "general")]
    assert start - at(still_open[0]["occurred_at"]) < timedelta(days=4)
    # One high-risk institution nobody has inspected in the 90 days before today.
    assert (
        len(
            [
                p
                for p in places.values()
                if p.operating and p.risk == "high" and all(t <= start - timedelta(days=90) for t in p.inspected)
            ]
        )
        == 1
    )
    # One new institution, filed three to five months ago, still waiting for its health training.
    waiting = [
        p
        for p in places.values()
        if p.operating
        and p.filed < start - timedelta(days=90)
        and all(t >= p.filed + timedelta(days=90) for t in p.health_trained)
    ]
    assert len(waiting) == 1 and waiting[0].filed > start - timedelta(days=160) and waiting[0].health_trained == []
    # At least one inclusive institution charges more than the cap in force.
    cap = fee_cap(events, today)
    assert cap is not None and any(p.operating and p.inclusive and p.fee > cap for p in places.values())


def test_the_population_is_reported_every_march_for_the_district_and_each_township(history):
    reports = defaultdict(dict)
    for event in of_type(history, "PopulationReported"):
        assert at(event["occurred_at"]).date().replace(day=1) == date(event["year"] + 1, 3, 1)
        reports[event["year"]][event["scope"]] = (event["population"], event["under3"])
    assert sorted(reports) == list(range(2022, TODAY.year - 1 + (TODAY.month > 3)))
    for scopes in reports.values():
        assert set(scopes) == {"district", *TOWNSHIP_IDS}
        population, under3 = scopes.pop("district")
        assert 380_000 <= population <= 410_000 and 3_000 <= under3 <= 9_000
        # The district is the sum of its townships; most people live in the valley.
        assert (population, under3) == tuple(map(sum, zip(*scopes.values(), strict=True)))
        assert max(scopes, key=lambda t: scopes[t][0]) == "yongding" and min(p for p, _ in scopes.values()) > 3000


def test_the_inclusive_fee_cap_is_set_above_most_inclusive_fees(history):
    places, _ = places_and_incidents(history)
    cap = fee_cap(history, TODAY)
    fees = [p.fee for p in places.values() if p.operating and p.inclusive]
    assert cap == 2400 and sum(fee <= cap for fee in fees) >= 0.9 * len(fees)
    assert 1000 <= sum(fees) / len(fees) <= 2000


def test_every_operating_institution_is_graded_in_the_march_rounds_and_new_ones_soon_after_filing(history):
    places, _ = places_and_incidents(history)
    graded = defaultdict(list)
    for event in of_type(history, "RiskCreditGraded"):
        graded[event["institution_id"]].append(at(event["occurred_at"]).date())
    for year in (2024, 2025):
        due = [iid for iid, p in places.items() if p.filed.year < year and operating_on(history, iid, date(year, 4, 1))]
        assert due and [iid for iid in due if not any(d.year == year and d.month == 3 for d in graded[iid])] == []
    for iid, place in places.items():
        if place.filed.date() >= date(2024, 1, 1) and place.filed.date() + timedelta(days=61) < TODAY:
            assert min(graded[iid]) <= place.filed.date() + timedelta(days=60), iid


def operating_on(events: list[DemoEvent], institution: str, day: date) -> bool:
    end = datetime.combine(day, time.max, SHANGHAI)
    kinds = [
        e.event["type"]
        for e in events
        if e.event.get("institution_id") == institution
        and at(e.event["occurred_at"]) <= end
        and e.event["type"] in ("InstitutionFiled", "InstitutionClosed", "InstitutionReopened")
    ]
    return bool(kinds) and kinds[-1] != "InstitutionClosed"


def test_quality_assessments_score_all_seven_dimensions_plausibly_and_visits_score_none(history):
    inspections = of_type(history, "InspectionRecorded")
    assessments = [e for e in inspections if e["kind"] == "quality_assessment"]
    assert len(assessments) >= 40 and all("scores" not in e for e in inspections if e["kind"] != "quality_assessment")
    assert all(
        set(e["scores"]) == set(QUALITY_DIMENSIONS) and all(30 <= s <= 100 for s in e["scores"].values())
        for e in assessments
    )
    passed = [s for e in assessments if e["outcome"] == "pass" for s in e["scores"].values()]
    assert 80 <= sum(passed) / len(passed) <= 92
    means = {d: sum(e["scores"][d] for e in assessments) / len(assessments) for d in QUALITY_DIMENSIONS}
    assert max(means.values()) - min(means.values()) >= 2  # the dimensions are not all alike


@pytest.mark.parametrize("year", [2024, 2025])
def test_the_years_visits_reach_most_institutions_but_not_every_one(history, year):
    visited, kinds = set(), Counter()
    for event in of_type(history, "InspectionRecorded"):
        if event["kind"] in VISIT_KINDS and at(event["occurred_at"]).year == year:
            visited.add(event["institution_id"])
            kinds[event["kind"]] += 1
    whole_year = [
        iid
        for iid in places_and_incidents(history)[0]
        if all(operating_on(history, iid, day) for day in (date(year - 1, 12, 31), date(year, 12, 31)))
    ]
    share = len(visited & set(whole_year)) / len(whole_year)
    assert 0.75 <= share < 1, share
    assert kinds["routine"] > kinds["unannounced"] > 0 and kinds["supervision"] > 0


def test_a_serious_food_safety_incident_is_reported_within_hours_and_resolved_within_days(history):
    by_id = {e.event.get("incident_id"): e for e in history if e.event["type"] == "IncidentReported"}
    food = [e for e in by_id.values() if e.event["category"] == "food_safety" and e.event["severity"] == "serious"]
    assert len(food) == 1
    report = food[0]
    resolved = next(
        e.event
        for e in history
        if e.event["type"] == "IncidentResolved" and e.event["incident_id"] == report.event["incident_id"]
    )
    assert report.recorded_at - at(report.event["occurred_at"]) <= timedelta(hours=2)
    assert timedelta(days=2) <= at(resolved["occurred_at"]) - at(report.event["occurred_at"]) <= timedelta(days=6)
    # Incidents of a small district: a few a year, almost all general (一般), handled within a week.
    resolved_at = {
        e.event["incident_id"]: at(e.event["occurred_at"]) for e in history if e.event["type"] == "IncidentResolved"
    }
    assert 2 * (TODAY.year - 2023) <= len(by_id) <= 6 * (TODAY.year - 2022)
    assert Counter(e.event["severity"] for e in by_id.values())["general"] >= 0.8 * len(by_id)
    assert all(
        resolved_at[i] - at(e.event["occurred_at"]) <= timedelta(days=7) for i, e in by_id.items() if i in resolved_at
    )


def test_staff_reports_count_health_staff(history):
    reports = of_type(history, "StaffReported")
    assert reports and all(1 <= e["health_staff"] <= 2 for e in reports)


@pytest.mark.parametrize("year", [2023, 2024, 2025])
def test_parenting_guidance_is_held_offline_and_online_through_every_year(history, year):
    months = defaultdict(set)
    for event in of_type(history, "ParentingGuidanceHeld"):
        if at(event["occurred_at"]).year == year:
            months[event["format"]].add(at(event["occurred_at"]).month)
    assert len(months["offline"]) >= 10 and len(months["online"]) >= 8


def test_the_demo_keeps_its_size_modest_until_2028():
    assert len(generate(2023, date(2028, 2, 29))) <= 6000
