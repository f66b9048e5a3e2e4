"""Targets under kpis.md's revision, worked out by hand: counting kpis count within [start, end
of due], every target past due is judged at due (actual_at_due, outcome), the new kpis, and
`responsible`."""

from __future__ import annotations

from datetime import datetime

from tests.support.builders import (
    capacity,
    fee_cap,
    filed,
    filing_changed,
    granted,
    guidance,
    inspection,
    population,
    record,
    target,
    training,
)
from tests.support.builders import in_memory_app as memory_registry
from tuoyu.projections.facts import SHANGHAI
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import replay_snapshot

RECORDED = datetime(2027, 6, 1, 9, tzinfo=SHANGHAI)
YEAR_2024 = {"start": "2024-01-01", "due": "2024-12-31"}


def on(day: str) -> str:
    return f"{day}T10:00:00+08:00"


def as_of(day: str, time: str = "23:59:59") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}+08:00")


def targets_as_of(events: list[dict], moment: datetime) -> dict[tuple[str, str], dict]:
    with memory_registry(RECORDED) as app:
        record(app, *events)
        snapshot = replay_snapshot(read_facts(app.recorder), RECORDED, as_of=moment)
    return {(t["scope"], t["kpi"]): t for t in snapshot["targets"]}


NEW_SLOTS = [
    filed("A", slots=100, occurred_at=on("2023-06-01")),
    filed("B", slots=50, occurred_at=on("2024-05-01")),
    filed("C", slots=500, occurred_at=on("2025-02-01")),  # after the due day
    target(
        "district",
        "new_slots",
        300,
        **YEAR_2024,
        occurred_at=on("2024-01-05"),
        responsible=["health_commission", "education_commission"],
    ),
]


def test_a_2024_new_slots_target_is_judged_on_2024s_slots_not_on_todays():
    found = targets_as_of(NEW_SLOTS, as_of("2025-06-30"))[("district", "new_slots")]
    # slots at the end of 2024-12-31: A 100 + B 50 = 150; at 2024-01-01 00:00: A 100 -> 50 new.
    # C's 500 slots of 2025 do not count (the first contract said 650 - 100 = 550: met).
    assert {k: found[k] for k in ("baseline", "actual", "expected", "actual_at_due", "outcome", "status")} == {
        "baseline": 0,
        "actual": 50,
        "expected": 300,
        "actual_at_due": 50,
        "outcome": "missed",
        "status": "missed",
    }
    assert found["responsible"] == ["health_commission", "education_commission"]


def test_before_its_due_date_a_target_has_no_actual_at_due_and_no_outcome():
    found = targets_as_of(NEW_SLOTS, as_of("2024-07-01", "00:00:00"))[("district", "new_slots")]
    # fraction = 182 days (Jan 1 .. Jul 1 of a leap year) / 366 days = 0.4972678; 300 x it = 149.1803
    assert (found["actual"], found["expected"], found["status"]) == (50, 149.1803, "behind")
    assert (found["actual_at_due"], found["outcome"]) == (None, None)


def test_a_slot_filed_later_with_a_business_time_before_due_changes_the_judgement():
    backdated = filed("D", slots=260, occurred_at=on("2024-11-01"))
    found = targets_as_of([*NEW_SLOTS, backdated], as_of("2025-06-30"))[("district", "new_slots")]
    assert (found["actual_at_due"], found["outcome"]) == (310, "met")  # 50 + 260


def test_the_last_instant_of_the_due_day_is_not_yet_past_due():
    found = targets_as_of(NEW_SLOTS, datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=SHANGHAI))
    assert found[("district", "new_slots")]["outcome"] is None
    found = targets_as_of(NEW_SLOTS, datetime(2025, 1, 1, 0, 0, tzinfo=SHANGHAI))
    assert found[("district", "new_slots")]["outcome"] == "missed"


