"""Supervision and safety (kpis.md, revision of 2026-11-30): what the fold keeps of
inspections, gradings, incidents and health training, and the figures it gives at an
evaluation time.

Per institution the fold keeps only latest values (risk, credit, outcome, scores, health
staff) and a few merged spans of instants (moments.py): `seen` (an inspection of any kind in
the 90 days before), `visits` (an inspection visit this year), `assessed` (a quality
assessment in the 365 days before) and `spans` (when it was operating, for figures at a past
instant). Windows are then a lookup at snapshot time, for any evaluation time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tuoyu.domain.catalogue import (
    CREDITS,
    INCIDENT_CATEGORIES,
    INCIDENT_SEVERITIES,
    QUALITY_DIMENSIONS,
    RISKS,
    SERIOUS_SEVERITIES,
    UNGRADED,
    VISIT_KINDS,
)
from tuoyu.projections.moments import DAY, cover, covers, day_start, instant, next_year_start, year_start

SEEN_WINDOW = 90 * DAY
ASSESSED_WINDOW = 365 * DAY
HEALTH_TRAINING_WINDOW = 90 * DAY
# New institutions owe pre-job health training (plan task 14) from the plan's first year.
NEW_FROM = day_start("2023-01-01")
SUPERVISION_KEYS = ("operating", "spans", "visits", "assessed")


def new_record(at: int | None, operating: bool) -> dict[str, Any]:
    """The supervision fields of an institution first seen at `at` (None: time unknown)."""
    return {
        "health_staff": 0,
        "outcome": None,
        "scores": None,
        "seen": [],
        "visits": [],
        "assessed": [],
        "spans": [[at, None]] if operating and at is not None else [],
    }


# ---- the fold --------------------------------------------------------------------------------


def inspected(inst: dict[str, Any], event: dict[str, Any]) -> None:
    at = instant(event["occurred_at"])
    inst["outcome"] = event["outcome"]
    cover(inst["seen"], at, at + SEEN_WINDOW)
    if event["kind"] in VISIT_KINDS:
        cover(inst["visits"], at, next_year_start(at))
    elif event["kind"] == "quality_assessment":
        inst["scores"] = event.get("scores", {})
        cover(inst["assessed"], at, at + ASSESSED_WINDOW)


def opened(inst: dict[str, Any], event: dict[str, Any]) -> None:
    cover(inst["spans"], instant(event["occurred_at"]), None)  # type: ignore[arg-type]


def closed(inst: dict[str, Any], event: dict[str, Any]) -> None:
    at = instant(event["occurred_at"])
    # A closure that occurred before the opening it ends leaves no operating time at all.
    inst["spans"] = [
        span if span[1] is not None else [span[0], at] for span in inst["spans"] if span[1] is not None or span[0] < at
    ]


def incident(part: dict[str, Any], event: dict[str, Any]) -> None:
    incidents = part["incidents"]
    if event["type"] == "IncidentReported":
        incidents[event["incident_id"]] = {
            "incident_id": event["incident_id"],
            "institution_id": event["institution_id"],
            "category": event["category"],
            "severity": event["severity"],
            "children_affected": event.get("children_affected"),
            "reported_at": event["occurred_at"],
            "resolved_at": None,
        }
    elif event["incident_id"] in incidents:
        # (A resolution whose report occurred after an as-of time has nothing to resolve there.)
        incidents[event["incident_id"]]["resolved_at"] = event["occurred_at"]


def health_training(part: dict[str, Any], event: dict[str, Any]) -> None:
    """The earliest health course naming an institution (all that new_without_health_training asks)."""
    at, known = instant(event["occurred_at"]), part["health_training"].get(event["institution_id"])
    if known is None or at < known:
        part["health_training"][event["institution_id"]] = at


# ---- figures at an evaluation time -----------------------------------------------------------


def supervision_figures(part: dict[str, Any], at: int) -> dict[str, Any]:
    by_risk = dict.fromkeys((*RISKS, UNGRADED), 0)
    by_credit = dict.fromkeys((*CREDITS, UNGRADED), 0)
    sums, counts = dict.fromkeys(QUALITY_DIMENSIONS, 0.0), dict.fromkeys(QUALITY_DIMENSIONS, 0)
    high_uninspected = failed = health_staff = untrained = 0
    for iid, inst in part["institutions"].items():
        if not inst["operating"]:
            continue
        by_risk[inst["risk"] or UNGRADED] += 1
        by_credit[inst["credit"] or UNGRADED] += 1
        high_uninspected += inst["risk"] == "high" and not covers(inst["seen"], at)
        failed += inst["outcome"] == "fail"
        health_staff += inst["health_staff"]
        untrained += lacks_health_training(inst, part["health_training"].get(iid), at)
        for dimension, score in (inst["scores"] or {}).items():
            sums[dimension] += score
            counts[dimension] += 1
    _, inspected_now, assessed_now = covered_today(part["institutions"].values(), at)
    return {
        "institutions_by_risk": by_risk,
        "institutions_by_credit": by_credit,
        "high_risk_uninspected": high_uninspected,
        "inspected_institutions": inspected_now,
        "assessed_institutions": assessed_now,
        "quality_score_sum": {d: round(s, 4) for d, s in sums.items()},
        "quality_score_count": counts,
        "failed_latest": failed,
        "health_staff": health_staff,
        "new_without_health_training": untrained,
    }


def lacks_health_training(inst: dict[str, Any], trained_at: int | None, at: int) -> bool:
    """Filed on or after 2023-01-01, more than 90 days before `at`, and no health course naming
    it before filing + 90 days. An institution whose filing is not in the view (an as-of view
    of an event recorded with an earlier business time than its filing) is not counted."""
    filed = inst["filed_at"]
    if filed is None or filed < NEW_FROM or at - filed <= HEALTH_TRAINING_WINDOW:
        return False
    return trained_at is None or trained_at >= filed + HEALTH_TRAINING_WINDOW


def covered_today(institutions: Iterable[Mapping[str, Any]], at: int) -> tuple[int, int, int]:
    """Institutions operating as the view stands, and of them those visited in the year of `at`
    and those assessed in the 365 days up to it."""
    operating = visited = assessed = 0
    for inst in institutions:
        if inst["operating"]:
            operating += 1
            visited += covers(inst["visits"], at)
            assessed += covers(inst["assessed"], at)
    return operating, visited, assessed


def covered_at(institutions: Iterable[Mapping[str, Any]], at: int) -> tuple[int, int, int]:
    """At a past instant, from the dated spans: institutions operating then, of them visited in
    that year, and assessed in the 365 days before (targets' baselines and judgement at due)."""
    operating = visited = assessed = 0
    for inst in institutions:
        if covers(inst["spans"], at):
            operating += 1
            visited += covers(inst["visits"], at)
            assessed += covers(inst["assessed"], at)
    return operating, visited, assessed


def incident_figures(part: dict[str, Any], at: int) -> dict[str, Any]:
    by_category = {c: dict.fromkeys(INCIDENT_SEVERITIES, 0) for c in INCIDENT_CATEGORIES}
    this_year, year_from = 0, year_start(at)
    for case in part["incidents"].values():
        if case["resolved_at"] is None:
            by_category[case["category"]][case["severity"]] += 1
        this_year += year_from <= instant(case["reported_at"]) <= at
    return {
        "incidents_open": sum(sum(s.values()) for s in by_category.values()),
        "incidents_open_serious": sum(s[v] for s in by_category.values() for v in SERIOUS_SEVERITIES),
        "incidents_open_by_category": {c: sum(s.values()) for c, s in by_category.items()},
        "incidents_open_by_category_severity": by_category,
        "incidents_year": this_year,
    }


def supervision_records(part: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What share targets read of each institution (for a part's compact summary)."""
    return {iid: {k: inst[k] for k in SUPERVISION_KEYS} for iid, inst in part["institutions"].items()}
