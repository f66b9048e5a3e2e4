"""An independent oracle for the 15-event sample fixture.

Every expected figure below was worked out BY HAND from
`shared/fixtures/sample-events.jsonl` and `shared/spec/kpis.md`. None of it is computed by
the platform's code. The test drives the `tuoyu` command line (`import`, then
`replay --json`) against a fresh store, SQLite and PostgreSQL (see `store_env` in
tests/conftest.py).

The fixture, in short (all times +08:00, Asia/Shanghai):

    s-001 2024-02-01 InstitutionFiled   MTG-KG-001 dayu     kindergarten_class slots 40 inclusive
    s-002 2024-03-05 InstitutionFiled   MTG-PR-002 yongding private            slots 60 not inclusive
    s-003 2024-04-10 InstitutionFiled   MTG-CM-003 zhaitang community          slots 15 inclusive
    s-004 2024-04-15 ChildrenEnrolled   MTG-KG-001 +32
    s-005 2024-04-16 ChildrenEnrolled   MTG-PR-002 +41
    s-006 2024-04-30 StaffReported      MTG-KG-001 caregivers 6, certified 6
    s-007 2024-04-30 StaffReported      MTG-PR-002 caregivers 10, certified 8
    s-008 2024-06-01 CapacityChanged    MTG-CM-003 slots 15 -> 20
    s-009 2024-06-20 InspectionRecorded MTG-PR-002 INSP-2024-017 rectify, rectify_by 2024-07-20
    s-010 2024-07-02 TrainingCompleted  caregiver, 35 people, yongding
    s-011 2024-08-01 InclusiveStatusGranted MTG-PR-002
    s-012 2024-09-03 InstitutionClosed  MTG-KG-001 emergency (children_affected defaults to 32)
    s-013 2024-09-04 ChildrenRehomed    MTG-KG-001 20 -> MTG-PR-002 (PR-002's enrolment unchanged)
    s-014 2024-09-10 ParentingGuidanceHeld offline, 48 participants, zhaitang
    s-015 2024-09-15 RiskCreditGraded   MTG-PR-002 medium / B (affects no KPI)

Readings of kpis.md that this file relies on (the spec is silent or loose on them):
- `institutions_by_kind` is compared with zero counts dropped, so an implementation may
  list every kind with 0 or only the kinds present.
- `position` is only asserted on the unrestricted view (no --as-of / --known-at): 15.
  Whether an as-of view reports the store position or the count of events applied is
  not pinned down by the spec.
- `as_of` is compared as an instant (parsed), not as a string.
- "today" for overdue rectifications and for target pacing is the view's as_of.
- A district `township_min_slots` target yields exactly one entry per township (13) and
  no entry with scope "district".
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

TUOYU = Path(sys.executable).parent / "tuoyu"
PROJECT = Path(__file__).resolve().parents[2]
# The project's copies of ../shared/fixtures/sample-events.jsonl and ../shared/spec/townships.json
# (tests/unit/test_contracts_in_sync.py keeps them equal to the shared ones).
FIXTURE = PROJECT / "tests" / "fixtures" / "sample-events.jsonl"
TOWNSHIPS_JSON = PROJECT / "tuoyu" / "contracts" / "townships.json"

# The 13 towns and subdistricts of Mentougou (townships.json); written out so the oracle
# does not depend on the file, and cross-checked against it below.
TOWNSHIPS = [
    "dayu",
    "chengzi",
    "dongxinfang",
    "datai",
    "wangping",
    "tanzhesi",
    "yongding",
    "longquan",
    "junzhuang",
    "yanchi",
    "zhaitang",
    "qingshui",
    "miaofengshan",
]

TOWNSHIP_KEYS = {
    "slots_total",
    "slots_inclusive",
    "inclusive_share",
    "institutions_operating",
    "institutions_by_kind",
    "enrolled",
    "occupancy",
    "emergency_closures_open",
    "children_awaiting_rehoming",
    "rectifications_open",
    "rectifications_overdue",
    "caregivers",
    "certified_caregivers",
    "certified_share",
    "heads_trained",
    "caregivers_trained",
    "health_trained",
    "guidance_activities",
    "guidance_participants",
    # the revision of 2026-11-30 ("Supervision, safety and the plan's other figures")
    "slots_by_kind",
    "inclusive_slots_by_kind",
    "kindergarten_share",
    "institutions_by_risk",
    "institutions_by_credit",
    "high_risk_uninspected",
    "inspected_share",
    "assessed_share",
    "quality_scores",
    "failed_latest",
    "incidents_open",
    "incidents_open_serious",
    "incidents_open_by_category",
    "incidents_year",
    "health_staff",
    "new_without_health_training",
    "inclusive_fee_mean",
    "inclusive_over_cap",
    "guidance_offline_year",
    "guidance_online_year",
    "guidance_participants_year",
    "population",
    "under3",
    "slots_per_1000",
    # ... and what the platform adds so that the metrics can export sums and counts
    # (docs/decisions.md): the numerators of the shares, score and fee sums and counts, and
    # open incidents by category and severity
    "inspected_institutions",
    "assessed_institutions",
    "quality_score_sum",
    "quality_score_count",
    "inclusive_fee_yuan_sum",
    "inclusive_fee_yuan_count",
    "incidents_open_by_category_severity",
}
# inclusive_fee_cap_yuan (the cap in force) is the platform's addition too.
DISTRICT_ONLY_KEYS = {"inclusive_coverage", "townships_below_min_slots", "inclusive_fee_cap_yuan"}
DISTRICT_KEYS = TOWNSHIP_KEYS | DISTRICT_ONLY_KEYS
SNAPSHOT_KEYS = {"as_of", "known_at", "position", "district", "townships", "targets"}

RATIO_KEYS = {
    "inclusive_share",
    "occupancy",
    "certified_share",
    "inclusive_coverage",
    "kindergarten_share",
    "inspected_share",
    "assessed_share",
    "inclusive_fee_mean",
    "slots_per_1000",
}
# Figures whose district value is the sum of the townships' (population is the district's own
# report, dicts and means are not summed here).
SUMMED_KEYS = {
    "slots_total",
    "slots_inclusive",
    "institutions_operating",
    "enrolled",
    "emergency_closures_open",
    "children_awaiting_rehoming",
    "rectifications_open",
    "rectifications_overdue",
    "caregivers",
    "certified_caregivers",
    "heads_trained",
    "caregivers_trained",
    "health_trained",
    "guidance_activities",
    "guidance_participants",
    "high_risk_uninspected",
    "inspected_institutions",
    "assessed_institutions",
    "failed_latest",
    "incidents_open",
    "incidents_open_serious",
    "incidents_year",
    "health_staff",
    "new_without_health_training",
    "inclusive_fee_yuan_sum",
    "inclusive_fee_yuan_count",
    "inclusive_over_cap",
    "guidance_offline_year",
    "guidance_online_year",
    "guidance_participants_year",
}
KINDS = ["kindergarten_class", "community", "employer", "district_center", "school_staff", "private"]
DIMENSIONS = ["management", "staffing", "environment", "safety", "health", "family_community", "activities"]
CATEGORIES = ["personal_safety", "food_safety", "fire_safety", "health", "other"]

# An empty township: every count 0, every ratio null (nothing to divide).
EMPTY_TOWNSHIP: dict[str, Any] = {
    "slots_total": 0,
    "slots_inclusive": 0,
    "inclusive_share": None,
    "institutions_operating": 0,
    "institutions_by_kind": {},
    "enrolled": 0,
    "occupancy": None,
    "emergency_closures_open": 0,
    "children_awaiting_rehoming": 0,
    "rectifications_open": 0,
    "rectifications_overdue": 0,
    "caregivers": 0,
    "certified_caregivers": 0,
    "certified_share": None,
    "heads_trained": 0,
    "caregivers_trained": 0,
    "health_trained": 0,
    "guidance_activities": 0,
    "guidance_participants": 0,
    # the revision: every kind, grade, dimension and category appears, with 0; means, shares
    # and the population are null (nothing to divide, nothing reported)
    "slots_by_kind": dict.fromkeys(KINDS, 0),
    "inclusive_slots_by_kind": dict.fromkeys(KINDS, 0),
    "kindergarten_share": None,
    "institutions_by_risk": {"low": 0, "medium": 0, "high": 0, "ungraded": 0},
    "institutions_by_credit": {"A": 0, "B": 0, "C": 0, "D": 0, "ungraded": 0},
    "high_risk_uninspected": 0,
    "inspected_institutions": 0,
    "inspected_share": None,
    "assessed_institutions": 0,
    "assessed_share": None,
    "quality_scores": dict.fromkeys(DIMENSIONS, None),
    "quality_score_sum": dict.fromkeys(DIMENSIONS, 0),
    "quality_score_count": dict.fromkeys(DIMENSIONS, 0),
    "failed_latest": 0,
    "incidents_open": 0,
    "incidents_open_serious": 0,
    "incidents_open_by_category": dict.fromkeys(CATEGORIES, 0),
    "incidents_open_by_category_severity": {c: {"general": 0, "serious": 0, "major": 0} for c in CATEGORIES},
    "incidents_year": 0,
    "health_staff": 0,
    "new_without_health_training": 0,
    "inclusive_fee_mean": None,
    "inclusive_fee_yuan_sum": 0,
    "inclusive_fee_yuan_count": 0,
    "inclusive_over_cap": 0,
    "guidance_offline_year": 0,
    "guidance_online_year": 0,
    "guidance_participants_year": 0,
    "population": None,
    "under3": None,
    "slots_per_1000": None,
}

AS_OF_SEPT = "2024-09-30T23:59:59+08:00"
AS_OF_JUNE = "2024-06-30T23:59:59+08:00"
AS_OF_APRIL = "2024-04-12T00:00:00+08:00"
AS_OF_MARCH = "2024-03-31T23:59:59+08:00"


# --------------------------------------------------------------------------- helpers


def run_tuoyu(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    assert TUOYU.exists(), f"the `tuoyu` command is not installed at {TUOYU}"
    return subprocess.run([str(TUOYU), *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def import_file(env: dict[str, str], path: Path) -> subprocess.CompletedProcess[str]:
    result = run_tuoyu(env, "import", str(path))
    assert result.returncode == 0, (
        f"tuoyu import {path} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


def replay(env: dict[str, str], *args: str) -> dict[str, Any]:
    result = run_tuoyu(env, "replay", "--json", *args)
    assert result.returncode == 0, (
        f"tuoyu replay --json {' '.join(args)} exited {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    snapshot = json.loads(result.stdout)
    assert set(snapshot) == SNAPSHOT_KEYS
    assert set(snapshot["district"]) == DISTRICT_KEYS
    assert set(snapshot["townships"]) == set(TOWNSHIPS), "every township appears, even empty ones"
    for township_id, figures in snapshot["townships"].items():
        assert set(figures) == TOWNSHIP_KEYS, f"township {township_id} has the wrong keys"
    return snapshot


def nonzero_kinds(by_kind: dict[str, int]) -> dict[str, int]:
    return {kind: count for kind, count in by_kind.items() if count}


def assert_figures(actual: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    """Check each expected figure; ratios to 4 decimals, null stays null."""
    mismatches = []
    for key, want in expected.items():
        got = actual.get(key, "<missing>")
        if key == "institutions_by_kind":
            ok = isinstance(got, dict) and nonzero_kinds(got) == want
        elif want is None:
            ok = got is None
        elif key in RATIO_KEYS:
            ok = got is not None and got != "<missing>" and got == pytest.approx(want, abs=1e-4)
        else:
            ok = got == want
        if not ok:
            mismatches.append(f"{where}.{key}: expected {want!r}, got {got!r}")
    assert not mismatches, "\n".join(mismatches)


def same_instant(a: str, b: str) -> bool:
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


@pytest.fixture
def imported(store_env: dict[str, str]) -> dict[str, str]:
    """A fresh store (SQLite or PostgreSQL) holding the 15 sample events."""
    import_file(store_env, FIXTURE)
    return store_env


# --------------------------------------------------------------------------- sanity


def test_the_township_list_of_this_oracle_matches_townships_json() -> None:
    ids = [t["id"] for t in json.loads(TOWNSHIPS_JSON.read_text(encoding="utf-8"))["townships"]]
    assert ids == TOWNSHIPS


def test_the_fixture_holds_the_fifteen_events_this_oracle_was_worked_out_from() -> None:
    lines = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [e["event_id"] for e in lines] == [f"s-{i:03d}" for i in range(1, 16)]


# --------------------------------------------------------------------------- case 1: 2024-09-30

# As of 2024-09-30 23:59:59 every one of the 15 events has occurred.
# Operating: MTG-PR-002 (yongding, private, 60 slots, inclusive since s-011) and
# MTG-CM-003 (zhaitang, community, 20 slots since s-008, inclusive).
# MTG-KG-001 (dayu) is emergency-closed since s-012 and counts toward no slots/enrolment/staff.
DISTRICT_SEPT: dict[str, Any] = {
    "slots_total": 80,  # 60 (PR-002) + 20 (CM-003); KG-001's 40 gone with the closure
    "slots_inclusive": 80,  # PR-002 became inclusive on 08-01 (s-011); CM-003 always was
    "inclusive_share": 1.0,  # 80 / 80
    "institutions_operating": 2,  # PR-002, CM-003
    "institutions_by_kind": {"private": 1, "community": 1},  # kindergarten_class closed
    "enrolled": 41,  # PR-002 41 (s-005) + CM-003 0; KG-001 set to 0 on closure; rehoming adds nothing
    "occupancy": 0.5125,  # 41 / 80
    "emergency_closures_open": 1,  # KG-001: emergency, not reopened, 12 children still waiting
    "children_awaiting_rehoming": 12,  # affected 32 (enrolled at closure, s-004) - 20 rehomed (s-013)
    "rectifications_open": 1,  # INSP-2024-017 (s-009), outcome rectify, never completed
    "rectifications_overdue": 1,  # rectify_by 2024-07-20 is before today (2024-09-30)
    "caregivers": 10,  # latest StaffReported of operating ones: PR-002 10 (KG-001 closed, CM-003 none)
    "certified_caregivers": 8,  # PR-002 8
    "certified_share": 0.8,  # 8 / 10
    "heads_trained": 0,  # no head course
    "caregivers_trained": 35,  # s-010, caregiver course, 35 people
    "health_trained": 0,  # no health course
    "guidance_activities": 1,  # s-014
    "guidance_participants": 48,  # s-014
    "inclusive_coverage": 0.1538,  # yongding (PR-002) + zhaitang (CM-003) = 2 / 13 = 0.15385
    "townships_below_min_slots": 0,  # no township_min_slots target in the fixture
}

DAYU_SEPT: dict[str, Any] = {
    **EMPTY_TOWNSHIP,  # its only institution, KG-001, is closed: no slots, enrolment or staff
    "emergency_closures_open": 1,  # KG-001's emergency closure still has children waiting
    "children_awaiting_rehoming": 12,  # 32 - 20
}

YONGDING_SEPT: dict[str, Any] = {
    "slots_total": 60,  # PR-002
    "slots_inclusive": 60,  # PR-002 inclusive since 2024-08-01
    "inclusive_share": 1.0,  # 60 / 60
    "institutions_operating": 1,
    "institutions_by_kind": {"private": 1},
    "enrolled": 41,  # s-005; the 20 rehomed to it were not enrolled by an event of its own
    "occupancy": 0.6833,  # 41 / 60 = 0.68333
    "emergency_closures_open": 0,
    "children_awaiting_rehoming": 0,
    "rectifications_open": 1,  # INSP-2024-017 is PR-002's
    "rectifications_overdue": 1,  # 2024-07-20 < 2024-09-30
    "caregivers": 10,  # s-007
    "certified_caregivers": 8,  # s-007
    "certified_share": 0.8,  # 8 / 10
    "heads_trained": 0,
    "caregivers_trained": 35,  # s-010 names yongding
    "health_trained": 0,
    "guidance_activities": 0,
    "guidance_participants": 0,
}

ZHAITANG_SEPT: dict[str, Any] = {
    "slots_total": 20,  # CM-003, 15 raised to 20 by s-008
    "slots_inclusive": 20,  # CM-003 is inclusive
    "inclusive_share": 1.0,  # 20 / 20
    "institutions_operating": 1,
    "institutions_by_kind": {"community": 1},
    "enrolled": 0,  # nobody enrolled at CM-003
    "occupancy": 0.0,  # 0 / 20 (slots > 0, so a number, not null)
    "emergency_closures_open": 0,
    "children_awaiting_rehoming": 0,
    "rectifications_open": 0,
    "rectifications_overdue": 0,
    "caregivers": 0,  # CM-003 never reported staff
    "certified_caregivers": 0,
    "certified_share": None,  # 0 / 0
    "heads_trained": 0,
    "caregivers_trained": 0,
    "health_trained": 0,
    "guidance_activities": 1,  # s-014 names zhaitang
    "guidance_participants": 48,
}


def test_as_of_september_every_district_figure_matches_the_hand_worked_figures(imported):
    snapshot = replay(imported, "--as-of", AS_OF_SEPT)
    assert same_instant(snapshot["as_of"], AS_OF_SEPT)
    assert_figures(snapshot["district"], DISTRICT_SEPT, "district")


def test_as_of_september_dayu_has_no_slots_but_an_open_emergency_closure_with_12_children_waiting(imported):
    snapshot = replay(imported, "--as-of", AS_OF_SEPT)
    assert_figures(snapshot["townships"]["dayu"], DAYU_SEPT, "dayu")


def test_as_of_september_yongding_carries_the_inclusive_private_centre_and_the_overdue_rectification(imported):
    snapshot = replay(imported, "--as-of", AS_OF_SEPT)
    assert_figures(snapshot["townships"]["yongding"], YONGDING_SEPT, "yongding")


def test_as_of_september_zhaitang_has_20_inclusive_slots_no_staff_report_and_one_guidance_activity(imported):
    snapshot = replay(imported, "--as-of", AS_OF_SEPT)
    assert_figures(snapshot["townships"]["zhaitang"], ZHAITANG_SEPT, "zhaitang")


def test_as_of_september_townships_without_events_report_zeros_and_null_ratios(imported):
    snapshot = replay(imported, "--as-of", AS_OF_SEPT)
    for township in TOWNSHIPS:
        if township in {"dayu", "yongding", "zhaitang"}:
            continue
        assert_figures(snapshot["townships"][township], EMPTY_TOWNSHIP, township)


def test_as_of_september_the_townships_add_up_to_the_district(imported):
    snapshot = replay(imported, "--as-of", AS_OF_SEPT)
    townships = snapshot["townships"].values()
    for key in SUMMED_KEYS:
        assert sum(t[key] for t in townships) == snapshot["district"][key], key


# The revision's figures from these 15 events, as of 2024-09-30 23:59:59 (the 26 events of
# the revision are in tests/fixtures/sample-events-revision.jsonl, test_sample_fixture_revision.py).
DISTRICT_SEPT_REVISION: dict[str, Any] = {
    "slots_by_kind": {**dict.fromkeys(KINDS, 0), "private": 60, "community": 20},  # KG-001 closed
    "inclusive_slots_by_kind": {**dict.fromkeys(KINDS, 0), "private": 60, "community": 20},  # both inclusive
    "kindergarten_share": 0.0,  # 0 / 80
    "institutions_by_risk": {"low": 0, "medium": 1, "high": 0, "ungraded": 1},  # PR-002 medium (s-015), CM-003
    "institutions_by_credit": {"A": 0, "B": 1, "C": 0, "D": 0, "ungraded": 1},
    "high_risk_uninspected": 0,
    "inspected_institutions": 1,  # PR-002's unannounced visit of 06-20 (s-009) is this year
    "inspected_share": 0.5,  # 1 of the 2 operating
    "assessed_share": 0.0,  # s-009 is not a quality assessment
    "quality_scores": dict.fromkeys(DIMENSIONS, None),  # ... so its scores count for no dimension
    "failed_latest": 0,  # s-009's outcome is rectify
    "incidents_open": 0,
    "health_staff": 0,  # KG-001's 1 (s-006) is closed; PR-002's report (s-007) names none
    "new_without_health_training": 2,  # PR-002 (filed 03-05) and CM-003 (04-10): over 90 days, no course
    "inclusive_fee_mean": 2200.0,  # PR-002 3200 (s-011) and CM-003 1200 (s-003)
    "inclusive_over_cap": 0,  # no cap
    "inclusive_fee_cap_yuan": None,
    "guidance_offline_year": 1,  # s-014
    "guidance_online_year": 0,
    "guidance_participants_year": 48,
    "population": None,
    "under3": None,
    "slots_per_1000": None,  # nothing reported
}


def test_as_of_september_the_revisions_figures_of_the_fifteen_events(imported):
    snapshot = replay(imported, "--as-of", AS_OF_SEPT)
    assert_figures(snapshot["district"], DISTRICT_SEPT_REVISION, "district")
    assert_figures(
        snapshot["townships"]["yongding"],
        {"new_without_health_training": 1, "inspected_share": 1.0, "inclusive_fee_mean": 3200.0},
        "yongding",
    )


# --------------------------------------------------------------------------- case 2: 2024-06-30

# Occurred by 2024-06-30 23:59:59: s-001 .. s-009 (the inspection of 06-20 included);
# not s-010 (training, 07-02) nor anything later. Nothing is closed yet, PR-002 is not
# inclusive yet, CM-003 has 20 slots since 06-01.
DISTRICT_JUNE: dict[str, Any] = {
    "slots_total": 120,  # 40 (KG-001) + 60 (PR-002) + 20 (CM-003)
    "slots_inclusive": 60,  # 40 (KG-001) + 20 (CM-003); PR-002 not inclusive until 08-01
    "inclusive_share": 0.5,  # 60 / 120
    "institutions_operating": 3,
    "institutions_by_kind": {"kindergarten_class": 1, "private": 1, "community": 1},
    "enrolled": 73,  # 32 (KG-001, s-004) + 41 (PR-002, s-005)
    "occupancy": 0.6083,  # 73 / 120 = 0.60833
    "emergency_closures_open": 0,  # closure only on 09-03
    "children_awaiting_rehoming": 0,
    "rectifications_open": 1,  # INSP-2024-017 occurred 06-20, before 06-30
    "rectifications_overdue": 0,  # rectify_by 2024-07-20 is not before today (2024-06-30)
    "caregivers": 16,  # 6 (KG-001) + 10 (PR-002)
    "certified_caregivers": 14,  # 6 + 8
    "certified_share": 0.875,  # 14 / 16
    "heads_trained": 0,
    "caregivers_trained": 0,  # the caregiver session is 07-02, after the cut
    "health_trained": 0,
    "guidance_activities": 0,  # guidance is 09-10
    "guidance_participants": 0,
    "inclusive_coverage": 0.1538,  # dayu (KG-001) + zhaitang (CM-003) = 2 / 13
    "townships_below_min_slots": 0,  # no target
}


def test_as_of_june_the_district_has_three_institutions_half_inclusive_and_one_rectification_not_yet_overdue(imported):
    snapshot = replay(imported, "--as-of", AS_OF_JUNE)
    assert same_instant(snapshot["as_of"], AS_OF_JUNE)
    assert_figures(snapshot["district"], DISTRICT_JUNE, "district")


def test_as_of_june_each_township_holds_its_own_institution(imported):
    snapshot = replay(imported, "--as-of", AS_OF_JUNE)
    assert_figures(
        snapshot["townships"]["dayu"],
        {
            "slots_total": 40,
            "slots_inclusive": 40,
            "inclusive_share": 1.0,  # KG-001
            "enrolled": 32,
            "occupancy": 0.8,  # 32 / 40
            "caregivers": 6,
            "certified_caregivers": 6,
            "certified_share": 1.0,  # s-006
            "emergency_closures_open": 0,
            "children_awaiting_rehoming": 0,
        },
        "dayu",
    )
    assert_figures(
        snapshot["townships"]["yongding"],
        {
            "slots_total": 60,
            "slots_inclusive": 0,
            "inclusive_share": 0.0,  # not inclusive yet
            "enrolled": 41,
            "occupancy": 0.6833,  # 41 / 60
            "rectifications_open": 1,
            "rectifications_overdue": 0,
            "caregivers_trained": 0,
        },
        "yongding",
    )
    assert_figures(
        snapshot["townships"]["zhaitang"],
        {"slots_total": 20, "slots_inclusive": 20, "guidance_activities": 0},  # after s-008
        "zhaitang",
    )


# --------------------------------------------------------------------------- case 3: 2024-04-12 and 2024-03-31

# Occurred by 2024-04-12 00:00: the three filings s-001..s-003 (s-003 is 04-10) and nothing
# else (first enrolment s-004 is 04-15). CM-003 still has its filed 15 slots.
DISTRICT_APRIL: dict[str, Any] = {
    "slots_total": 115,  # 40 + 60 + 15
    "slots_inclusive": 55,  # 40 (KG-001) + 15 (CM-003)
    "inclusive_share": 0.4783,  # 55 / 115 = 0.478261
    "institutions_operating": 3,
    "institutions_by_kind": {"kindergarten_class": 1, "private": 1, "community": 1},
    "enrolled": 0,  # no enrolment before 04-15
    "occupancy": 0.0,  # 0 / 115
    "emergency_closures_open": 0,
    "children_awaiting_rehoming": 0,
    "rectifications_open": 0,
    "rectifications_overdue": 0,
    "caregivers": 0,  # staff reports are 04-30
    "certified_caregivers": 0,
    "certified_share": None,  # 0 / 0
    "heads_trained": 0,
    "caregivers_trained": 0,
    "health_trained": 0,
    "guidance_activities": 0,
    "guidance_participants": 0,
    "inclusive_coverage": 0.1538,  # dayu + zhaitang = 2 / 13
    "townships_below_min_slots": 0,
}

# Occurred by 2024-03-31 23:59:59: s-001 and s-002 only (s-003 is 04-10).
DISTRICT_MARCH: dict[str, Any] = {
    "slots_total": 100,  # 40 + 60
    "slots_inclusive": 40,  # KG-001
    "inclusive_share": 0.4,  # 40 / 100
    "institutions_operating": 2,
    "institutions_by_kind": {"kindergarten_class": 1, "private": 1},
    "enrolled": 0,
    "occupancy": 0.0,
    "caregivers": 0,
    "certified_share": None,
    "inclusive_coverage": 0.0769,  # dayu only = 1 / 13 = 0.076923
}


def test_as_of_april_12_the_three_filings_count_but_no_enrolment_or_staff_report_yet(imported):
    snapshot = replay(imported, "--as-of", AS_OF_APRIL)
    assert same_instant(snapshot["as_of"], AS_OF_APRIL)
    assert_figures(snapshot["district"], DISTRICT_APRIL, "district")
    assert_figures(snapshot["townships"]["zhaitang"], {"slots_total": 15, "slots_inclusive": 15}, "zhaitang")


def test_as_of_end_of_march_the_zhaitang_filing_of_april_is_not_yet_counted(imported):
    snapshot = replay(imported, "--as-of", AS_OF_MARCH)
    assert_figures(snapshot["district"], DISTRICT_MARCH, "district")
    assert_figures(snapshot["townships"]["zhaitang"], EMPTY_TOWNSHIP, "zhaitang")


# --------------------------------------------------------------------------- case 4: the live view


def test_without_as_of_the_view_is_at_position_15_with_no_targets(imported):
    snapshot = replay(imported)
    assert snapshot["position"] == 15  # 15 events recorded
    assert snapshot["targets"] == []  # the fixture has no TargetSet
    # Today is after every event, so the figures are those of 2024-09-30 (overdue included).
    assert_figures(snapshot["district"], DISTRICT_SEPT, "district")


def test_a_known_at_before_the_import_sees_no_events(imported):
    # Every event was recorded when this test imported it (now); nothing was known in 2024.
    snapshot = replay(imported, "--as-of", AS_OF_SEPT, "--known-at", "2024-12-31T23:59:59+08:00")
    assert_figures(
        snapshot["district"],
        {
            "slots_total": 0,
            "inclusive_share": None,
            "institutions_operating": 0,
            "enrolled": 0,
            "children_awaiting_rehoming": 0,
            "rectifications_open": 0,
            "caregivers_trained": 0,
            "inclusive_coverage": 0.0,  # 0 / 13
        },
        "district",
    )


# --------------------------------------------------------------------------- case 5: idempotent import


def test_importing_the_same_file_twice_records_nothing_new(store_env):
    import_file(store_env, FIXTURE)
    import_file(store_env, FIXTURE)  # exits 0: same event_id, same content -> accepted, no change
    snapshot = replay(store_env)
    assert snapshot["position"] == 15
    assert_figures(snapshot["district"], DISTRICT_SEPT, "district")


# --------------------------------------------------------------------------- targets

TARGET_EVENTS = [
    {
        "event_id": "t-001",
        "type": "TargetSet",
        "occurred_at": "2024-01-05T09:00:00+08:00",
        "scope": "district",
        "kpi": "slots_total",
        "value": 150,
        "start": "2024-01-01",
        "due": "2024-12-31",
    },
    {
        "event_id": "t-002",
        "type": "TargetSet",
        "occurred_at": "2024-01-05T09:00:00+08:00",
        "scope": "district",
        "kpi": "township_min_slots",
        "value": 20,
        "start": "2024-01-01",
        "due": "2025-12-31",
    },
]

# Elapsed fractions at as_of 2024-09-30T23:59:59+08:00, start 2024-01-01T00:00+08:00:
#   days elapsed: Jan 31 + Feb 29 (leap) + Mar 31 + Apr 30 + May 31 + Jun 30 + Jul 31
#                 + Aug 31 + Sep 30 = 274 days, less one second.
# slots_total, due end of 2024-12-31 = 2025-01-01T00:00: span 366 days (2024 is a leap year)
#   fraction = (274 d - 1 s) / 366 d = 0.7486338  (274/366 = 0.7486339)
#   expected = 0 + (150 - 0) x 0.7486338 = 112.29508 -> 112.2951
# township_min_slots, due end of 2025-12-31 = 2026-01-01T00:00: span 366 + 365 = 731 days
#   fraction = (274 d - 1 s) / 731 d = 0.3748290  (274/731 = 0.3748290)
#   expected = 0 + (20 - 0) x 0.3748290 = 7.49658 -> 7.4966
# Baselines: nothing was filed before 2024-02-01, so every slots_total at start is 0.
SLOTS_TARGET = {
    "scope": "district",
    "kpi": "slots_total",
    "value": 150,
    "start": "2024-01-01",
    "due": "2024-12-31",
    "baseline": 0,  # district slots_total at 2024-01-01 00:00: no institution filed yet
    "actual": 80,  # district slots_total as of 2024-09-30 (see DISTRICT_SEPT)
    "expected": 112.2951,  # 150 x 0.7486338
    "status": "behind",  # 80 < 150 (not met), not past due, 80 < 112.2951
}
MIN_SLOTS_ACTUAL = {"yongding": 60, "zhaitang": 20}  # every other township: 0 (dayu's KG-001 closed)
MIN_SLOTS_EXPECTED = 7.4966  # 20 x 0.3748290


def min_slots_target(township: str) -> dict[str, Any]:
    actual = MIN_SLOTS_ACTUAL.get(township, 0)
    return {
        "scope": township,
        "kpi": "township_min_slots",
        "value": 20,
        "start": "2024-01-01",
        "due": "2025-12-31",
        "baseline": 0,  # township slots_total at 2024-01-01: 0 everywhere
        "actual": actual,
        "expected": MIN_SLOTS_EXPECTED,
        # yongding 60 >= 20 and zhaitang 20 >= 20: met; the others 0 < 7.4966: behind
        "status": "met" if actual >= 20 else "behind",
    }


@pytest.fixture
def imported_with_targets(store_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "sample-with-targets.jsonl"
    text = FIXTURE.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    text += "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in TARGET_EVENTS)
    path.write_text(text, encoding="utf-8")
    import_file(store_env, path)
    return store_env


def assert_target(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    where = f"target ({expected['scope']}, {expected['kpi']})"
    mismatches = []
    for key, want in expected.items():
        got = actual.get(key, "<missing>")
        if key in {"baseline", "actual", "expected", "value"}:
            ok = isinstance(got, (int, float)) and got == pytest.approx(want, abs=1e-4)
        else:
            ok = got == want
        if not ok:
            mismatches.append(f"{where}.{key}: expected {want!r}, got {got!r}")
    assert not mismatches, "\n".join(mismatches)


def targets_by_key(snapshot: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    keys = [(t["scope"], t["kpi"]) for t in snapshot["targets"]]
    assert len(keys) == len(set(keys)), f"a (scope, kpi) is reported twice: {keys}"
    return {(t["scope"], t["kpi"]): t for t in snapshot["targets"]}


def test_a_district_slots_target_of_150_is_behind_pace_at_80_slots_by_end_of_september(imported_with_targets):
    snapshot = replay(imported_with_targets, "--as-of", AS_OF_SEPT)
    targets = targets_by_key(snapshot)
    assert ("district", "slots_total") in targets
    assert_target(targets[("district", "slots_total")], SLOTS_TARGET)


def test_a_district_township_min_slots_target_is_reported_once_per_township(imported_with_targets):
    snapshot = replay(imported_with_targets, "--as-of", AS_OF_SEPT)
    targets = targets_by_key(snapshot)
    # 1 slots_total target + 13 per-township entries of the min-slots target, none for "district"
    assert set(targets) == {("district", "slots_total")} | {(t, "township_min_slots") for t in TOWNSHIPS}
    for township in TOWNSHIPS:
        assert_target(targets[(township, "township_min_slots")], min_slots_target(township))


def test_townships_below_the_min_slots_target_are_counted_in_the_district(imported_with_targets):
    snapshot = replay(imported_with_targets, "--as-of", AS_OF_SEPT)
    # slots_total < 20: the 11 townships other than yongding (60) and zhaitang (20, not below)
    assert snapshot["district"]["townships_below_min_slots"] == 11
    # the targets change no other figure
    assert_figures(
        snapshot["district"],
        {k: v for k, v in DISTRICT_SEPT.items() if k != "townships_below_min_slots"},
        "district",
    )
