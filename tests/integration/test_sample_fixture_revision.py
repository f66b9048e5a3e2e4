"""An independent oracle for kpis.md's revision of 2026-11-30, on the sample fixture extended with
its event types (tests/fixtures/sample-events-revision.jsonl: the 15 shared events s-001..s-015,
then r-001..r-026). Every expected figure, target and outcome below was worked out BY HAND from
that file and kpis.md; none is computed by the platform's code. The test drives the `tuoyu`
command line (`import`, then `replay --json`) against a fresh store, SQLite and PostgreSQL.

The 15 shared events are summarised in test_sample_fixture.py. The 26 added (+08:00):

    r-001 2024-01-10 PopulationReported district 2023: 396000, under3 7800
    r-002 2024-01-10 PopulationReported yongding 2023: 58000 (no under3)
    r-003 2024-01-15 InclusiveFeeCapSet 3000 yuan from 2024-07-01
    r-004 2024-03-20 RiskCreditGraded   MTG-KG-001 high / C
    r-005 2024-05-10 InspectionRecorded MTG-CM-003 QA-2024-001 quality_assessment pass, scores
                     management 80 staffing 70 environment 90 safety 85 health 75 family_community 60 activities 88
    r-006 2024-07-05 TrainingCompleted  health, 12 people, naming MTG-CM-003 (so zhaitang)
    r-007 2024-07-20 IncidentReported   MTG-PR-002 INC-2024-001 food_safety serious, 5 children
    r-008 2024-07-23 IncidentResolved   MTG-PR-002 INC-2024-001
    r-009 2024-09-05 IncidentReported   MTG-KG-001 INC-2024-002 personal_safety general (KG-001 closed 09-03)
    r-010 2024-09-20 InspectionRecorded MTG-CM-003 INSP-2024-031 routine fail
    r-011 2024-09-25 StaffReported      MTG-CM-003 caregivers 4, certified 3, health_staff 1
    r-012 2024-09-28 ParentingGuidanceHeld online, 120 participants, yongding
    r-013 2024-11-15 IncidentReported   MTG-CM-003 INC-2024-003 fire_safety major
    r-014 2024-12-20 InstitutionFiled   MTG-KG-004 chengzi kindergarten_class 30 slots inclusive, 2800 yuan
    r-015 2025-01-08 CapacityChanged    MTG-KG-004 30 -> 45
    r-016 2025-01-20 ParentingGuidanceHeld offline, 30 participants, chengzi
    r-017 2025-02-10 PopulationReported district 2024: 397500, under3 7600
    r-018..r-026 (occurred 2024-08-12) TargetSet, start 2024-01-01:
        district kindergarten_new_inclusive_slots 600 due 2024-12-31 [education_commission]
        district new_slots 100                    due 2024-12-31 [health_commission, education_commission]
        district slots_per_1000 0.2               due 2024-12-31 [health_commission, education_commission]
        yongding slots_per_1000 1.0               due 2025-12-31 [townships]
        zhaitang slots_per_1000 4.5               due 2025-12-31 (no unit named; no population reported)
        district inspected_share 0.5              due 2024-12-31 [health_commission]
        district assessed_share 0.5               due 2024-12-31 [health_commission]
        district offline_guidance_activities 2    due 2024-12-31 [health_commission, women_federation]
        district new_inclusive_slots 100          due 2024-12-31 [health_commission]

Readings of kpis.md this oracle relies on (docs/decisions.md says why):
- inspected_share counts routine, unannounced, complaint and supervision visits; the quality
  assessment counts for assessed_share (and as "an inspection, any kind" for high risk).
- quality_scores are those of quality assessments only: s-009's scores (an unannounced visit)
  count for no dimension.
- the district's population is the district's own report, not the sum of the townships'.
- a target's baseline for a share is the figure at 00:00 of its start; a level at a past day
  ("at start", "at the end of due") counts the changes that occurred before that instant.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_sample_fixture import (
    AS_OF_SEPT,
    DIMENSIONS,
    EMPTY_TOWNSHIP,
    KINDS,
    TOWNSHIPS,
    assert_figures,
    assert_target,
    import_file,
    replay,
    targets_by_key,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sample-events-revision.jsonl"
AS_OF_JUNE = "2024-06-30T23:59:59+08:00"
AS_OF_2025 = "2025-03-31T23:59:59+08:00"
CM_SCORES = {
    "management": 80,
    "staffing": 70,
    "environment": 90,
    "safety": 85,
    "health": 75,
    "family_community": 60,
    "activities": 88,
}
NO_INCIDENTS = {c: 0 for c in ("personal_safety", "food_safety", "fire_safety", "health", "other")}


@pytest.fixture
def imported(store_env: dict[str, str]) -> dict[str, str]:
    import_file(store_env, FIXTURE)
    return store_env


def test_the_fixture_is_the_shared_one_followed_by_the_revisions_26_events() -> None:
    lines = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    shared = (FIXTURE.parent / "sample-events.jsonl").read_text(encoding="utf-8")
    assert FIXTURE.read_text(encoding="utf-8").startswith(shared)
    assert [e["event_id"] for e in lines[15:]] == [f"r-{i:03d}" for i in range(1, 27)]


# --------------------------------------------------------------------------- 2024-09-30

# Occurred by 2024-09-30 23:59:59: s-001..s-015, r-001..r-012 and the targets (08-12).
# Operating: PR-002 (yongding, private, 60, inclusive since 08-01 at 3200 yuan) and CM-003
# (zhaitang, community, 20, inclusive, 1200 yuan). KG-001 (dayu) is closed since 09-03.
DISTRICT_SEPT: dict[str, Any] = {
    # the first contract's figures: as in test_sample_fixture.DISTRICT_SEPT but for
    "slots_total": 80,
    "slots_inclusive": 80,
    "institutions_operating": 2,
    "enrolled": 41,
    "children_awaiting_rehoming": 12,
    "rectifications_overdue": 1,
    "caregivers": 14,
    "certified_caregivers": 11,  # + CM-003's 4 and 3 (r-011)
    "certified_share": 0.7857,  # 11 / 14 = 0.785714
    "health_trained": 12,  # r-006
    "guidance_activities": 2,
    "guidance_participants": 168,  # s-014 (48) + r-012 (120)
    # slots by kind
    "slots_by_kind": {**dict.fromkeys(KINDS, 0), "private": 60, "community": 20},
    "inclusive_slots_by_kind": {**dict.fromkeys(KINDS, 0), "private": 60, "community": 20},
    "kindergarten_share": 0.0,  # 0 / 80: the one kindergarten class is closed
    # grades: PR-002 medium/B (s-015); CM-003 never graded; KG-001's high/C (r-004) is closed
    "institutions_by_risk": {"low": 0, "medium": 1, "high": 0, "ungraded": 1},
    "institutions_by_credit": {"A": 0, "B": 1, "C": 0, "D": 0, "ungraded": 1},
    "high_risk_uninspected": 0,  # no operating high-risk institution
    # inspections this year: PR-002 unannounced 06-20 (s-009), CM-003 routine 09-20 (r-010)
    "inspected_institutions": 2,
    "inspected_share": 1.0,  # 2 / 2
    # quality assessed in the 365 days up to 09-30: CM-003 on 05-10 (r-005)
    "assessed_institutions": 1,
    "assessed_share": 0.5,  # 1 / 2
    "quality_scores": {d: float(CM_SCORES[d]) for d in DIMENSIONS},  # CM-003's alone
    "quality_score_count": dict.fromkeys(DIMENSIONS, 1),
    "failed_latest": 1,  # CM-003: its latest inspection, r-010, failed
    # incidents: INC-2024-001 resolved 07-23; INC-2024-002 (closed KG-001) open, general
    "incidents_open": 1,
    "incidents_open_serious": 0,
    "incidents_open_by_category": {**NO_INCIDENTS, "personal_safety": 1},
    "incidents_year": 2,  # 001 (07-20) and 002 (09-05)
    "health_staff": 1,  # CM-003 1 (r-011); PR-002's report names none; KG-001 closed
    # PR-002 filed 03-05, no health course; CM-003 filed 04-10 10:00, course 07-05 before 07-09 10:00
    "new_without_health_training": 1,
    "inclusive_fee_mean": 2200.0,
    "inclusive_fee_yuan_sum": 4400,
    "inclusive_fee_yuan_count": 2,  # 3200, 1200
    "inclusive_over_cap": 1,  # the cap of r-003 is in force since 07-01: PR-002's 3200 > 3000
    "inclusive_fee_cap_yuan": 3000,
    "guidance_offline_year": 1,
    "guidance_online_year": 1,
    "guidance_participants_year": 168,
    "population": 396000,
    "under3": 7800,  # r-001 (2023), the district's own report
    "slots_per_1000": 0.202,  # 80 / 396000 x 1000 = 0.20202
}

YONGDING_SEPT: dict[str, Any] = {
    "slots_by_kind": {**dict.fromkeys(KINDS, 0), "private": 60},
    "institutions_by_risk": {"low": 0, "medium": 1, "high": 0, "ungraded": 0},
    "inspected_share": 1.0,
    "assessed_share": 0.0,
    "quality_scores": dict.fromkeys(DIMENSIONS, None),
    "failed_latest": 0,
    "incidents_open": 0,
    "incidents_year": 1,  # INC-2024-001, resolved
    "health_staff": 0,
    "new_without_health_training": 1,  # PR-002
    "inclusive_fee_mean": 3200.0,
    "inclusive_over_cap": 1,
    "guidance_offline_year": 0,
    "guidance_online_year": 1,
    "guidance_participants_year": 120,  # r-012
    "population": 58000,
    "under3": None,  # r-002 gives none
    "slots_per_1000": 1.0345,  # 60 / 58000 x 1000 = 1.034483
}

ZHAITANG_SEPT: dict[str, Any] = {
    "slots_by_kind": {**dict.fromkeys(KINDS, 0), "community": 20},
    "institutions_by_risk": {"low": 0, "medium": 0, "high": 0, "ungraded": 1},
    "inspected_share": 1.0,
    "assessed_share": 1.0,
    "quality_scores": {d: float(CM_SCORES[d]) for d in DIMENSIONS},
    "failed_latest": 1,
    "incidents_open": 0,
    "incidents_year": 0,  # INC-2024-003 is 11-15
    "health_staff": 1,
    "new_without_health_training": 0,
    "health_trained": 12,
    "caregivers": 4,
    "certified_share": 0.75,
    "inclusive_fee_mean": 1200.0,
    "inclusive_over_cap": 0,
    "guidance_offline_year": 1,
    "guidance_participants_year": 48,  # s-014
    "population": None,
    "slots_per_1000": None,
}

DAYU_SEPT: dict[str, Any] = {
    **{k: v for k, v in EMPTY_TOWNSHIP.items() if not k.startswith("incidents")},
    "emergency_closures_open": 1,
    "children_awaiting_rehoming": 12,
    "institutions_by_risk": {"low": 0, "medium": 0, "high": 0, "ungraded": 0},  # KG-001 closed: counted nowhere
    "high_risk_uninspected": 0,
    "incidents_open": 1,
    "incidents_open_serious": 0,
    "incidents_year": 1,  # INC-2024-002 of the closed KG-001
    "incidents_open_by_category": {**NO_INCIDENTS, "personal_safety": 1},
}


def test_as_of_september_2024_every_figure_of_the_district_by_hand(imported):
    assert_figures(replay(imported, "--as-of", AS_OF_SEPT)["district"], DISTRICT_SEPT, "district")


def test_as_of_september_2024_the_townships_by_hand(imported):
    townships = replay(imported, "--as-of", AS_OF_SEPT)["townships"]
    assert_figures(townships["yongding"], YONGDING_SEPT, "yongding")
    assert_figures(townships["zhaitang"], ZHAITANG_SEPT, "zhaitang")
    assert_figures(townships["dayu"], DAYU_SEPT, "dayu")
    for township in set(TOWNSHIPS) - {"dayu", "yongding", "zhaitang"}:
        assert_figures(townships[township], EMPTY_TOWNSHIP, township)


# --------------------------------------------------------------------------- 2024-06-30

# Occurred by 2024-06-30 23:59:59: s-001..s-009, r-001, r-002, r-003 (a cap from 07-01), r-004, r-005.
# Operating: KG-001 (dayu, 40, inclusive, 1500 yuan, high/C since 03-20, never inspected),
# PR-002 (not yet inclusive), CM-003 (20 slots since 06-01, assessed 05-10).
DISTRICT_JUNE: dict[str, Any] = {
    "institutions_by_risk": {"low": 0, "medium": 0, "high": 1, "ungraded": 2},  # PR-002 graded only 09-15
    "high_risk_uninspected": 1,  # KG-001: no inspection at all
    "inspected_institutions": 1,
    "inspected_share": 0.3333,  # PR-002 (06-20) of 3
    "assessed_institutions": 1,
    "assessed_share": 0.3333,  # CM-003 of 3
    "failed_latest": 0,  # CM-003's latest is still the assessment, a pass
    "incidents_open": 0,
    "incidents_year": 0,  # the first incident is 07-20
    "health_staff": 1,  # KG-001's s-006 (health_staff 1), operating until 09-03
    # PR-002 filed 03-05 10:30: 117 days, untrained; CM-003 filed 04-10: 81 days, not yet due;
    # KG-001 filed 02-01: 150 days, untrained
    "new_without_health_training": 2,
    "inclusive_fee_mean": 1350.0,  # KG-001 1500 and CM-003 1200 (PR-002 not inclusive yet)
    "inclusive_over_cap": 0,
    "inclusive_fee_cap_yuan": None,  # r-003 starts 07-01
    "kindergarten_share": 0.3333,  # 40 / 120
    "population": 396000,
    "slots_per_1000": 0.303,  # 120 / 396000 x 1000 = 0.30303
}


def test_as_of_june_2024_the_high_risk_kindergarten_is_uninspected_and_the_cap_not_yet_in_force(imported):
    snapshot = replay(imported, "--as-of", AS_OF_JUNE)
    assert_figures(snapshot["district"], DISTRICT_JUNE, "district")
    assert_figures(snapshot["townships"]["dayu"], {"high_risk_uninspected": 1, "health_staff": 1}, "dayu")


# --------------------------------------------------------------------------- 2025-03-31

# Everything has occurred. Operating: PR-002 (yongding 60), CM-003 (zhaitang 20), KG-004
# (chengzi, kindergarten_class, 45 since 2025-01-08, inclusive, 2800 yuan).
DISTRICT_2025: dict[str, Any] = {
    "slots_total": 125,
    "slots_inclusive": 125,
    "institutions_operating": 3,
    "slots_by_kind": {**dict.fromkeys(KINDS, 0), "kindergarten_class": 45, "private": 60, "community": 20},
    "kindergarten_share": 0.36,  # 45 / 125
    "institutions_by_risk": {"low": 0, "medium": 1, "high": 0, "ungraded": 2},
    "inspected_institutions": 0,
    "inspected_share": 0.0,  # nothing visited in 2025 yet
    # 365 days up to 2025-03-31 23:59:59 reach back to 2024-03-31 23:59:59: CM-003's 05-10
    "assessed_institutions": 1,
    "assessed_share": 0.3333,  # 1 / 3
    "failed_latest": 1,
    "incidents_open": 2,
    "incidents_open_serious": 1,  # INC-2024-002 general, INC-2024-003 major
    "incidents_open_by_category": {**NO_INCIDENTS, "personal_safety": 1, "fire_safety": 1},
    "incidents_year": 0,  # none in 2025
    "health_staff": 1,  # CM-003
    # PR-002 as before; KG-004 filed 2024-12-20 10:00: 90 days ended 2025-03-20 10:00, untrained
    "new_without_health_training": 2,
    "inclusive_fee_mean": 2400.0,
    "inclusive_fee_yuan_sum": 7200,
    "inclusive_fee_yuan_count": 3,  # 3200+1200+2800
    "inclusive_over_cap": 1,  # PR-002's 3200
    "guidance_offline_year": 1,
    "guidance_online_year": 0,
    "guidance_participants_year": 30,  # r-016
    "guidance_activities": 3,
    "guidance_participants": 198,  # all time
    "population": 397500,
    "under3": 7600,  # r-017: year 2024 beats 2023
    "slots_per_1000": 0.3145,  # 125 / 397500 x 1000 = 0.314465
}


def test_as_of_march_2025_every_figure_of_the_district_by_hand(imported):
    snapshot = replay(imported, "--as-of", AS_OF_2025)
    assert_figures(snapshot["district"], DISTRICT_2025, "district")
    assert_figures(
        snapshot["townships"]["chengzi"],
        {"new_without_health_training": 1, "kindergarten_share": 1.0, "guidance_offline_year": 1},
        "chengzi",
    )


# --------------------------------------------------------------------------- targets

# Elapsed fractions (start 2024-01-01 00:00):
#   as of 2024-09-30 23:59:59: 274 days - 1 s; due 2024-12-31: over 366 days = 0.7486338;
#                              due 2025-12-31: over 731 days = 0.3748290
#   as of 2025-03-31 23:59:59: 366 + 90 = 456 days - 1 s over 731 days = 0.6238030
# Levels at start (2024-01-01 00:00): no institution filed yet, so every slot count is 0 and
# every share of institutions has nothing to divide (null counts 0); no population reported.
START = {"start": "2024-01-01"}


def target(scope: str, kpi: str, value: float, due: str, responsible: list[str], **figures: Any) -> dict[str, Any]:
    return {"scope": scope, "kpi": kpi, "value": value, **START, "due": due, "responsible": responsible, **figures}


HEALTH_EDUCATION = ["health_commission", "education_commission"]
TARGETS_SEPT = [
    # kindergartens' inclusive slots: 0 now (KG-001 closed) - 0 at start; 600 x 0.7486338 = 449.1803
    target(
        "district",
        "kindergarten_new_inclusive_slots",
        600,
        "2024-12-31",
        ["education_commission"],
        baseline=0,
        actual=0,
        expected=449.1803,
        status="behind",
        actual_at_due=None,
        outcome=None,
    ),
    # 80 now - 0 at start; 100 x 0.7486338 = 74.8634
    target(
        "district",
        "new_slots",
        100,
        "2024-12-31",
        HEALTH_EDUCATION,
        baseline=0,
        actual=80,
        expected=74.8634,
        status="on_track",
        actual_at_due=None,
        outcome=None,
    ),
    # 0.202 now (80 / 396000 x 1000) >= 0.2; baseline 0 (no slots, no population at start);
    # expected 0.2 x 0.7486338 = 0.1497
    target(
        "district",
        "slots_per_1000",
        0.2,
        "2024-12-31",
        HEALTH_EDUCATION,
        baseline=0,
        actual=0.202,
        expected=0.1497,
        status="met",
        actual_at_due=None,
        outcome=None,
    ),
    # 2 of 2 visited this year; expected 0.5 x 0.7486338 = 0.3743
    target(
        "district",
        "inspected_share",
        0.5,
        "2024-12-31",
        ["health_commission"],
        baseline=0,
        actual=1.0,
        expected=0.3743,
        status="met",
        actual_at_due=None,
        outcome=None,
    ),
    target(
        "district",
        "assessed_share",
        0.5,
        "2024-12-31",
        ["health_commission"],
        baseline=0,
        actual=0.5,
        expected=0.3743,
        status="met",
        actual_at_due=None,
        outcome=None,
    ),
    # offline activities in [2024-01-01, 2024-12-31] occurred by now: s-014; 2 x 0.7486338 = 1.4973
    target(
        "district",
        "offline_guidance_activities",
        2,
        "2024-12-31",
        ["health_commission", "women_federation"],
        baseline=0,
        actual=1,
        expected=1.4973,
        status="behind",
        actual_at_due=None,
        outcome=None,
    ),
    # inclusive slots 80 now - 0 at start
    target(
        "district",
        "new_inclusive_slots",
        100,
        "2024-12-31",
        ["health_commission"],
        baseline=0,
        actual=80,
        expected=74.8634,
        status="on_track",
        actual_at_due=None,
        outcome=None,
    ),
    # yongding: 1.0345 >= 1.0; expected 1.0 x 0.3748290 = 0.3748
    target(
        "yongding",
        "slots_per_1000",
        1.0,
        "2025-12-31",
        ["townships"],
        baseline=0,
        actual=1.0345,
        expected=0.3748,
        status="met",
        actual_at_due=None,
        outcome=None,
    ),
    # zhaitang: no population, so null, counting 0; 4.5 x 0.3748290 = 1.6867
    target(
        "zhaitang",
        "slots_per_1000",
        4.5,
        "2025-12-31",
        [],
        baseline=0,
        actual=0,
        expected=1.6867,
        status="behind",
        actual_at_due=None,
        outcome=None,
    ),
]

TARGETS_2025 = [
    # At the end of 2024-12-31 the kindergartens' inclusive slots are KG-004's 30 (filed 12-20; its
    # 45 are of 2025); at start 0. 30 < 600: missed. Past due, actual is the same window.
    target(
        "district",
        "kindergarten_new_inclusive_slots",
        600,
        "2024-12-31",
        ["education_commission"],
        baseline=0,
        actual=30,
        expected=600,
        status="missed",
        actual_at_due=30,
        outcome="missed",
    ),
    # slots at the end of 2024: PR-002 60 + CM-003 20 + KG-004 30 = 110 (KG-001 closed) - 0
    target(
        "district",
        "new_slots",
        100,
        "2024-12-31",
        HEALTH_EDUCATION,
        baseline=0,
        actual=110,
        expected=100,
        status="met",
        actual_at_due=110,
        outcome="met",
    ),
    # today 125 / 397500 x 1000 = 0.3145; at due 110 / 396000 x 1000 = 0.2778 (r-017 occurred in 2025)
    target(
        "district",
        "slots_per_1000",
        0.2,
        "2024-12-31",
        HEALTH_EDUCATION,
        baseline=0,
        actual=0.3145,
        expected=0.2,
        status="met",
        actual_at_due=0.2778,
        outcome="met",
    ),
    # today (2025) nobody visited: 0 < 0.5 past due, status missed; at the end of 2024: PR-002 and
    # CM-003 visited of the 3 operating then (KG-004 since 12-20) = 0.6667: met
    target(
        "district",
        "inspected_share",
        0.5,
        "2024-12-31",
        ["health_commission"],
        baseline=0,
        actual=0.0,
        expected=0.5,
        status="missed",
        actual_at_due=0.6667,
        outcome="met",
    ),
    # today CM-003 of 3 = 0.3333; at the end of 2024 the same 1 of 3
    target(
        "district",
        "assessed_share",
        0.5,
        "2024-12-31",
        ["health_commission"],
        baseline=0,
        actual=0.3333,
        expected=0.5,
        status="missed",
        actual_at_due=0.3333,
        outcome="missed",
    ),
    # offline in 2024: s-014 only (r-016 is of 2025)
    target(
        "district",
        "offline_guidance_activities",
        2,
        "2024-12-31",
        ["health_commission", "women_federation"],
        baseline=0,
        actual=1,
        expected=2,
        status="missed",
        actual_at_due=1,
        outcome="missed",
    ),
    # inclusive at the end of 2024: 60 + 20 + 30 = 110 - 0
    target(
        "district",
        "new_inclusive_slots",
        100,
        "2024-12-31",
        ["health_commission"],
        baseline=0,
        actual=110,
        expected=100,
        status="met",
        actual_at_due=110,
        outcome="met",
    ),
    # not yet due: 1.0 x 0.6238030 = 0.6238; 4.5 x 0.6238030 = 2.8071
    target(
        "yongding",
        "slots_per_1000",
        1.0,
        "2025-12-31",
        ["townships"],
        baseline=0,
        actual=1.0345,
        expected=0.6238,
        status="met",
        actual_at_due=None,
        outcome=None,
    ),
    target(
        "zhaitang",
        "slots_per_1000",
        4.5,
        "2025-12-31",
        [],
        baseline=0,
        actual=0,
        expected=2.8071,
        status="behind",
        actual_at_due=None,
        outcome=None,
    ),
]


def _assert_targets(snapshot: dict[str, Any], expected: list[dict[str, Any]]) -> None:
    found = targets_by_key(snapshot)
    assert set(found) == {(t["scope"], t["kpi"]) for t in expected}
    for want in expected:  # (actual_at_due, rounded to 4 places like every share, is compared exactly)
        assert_target(found[(want["scope"], want["kpi"])], want)


def test_as_of_september_2024_no_target_is_due_and_each_carries_its_responsible_units(imported):
    _assert_targets(replay(imported, "--as-of", AS_OF_SEPT), TARGETS_SEPT)


def test_as_of_march_2025_the_2024_targets_are_judged_on_2024s_figures(imported):
    _assert_targets(replay(imported, "--as-of", AS_OF_2025), TARGETS_2025)


def test_at_the_last_instant_of_2024_the_2024_targets_are_not_yet_judged(imported):
    snapshot = replay(imported, "--as-of", "2024-12-31")  # a date: the end of that day
    assert {t["outcome"] for t in snapshot["targets"]} == {None}
    # ... but their actual already is the window's: 30 kindergarten slots, 110 new
    found = targets_by_key(snapshot)
    assert found[("district", "kindergarten_new_inclusive_slots")]["actual"] == 30
    assert found[("district", "new_slots")]["actual"] == 110
