"""Since when a target has been behind its straight line (the "since" of TargetBehindPace), for
every kpi: the walk itself on hand-made stretches, then each kpi from a small recorded history
replayed as of a chosen instant, the instant worked out by hand."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.support.builders import filed, guidance, inspection, population, record, target, training
from tests.support.builders import in_memory_app as memory_registry
from tuoyu.projections.facts import SHANGHAI
from tuoyu.projections.moments import day_start, instant
from tuoyu.projections.pace import as_datetime, behind_since, change_moments
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import replay_snapshot

TARGET = {
    "scope": "district",
    "kpi": "new_slots",
    "value": 300,
    "baseline": 0,
    "start": "2026-01-01",
    "due": "2026-12-31",
    "status": "behind",
}
NOW = instant(datetime(2026, 6, 30, 12, 0, tzinfo=SHANGHAI))
START = day_start("2026-01-01")
YEAR_2026 = {"start": "2026-01-01", "due": "2026-12-31"}  # 365 days: the line passes day n at n / 365
RECORDED = datetime(2027, 6, 1, 9, tzinfo=SHANGHAI)


def at(text: str) -> int:
    return instant(datetime.fromisoformat(text))


def since_of(steps: dict[int, float], target: dict = TARGET, now: int = NOW) -> datetime | None:
    found = behind_since(target, sorted(steps), steps.__getitem__, now)
    return None if found is None else as_datetime(found)


# ---- the walk ---------------------------------------------------------------------------------


def test_a_target_whose_figure_never_moved_is_behind_since_its_start():
    assert since_of({START: 0.0}) == as_datetime(START)


def test_behind_since_the_line_passed_the_figure_of_the_latest_change():
    # 100 from 1 March: the line (300 over the year) passed 100 at a third of the year.
    since = since_of({START: 0.0, day_start("2026-03-01"): 100.0})
    assert since == as_datetime(START + (day_start("2027-01-01") - START) // 3)


def test_a_change_that_did_not_catch_up_does_not_reset_the_since():
    # Behind since the start; 20 slots in February were still below the line then.
    assert since_of({START: 0.0, day_start("2026-02-15"): 20.0}) == as_datetime(START)


def test_a_fall_below_the_line_counts_from_the_fall_not_from_where_the_line_passed_the_old_figure():
    # 200 slots from the start (ahead: the line reaches 200 in September), 50 from 1 June (behind).
    since = since_of({START: 200.0, day_start("2026-06-01"): 50.0}, {**TARGET, "kpi": "slots_total"})
    assert since == as_datetime(day_start("2026-06-01"))


def test_a_falling_line_is_behind_while_the_figure_is_below_it():
    # From 0.9 down to 0.5 over the year; 0.6 all along is behind until the line comes down to it.
    falling = {**TARGET, "kpi": "inclusive_share", "baseline": 0.9, "value": 0.5}
    assert since_of({START: 0.6}, falling, now=at("2026-03-01T00:00:00+08:00")) == as_datetime(START)


def test_only_a_target_behind_has_a_since():
    assert since_of({START: 0.0}, {**TARGET, "status": "on_track"}) is None


def test_the_moments_of_change_start_at_the_start_and_stop_now():
    reported = at("2026-05-01T10:00:00+08:00")
    part = {
        "history": {
            "2025-12-01": [5, 0, 0, 0, 0, 0],
            "2026-02-01": [5, 0, 0, 0, 0, 0],
            "2026-08-01": [5, 0, 0, 0, 0, 0],
        },
        "population": [[2026, 1000, None, reported]],
    }
    assert change_moments("slots_per_1000", [part], part, [part], "2026-01-01", NOW) == [
        START,
        day_start("2026-02-01"),
        reported,
    ]


# ---- every kpi, from a recorded history -------------------------------------------------------


def since_as_of(events: list[dict], moment: str, scope: str = "district", kpi: str | None = None) -> str | None:
    kpi = kpi or next(e["kpi"] for e in events if e["type"] == "TargetSet")
    with memory_registry(RECORDED) as app:
        record(app, *events)
        snapshot = replay_snapshot(read_facts(app.recorder), RECORDED, as_of=datetime.fromisoformat(moment))
    found = next(t for t in snapshot["targets"] if (t["scope"], t["kpi"]) == (scope, kpi))
    assert found["status"] == "behind", found
    return found["behind_since"]


def on(day: str, time: str = "10:00:00") -> str:
    return f"{day}T{time}+08:00"


@pytest.mark.parametrize(
    "kpi, kind", [("new_inclusive_slots", "community"), ("kindergarten_new_inclusive_slots", "kindergarten_class")]
)
def test_new_inclusive_slots_are_behind_from_when_the_line_passed_them(kpi, kind):
    events = [
        filed("A", slots=100, kind=kind, inclusive=True, occurred_at=on("2026-02-01")),
        filed("B", slots=80, kind="employer", inclusive=False, occurred_at=on("2026-03-01")),
        target("district", kpi, 365, **YEAR_2026, occurred_at=on("2025-12-20")),
    ]
    # 100 new inclusive slots (B is not inclusive): the line reaches 100 after 100 days, on 11 April.
    assert since_as_of(events, on("2026-06-30")) == "2026-04-11T00:00:00+08:00"


def test_kindergartens_new_inclusive_slots_count_only_kindergartens():
    events = [
        filed("K", slots=50, kind="kindergarten_class", inclusive=True, occurred_at=on("2026-01-20")),
        filed("C", slots=200, kind="community", inclusive=True, occurred_at=on("2026-01-21")),
        target("district", "kindergarten_new_inclusive_slots", 365, **YEAR_2026, occurred_at=on("2025-12-20")),
    ]
    assert since_as_of(events, on("2026-06-30")) == "2026-02-20T00:00:00+08:00"  # 50 days after the start


def test_slots_per_1000_fall_behind_at_the_instant_a_larger_population_is_reported():
    events = [
        population("district", 2025, 10_000, occurred_at=on("2025-06-01")),
        filed("A", slots=30, occurred_at=on("2025-03-01")),
        target("district", "slots_per_1000", 4.5, **YEAR_2026, occurred_at=on("2025-12-20")),
        filed("B", slots=10, occurred_at=on("2026-03-01")),
        population("district", 2026, 12_000, occurred_at=on("2026-05-01")),
    ]
    # Baseline 3.0 (30 per 10,000). 4.0 from 1 March is ahead of the line (it reaches 4.0 after two
    # thirds of the year); 40 per 12,000 = 3.3333 from the report on 1 May at 10:00 is behind.
    assert since_as_of(events, on("2026-06-30")) == "2026-05-01T10:00:00+08:00"


def test_the_inspected_share_is_behind_from_when_the_line_passed_it():
    events = [
        *(filed(i, occurred_at=on("2025-03-01")) for i in "ABCD"),
        inspection("A", "I-1", outcome="pass", occurred_at=on("2026-02-01")),
        inspection("B", "I-2", outcome="pass", occurred_at=on("2026-03-01")),
        target("district", "inspected_share", 1.0, **YEAR_2026, occurred_at=on("2025-12-20")),
    ]
    # Nothing visited on 1 January (baseline 0); 2 of 4 from 1 March: the line passes 0.5 half way
    # through the year, 182.5 days after the start.
    assert since_as_of(events, on("2026-08-01")) == "2026-07-02T12:00:00+08:00"


def test_the_assessed_share_falls_behind_at_the_instant_an_assessment_turns_365_days_old():
    events = [
        *(filed(i, occurred_at=on("2025-03-01")) for i in "ABCD"),
        inspection("A", "Q-1", outcome="pass", kind="quality_assessment", occurred_at=on("2025-04-10")),
        inspection("B", "Q-2", outcome="pass", kind="quality_assessment", occurred_at=on("2025-12-20")),
        inspection("C", "Q-3", outcome="pass", kind="quality_assessment", occurred_at=on("2026-01-15")),
        target("district", "assessed_share", 1.0, **YEAR_2026, occurred_at=on("2025-12-20")),
    ]
    # Baseline 0.5 (A and B); 0.75 from 15 January is ahead of the line; A's assessment turns 365
    # days old on 10 April 2026 at 10:00: 0.5 from that instant, behind.
    assert since_as_of(events, on("2026-05-01")) == "2026-04-10T10:00:00+08:00"


def test_offline_guidance_activities_are_behind_from_when_the_line_passed_their_count():
    events = [
        guidance(occurred_at=on("2026-01-10")),
        guidance(occurred_at=on("2026-02-10")),
        guidance(format="online", occurred_at=on("2026-03-01")),  # online: does not count
        target("district", "offline_guidance_activities", 12, **YEAR_2026, occurred_at=on("2025-12-20")),
    ]
    # 2 offline activities: the line (12 over 365 days) passes 2 after 60 5/6 days, 2 March at 20:00.
    assert since_as_of(events, on("2026-06-30")) == "2026-03-02T20:00:00+08:00"


def test_training_counts_are_behind_from_when_the_line_passed_them():
    events = [
        training("head", people=73, occurred_at=on("2026-01-05")),
        target("district", "heads_trained", 365, **YEAR_2026, occurred_at=on("2025-12-20")),
    ]
    assert since_as_of(events, on("2026-06-30")) == "2026-03-15T00:00:00+08:00"  # 73 days after the start


def test_a_township_target_reads_its_own_townships_figures():
    events = [
        filed("A", slots=100, township="dayu", inclusive=True, occurred_at=on("2026-02-01")),
        filed("Q", slots=10, township="qingshui", inclusive=True, occurred_at=on("2026-01-02")),
        target("qingshui", "new_inclusive_slots", 365, **YEAR_2026, occurred_at=on("2025-12-20")),
    ]
    assert since_as_of(events, on("2026-06-30"), scope="qingshui") == "2026-01-11T00:00:00+08:00"