def test_training_counts_only_sessions_from_start_to_the_end_of_due_and_status_is_the_outcome_once_due():
    events = [
        training("head", 10, occurred_at=on("2023-12-31")),
        training("head", 20, occurred_at=on("2024-03-01")),
        training("head", 30, occurred_at="2024-12-31T23:00:00+08:00"),
        training("head", 40, occurred_at=on("2025-01-01")),
        target("district", "heads_trained", 60, **YEAR_2024, occurred_at=on("2024-01-05")),
    ]
    found = targets_as_of(events, as_of("2025-06-30"))[("district", "heads_trained")]
    # 20 + 30 in 2024; 10 (2023) and 40 (2025) are outside the window
    assert (found["actual"], found["actual_at_due"], found["outcome"], found["status"]) == (50, 50, "missed", "missed")


def test_offline_guidance_activities_count_offline_sessions_of_the_window_naming_the_township():
    events = [
        guidance(10, format="offline", township="dayu", occurred_at=on("2024-05-01")),
        guidance(10, format="online", township="dayu", occurred_at=on("2024-05-02")),
        guidance(10, format="offline", township="chengzi", occurred_at=on("2024-06-01")),
        guidance(10, format="offline", occurred_at=on("2024-06-02")),  # district-wide
        guidance(10, format="offline", township="dayu", occurred_at=on("2025-01-02")),
        target("dayu", "offline_guidance_activities", 2, **YEAR_2024, occurred_at=on("2024-01-05")),
        target("district", "offline_guidance_activities", 3, **YEAR_2024, occurred_at=on("2024-01-05")),
    ]
    found = targets_as_of(events, as_of("2025-03-01"))
    assert (
        found[("dayu", "offline_guidance_activities")]["actual"],
        found[("dayu", "offline_guidance_activities")]["outcome"],
    ) == (1, "missed")
    assert (
        found[("district", "offline_guidance_activities")]["actual"],
        found[("district", "offline_guidance_activities")]["outcome"],
    ) == (3, "met")


def test_new_inclusive_slots_of_kindergartens_and_of_all_kinds():
    events = [
        filed("KG1", kind="kindergarten_class", slots=40, inclusive=True, occurred_at=on("2023-09-01")),
        filed("KG2", kind="kindergarten_class", slots=60, inclusive=False, occurred_at=on("2024-02-01")),
        granted("KG2", occurred_at=on("2024-03-01")),
        filed("CM", kind="community", slots=100, inclusive=True, occurred_at=on("2024-04-01")),
        filed("KG3", kind="community", slots=30, inclusive=True, occurred_at=on("2024-05-01")),
        filing_changed("KG3", changes={"kind": "kindergarten_class"}, occurred_at=on("2024-06-01")),
        capacity("KG1", 50, occurred_at=on("2025-01-10")),  # after due
        target("district", "kindergarten_new_inclusive_slots", 100, **YEAR_2024, occurred_at=on("2024-01-05")),
        target("district", "new_inclusive_slots", 150, **YEAR_2024, occurred_at=on("2024-01-05")),
    ]
    found = targets_as_of(events, as_of("2025-02-01"))
    # kindergartens' inclusive slots: 40 at start; 40 + 60 + 30 = 130 at the end of 2024 -> 90
    kindergartens = found[("district", "kindergarten_new_inclusive_slots")]
    assert (kindergartens["actual"], kindergartens["actual_at_due"], kindergartens["outcome"]) == (90, 90, "missed")
    # every kind: 40 at start; 40 + 60 + 100 + 30 = 230 at the end of 2024 -> 190
    everything = found[("district", "new_inclusive_slots")]
    assert (everything["actual"], everything["actual_at_due"], everything["outcome"]) == (190, 190, "met")
    during = targets_as_of(events, as_of("2024-05-15"))[("district", "kindergarten_new_inclusive_slots")]
    assert during["actual"] == 60  # KG2 granted; KG3 not yet a kindergarten


