"""The supervision and safety figures of kpis.md's revision, worked out by hand for small
histories recorded in memory and replayed as of chosen instants: windows to the microsecond,
the turn of the year, latest values, incidents, health staff and training."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.support.builders import (
    closed,
    filed,
    graded,
    incident,
    inspection,
    record,
    reopened,
    resolved,
    staff,
    training,
)
from tests.support.builders import in_memory_app as memory_registry
from tuoyu.projections.facts import SHANGHAI
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import replay_snapshot

RECORDED = datetime(2027, 6, 1, 9, tzinfo=SHANGHAI)  # after every event below
T0 = datetime(2025, 3, 1, 10, 0, tzinfo=SHANGHAI)
MICRO = timedelta(microseconds=1)
DIMENSIONS = ("management", "staffing", "environment", "safety", "health", "family_community", "activities")


def at(moment: datetime) -> str:
    return moment.isoformat()


def township_as_of(events: list[dict], as_of: datetime, township: str = "dayu") -> dict:
    with memory_registry(RECORDED) as app:
        record(app, *events)
        return replay_snapshot(read_facts(app.recorder), RECORDED, as_of=as_of)["townships"][township]


def visit(inst: str, inspection_id: str, when: datetime, kind: str = "routine", outcome: str = "pass", **extra):
    return inspection(inst, inspection_id, outcome=outcome, kind=kind, occurred_at=at(when), **extra)


# ---- grades and windows -----------------------------------------------------------------------------


def test_institutions_are_counted_by_their_latest_grade_and_ungraded_ones_as_ungraded():
    events = [
        filed("A", occurred_at=at(T0)),
        filed("B", occurred_at=at(T0)),
        filed("C", occurred_at=at(T0)),
        graded("A", risk="high", credit="C", occurred_at=at(T0)),
        graded("A", risk="medium", credit="B", occurred_at=at(T0 + timedelta(days=1))),
        graded("B", risk="low", credit="A", occurred_at=at(T0)),
        filed("D", occurred_at=at(T0)),
        graded("D", risk="high", credit="D", occurred_at=at(T0)),
        closed("D", emergency=False, occurred_at=at(T0 + timedelta(days=2))),
    ]
    figures = township_as_of(events, T0 + timedelta(days=3))
    # A medium/B (latest), B low/A, C ungraded; D is closed and counts nowhere
    assert figures["institutions_by_risk"] == {"low": 1, "medium": 1, "high": 0, "ungraded": 1}
    assert figures["institutions_by_credit"] == {"A": 1, "B": 1, "C": 0, "D": 0, "ungraded": 1}


def test_a_high_risk_institution_counts_as_uninspected_from_exactly_90_days_after_its_last_inspection():
    inspected_at = T0 + timedelta(days=10)
    events = [
        filed("A", occurred_at=at(T0)),
        graded("A", risk="high", credit="B", occurred_at=at(T0)),
        visit("A", "I-1", inspected_at, kind="complaint"),
    ]
    assert township_as_of(events, inspected_at - MICRO)["high_risk_uninspected"] == 1  # no inspection yet
    assert township_as_of(events, inspected_at)["high_risk_uninspected"] == 0
    assert township_as_of(events, inspected_at + timedelta(days=90) - MICRO)["high_risk_uninspected"] == 0
    # "after today − 90 × 24 h": an inspection exactly 90 days back is no longer within
    assert township_as_of(events, inspected_at + timedelta(days=90))["high_risk_uninspected"] == 1


def test_a_quality_assessment_counts_as_an_inspection_for_high_risk_institutions_but_not_for_visits():
    events = [
        filed("A", occurred_at=at(T0)),
        graded("A", risk="high", credit="B", occurred_at=at(T0)),
        visit("A", "Q-1", T0, kind="quality_assessment"),
    ]
    figures = township_as_of(events, T0 + timedelta(days=1))
    assert (
        figures["high_risk_uninspected"],
        figures["inspected_institutions"],
        figures["inspected_share"],
        figures["assessed_institutions"],
        figures["assessed_share"],
    ) == (0, 0, 0.0, 1, 1.0)


def test_a_visit_counts_for_inspected_share_until_the_last_instant_of_its_year():
    last_instant = datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    events = [
        filed("A", occurred_at=at(T0)),
        filed("B", occurred_at=at(T0)),
        visit("A", "I-1", datetime(2025, 12, 31, 16, 0, tzinfo=SHANGHAI), kind="unannounced"),
    ]
    figures = township_as_of(events, last_instant)
    assert (figures["inspected_institutions"], figures["inspected_share"]) == (1, 0.5)  # A of A and B
    figures = township_as_of(events, last_instant + MICRO)  # 2026-01-01 00:00: a new year
    assert (figures["inspected_institutions"], figures["inspected_share"]) == (0, 0.0)


@pytest.mark.parametrize("kind", ["routine", "unannounced", "complaint", "supervision"])
def test_every_kind_of_visit_counts_toward_inspected_share(kind):
    events = [filed("A", occurred_at=at(T0)), visit("A", "I-1", T0, kind=kind)]
    assert township_as_of(events, T0)["inspected_share"] == 1.0


def test_a_quality_assessment_counts_for_assessed_share_during_the_365_days_after_it():
    events = [filed("A", occurred_at=at(T0)), visit("A", "Q-1", T0, kind="quality_assessment")]
    assert township_as_of(events, T0 + timedelta(days=365) - MICRO)["assessed_share"] == 1.0
    assert township_as_of(events, T0 + timedelta(days=365))["assessed_share"] == 0.0


def test_shares_are_null_without_an_operating_institution():
    events = [
        filed("A", occurred_at=at(T0)),
        visit("A", "I-1", T0),
        closed("A", emergency=False, occurred_at=at(T0 + timedelta(days=1))),
    ]
    figures = township_as_of(events, T0 + timedelta(days=2))
    assert (figures["inspected_share"], figures["assessed_share"], figures["inspected_institutions"]) == (None, None, 0)


# ---- quality scores and outcomes -------------------------------------------------------------------


def test_quality_scores_are_the_mean_of_each_institutions_latest_assessment_dimension_by_dimension():
    scores_a_old = dict.fromkeys(DIMENSIONS, 50)
    scores_a = {"management": 80, "safety": 70}  # the latest: only two dimensions
    scores_b = dict.fromkeys(DIMENSIONS, 90)
    events = [
        filed("A", occurred_at=at(T0)),
        filed("B", occurred_at=at(T0)),
        filed("C", occurred_at=at(T0)),
        visit("A", "Q-1", T0, kind="quality_assessment", scores=scores_a_old),
        visit("A", "Q-2", T0 + timedelta(days=1), kind="quality_assessment", scores=scores_a),
        visit("B", "Q-3", T0, kind="quality_assessment", scores=scores_b),
        visit("C", "I-4", T0, kind="unannounced", scores=dict.fromkeys(DIMENSIONS, 10)),
    ]  # not an assessment
    figures = township_as_of(events, T0 + timedelta(days=2))
    # management: (80 + 90) / 2 = 85; safety: (70 + 90) / 2 = 80; the others: B's 90 alone
    assert figures["quality_scores"] == {**dict.fromkeys(DIMENSIONS, 90.0), "management": 85.0, "safety": 80.0}
    assert figures["quality_score_sum"]["management"] == 170 and figures["quality_score_count"]["management"] == 2
    assert figures["quality_score_count"]["health"] == 1


def test_quality_scores_are_null_when_no_operating_institution_was_assessed():
    figures = township_as_of([filed("A", occurred_at=at(T0))], T0)
    assert figures["quality_scores"] == dict.fromkeys(DIMENSIONS, None)


def test_an_institution_failed_its_latest_inspection_until_a_later_one_passes():
    events = [
        filed("A", occurred_at=at(T0)),
        filed("B", occurred_at=at(T0)),
        visit("A", "I-1", T0, outcome="fail"),
        visit("B", "I-2", T0, outcome="fail"),
        visit("B", "I-3", T0 + timedelta(days=5), outcome="pass"),
    ]
    assert township_as_of(events, T0 + timedelta(days=1))["failed_latest"] == 2
    assert township_as_of(events, T0 + timedelta(days=6))["failed_latest"] == 1


# ---- incidents -------------------------------------------------------------------------------------


def test_open_incidents_by_severity_and_category_and_this_years_incidents():
    last_year = datetime(2024, 12, 31, 23, 0, tzinfo=SHANGHAI)
    events = [
        filed("A", occurred_at=at(last_year - timedelta(days=30))),
        incident("A", "OLD", category="health", severity="general", occurred_at=at(last_year)),
        incident("A", "F-1", category="food_safety", severity="serious", occurred_at=at(T0)),
        incident("A", "F-2", category="food_safety", severity="major", occurred_at=at(T0)),
        incident("A", "P-1", category="personal_safety", severity="general", occurred_at=at(T0)),
        resolved("A", "P-1", occurred_at=at(T0 + timedelta(days=2))),
    ]
    figures = township_as_of(events, T0 + timedelta(days=3))
    assert figures["incidents_open"] == 3  # OLD, F-1, F-2
    assert figures["incidents_open_serious"] == 2  # serious and major
    assert figures["incidents_open_by_category"] == {
        "personal_safety": 0,
        "food_safety": 2,
        "fire_safety": 0,
        "health": 1,
        "other": 0,
    }
    assert figures["incidents_open_by_category_severity"]["food_safety"] == {"general": 0, "serious": 1, "major": 1}
    assert figures["incidents_year"] == 3  # 2025: F-1, F-2, P-1 (resolved or not); OLD was in 2024
    assert township_as_of(events, T0 + timedelta(days=1))["incidents_open"] == 4  # P-1 resolved later


def test_an_incident_of_a_closed_institution_stays_open_until_resolved():
    events = [
        filed("A", occurred_at=at(T0)),
        closed("A", emergency=False, occurred_at=at(T0)),
        incident("A", "X", occurred_at=at(T0 + timedelta(days=1))),
    ]
    assert township_as_of(events, T0 + timedelta(days=2))["incidents_open_serious"] == 1


# ---- health staff and training ------------------------------------------------------------------------


def test_health_staff_is_the_sum_of_the_latest_reports_of_operating_institutions_missing_counting_zero():
    events = [
        filed("A", occurred_at=at(T0)),
        filed("B", occurred_at=at(T0)),
        filed("C", occurred_at=at(T0)),
        staff("A", 5, 4, health_staff=2, occurred_at=at(T0)),
        staff("B", 5, 4, health_staff=3, occurred_at=at(T0)),
        staff("B", 5, 4, occurred_at=at(T0 + timedelta(days=1))),  # latest: no health_staff -> 0
        staff("C", 5, 4, health_staff=7, occurred_at=at(T0)),
        closed("C", emergency=False, occurred_at=at(T0 + timedelta(days=1))),
    ]
    assert township_as_of(events, T0 + timedelta(days=2))["health_staff"] == 2


def test_a_new_institution_lacks_health_training_from_90_days_after_filing_unless_trained_before_then():
    filed_at = datetime(2024, 1, 10, 9, 0, tzinfo=SHANGHAI)
    day_90 = filed_at + timedelta(days=90)
    untrained = [filed("A", occurred_at=at(filed_at))]
    assert township_as_of(untrained, day_90)["new_without_health_training"] == 0  # not more than 90 days yet
    assert township_as_of(untrained, day_90 + MICRO)["new_without_health_training"] == 1
    in_time = untrained + [training("health", 2, institution_id="A", occurred_at=at(day_90 - MICRO))]
    assert township_as_of(in_time, day_90 + MICRO)["new_without_health_training"] == 0
    late = untrained + [training("health", 2, institution_id="A", occurred_at=at(day_90))]
    assert township_as_of(late, day_90 + timedelta(days=1))["new_without_health_training"] == 1
    other_course = untrained + [training("caregiver", 2, institution_id="A", occurred_at=at(filed_at))]
    assert township_as_of(other_course, day_90 + MICRO)["new_without_health_training"] == 1


def test_institutions_filed_before_2023_or_not_operating_owe_no_health_training():
    old = datetime(2022, 12, 31, 23, 0, tzinfo=SHANGHAI)
    events = [
        filed("OLD", occurred_at=at(old)),
        filed("SHUT", occurred_at=at(T0)),
        closed("SHUT", emergency=False, occurred_at=at(T0 + timedelta(days=1))),
    ]
    assert township_as_of(events, T0 + timedelta(days=200))["new_without_health_training"] == 0
    events.append(reopened("SHUT", occurred_at=at(T0 + timedelta(days=2))))
    assert township_as_of(events, T0 + timedelta(days=200))["new_without_health_training"] == 1