def test_a_slots_per_1000_target_without_a_population_counts_zero_and_is_judged_with_the_population_then():
    events = [
        filed("Q", township="qingshui", slots=10, occurred_at=on("2023-05-01")),
        target("qingshui", "slots_per_1000", 4.5, start="2024-01-01", due="2025-12-31", occurred_at=on("2024-01-05")),
    ]
    found = targets_as_of(events, as_of("2025-06-01"))[("qingshui", "slots_per_1000")]
    assert (found["baseline"], found["actual"], found["status"]) == (0, 0, "behind")
    late_report = population("qingshui", 2025, 2_000, occurred_at=on("2026-01-05"))  # after due
    found = targets_as_of([*events, late_report], as_of("2026-02-01"))[("qingshui", "slots_per_1000")]
    # today: 10 / 2000 x 1000 = 5.0 >= 4.5 (status follows today's level); at due no population yet: 0
    assert (found["actual"], found["status"], found["actual_at_due"], found["outcome"]) == (5.0, "met", 0, "missed")


def test_a_district_inspected_share_target_is_judged_on_the_visits_of_its_due_year():
    events = [
        filed("A", occurred_at=on("2024-03-01")),
        filed("B", occurred_at=on("2024-03-01")),
        filed("C", occurred_at=on("2024-03-01")),
        inspection("A", "I-1", outcome="pass", occurred_at=on("2025-06-01")),
        inspection("B", "I-2", outcome="pass", occurred_at=on("2026-02-01")),
        inspection("C", "I-3", outcome="pass", occurred_at=on("2026-02-02")),
        target("district", "inspected_share", 0.6, start="2025-01-01", due="2025-12-31", occurred_at=on("2025-01-05")),
    ]
    found = targets_as_of(events, as_of("2026-03-01"))[("district", "inspected_share")]
    # at start (2025-01-01 00:00) nothing visited in 2025: 0; at the end of 2025: A of 3 = 0.3333;
    # today (2026): B and C of 3 = 0.6667
    assert (found["baseline"], found["actual"], found["status"]) == (0, 0.6667, "met")
    assert (found["actual_at_due"], found["outcome"]) == (0.3333, "missed")


def test_an_assessed_share_target_at_due_counts_assessments_of_the_365_days_before_the_end_of_due():
    events = [
        filed("A", occurred_at=on("2023-03-01")),
        filed("B", occurred_at=on("2023-03-01")),
        inspection("A", "Q-1", outcome="pass", kind="quality_assessment", occurred_at=on("2025-01-01")),
        inspection("B", "Q-2", outcome="pass", kind="quality_assessment", occurred_at=on("2024-12-31")),
        target("dayu", "assessed_share", 1, start="2025-01-01", due="2025-12-31", occurred_at=on("2025-01-05")),
    ]
    found = targets_as_of(events, as_of("2026-01-02"))[("dayu", "assessed_share")]
    # end of 2025-12-31 minus 365 days = end of 2024-12-31: B's 10:00 assessment is out, A's in
    assert (found["baseline"], found["actual_at_due"], found["outcome"]) == (0.5, 0.5, "missed")


def test_a_target_without_responsible_units_carries_an_empty_list():
    found = targets_as_of([target("district", "slots_total", 10, occurred_at=on("2024-01-05"))], as_of("2024-02-01"))
    assert found[("district", "slots_total")]["responsible"] == []


def test_a_level_target_past_due_keeps_status_on_todays_figure_and_outcome_on_the_due_days():
    events = [
        filed("A", slots=80, occurred_at=on("2024-03-01")),
        filed("B", slots=40, occurred_at=on("2025-03-01")),
        target("district", "slots_total", 100, **YEAR_2024, occurred_at=on("2024-01-05")),
    ]
    found = targets_as_of(events, as_of("2025-06-01"))[("district", "slots_total")]
    assert (found["actual"], found["status"], found["actual_at_due"], found["outcome"]) == (120, "met", 80, "missed")


def test_a_fee_cap_changes_no_target():
    events = [
        fee_cap(2000, "2024-01-01", occurred_at=on("2024-01-02")),
        target("district", "slots_total", 10, occurred_at=on("2024-01-05")),
    ]
    assert list(targets_as_of(events, as_of("2024-02-01"))) == [("district", "slots_total")]
