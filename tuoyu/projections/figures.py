"""The figures of kpis.md for one township part, and for the district as their sum."""

from __future__ import annotations

from typing import Any

from tuoyu.domain.catalogue import (
    CREDITS,
    INCIDENT_CATEGORIES,
    INCIDENT_SEVERITIES,
    INSTITUTION_KINDS,
    QUALITY_DIMENSIONS,
    RISKS,
    TOWNSHIP_IDS,
    UNGRADED,
)
from tuoyu.projections.fold import Part
from tuoyu.projections.moments import shanghai_date
from tuoyu.projections.provision import KINDERGARTEN, fee_cap_in_force, population_figures, provision_figures, ratio
from tuoyu.projections.supervision import incident_figures, supervision_figures

__all__ = [
    "ADDITIVE",
    "ADDITIVE_BREAKDOWNS",
    "FIGURE_ORDER",
    "TRAINED",
    "district_figures",
    "offers_inclusive_care",
    "ratio",
    "township_figures",
]

TRAINED = {"head": "heads_trained", "caregiver": "caregivers_trained", "health": "health_trained"}
# Figures whose district value is the sum of the townships' (and of the district's own part).
ADDITIVE = (
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
)
# Breakdowns (figure -> its keys) whose district value is the sum, key by key.
ADDITIVE_BREAKDOWNS = {
    "institutions_by_kind": INSTITUTION_KINDS,
    "slots_by_kind": INSTITUTION_KINDS,
    "inclusive_slots_by_kind": INSTITUTION_KINDS,
    "institutions_by_risk": (*RISKS, UNGRADED),
    "institutions_by_credit": (*CREDITS, UNGRADED),
    "quality_score_sum": QUALITY_DIMENSIONS,
    "quality_score_count": QUALITY_DIMENSIONS,
    "incidents_open_by_category": INCIDENT_CATEGORIES,
}


def township_figures(part: Part, at: int, fee_cap: float | None = None) -> dict[str, Any]:
    """Every figure of one scope at the evaluation time `at` (moments.instant), with the fee cap
    in force then (the district's, fee_cap_in_force)."""
    today = shanghai_date(at).isoformat()
    slots = inclusive = operating = enrolled = closures = awaiting = caregivers = certified = 0
    by_kind = dict.fromkeys(INSTITUTION_KINDS, 0)
    for inst in part["institutions"].values():
        if inst["operating"]:
            operating += 1
            by_kind[inst["kind"]] = by_kind.get(inst["kind"], 0) + 1
            slots += inst["slots"]
            inclusive += inst["slots"] if inst["inclusive"] else 0
            enrolled += inst["enrolled"]
            caregivers += inst["caregivers"]
            certified += inst["certified"]
        elif inst["emergency"] and inst["awaiting"] > 0:
            closures += 1
            awaiting += inst["awaiting"]
    open_rectifications = [r for r in part["rectifications"].values() if r["completed_at"] is None]
    trained = {name: sum(part["training"].get(course, {}).values()) for course, name in TRAINED.items()}
    figures = {
        "slots_total": slots,
        "slots_inclusive": inclusive,
        "inclusive_share": ratio(inclusive, slots),
        "institutions_operating": operating,
        "institutions_by_kind": by_kind,
        "enrolled": enrolled,
        "occupancy": ratio(enrolled, slots),
        "emergency_closures_open": closures,
        "children_awaiting_rehoming": awaiting,
        "rectifications_open": len(open_rectifications),
        "rectifications_overdue": sum(1 for r in open_rectifications if r["rectify_by"] < today),
        "caregivers": caregivers,
        "certified_caregivers": certified,
        "certified_share": ratio(certified, caregivers),
        **trained,
        "guidance_activities": part["guidance"][0],
        "guidance_participants": part["guidance"][1],
        **supervision_figures(part, at),
        **incident_figures(part, at),
        **provision_figures(part, at, fee_cap),
    }
    return _derived(figures)


def _derived(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures made of others: shares and means (the same for a township and the district)."""
    operating = figures["institutions_operating"]
    sums, counts = figures["quality_score_sum"], figures["quality_score_count"]
    figures.update(
        inspected_share=ratio(figures["inspected_institutions"], operating),
        assessed_share=ratio(figures["assessed_institutions"], operating),
        quality_scores={d: ratio(sums[d], counts[d]) for d in QUALITY_DIMENSIONS},
        kindergarten_share=ratio(figures["slots_by_kind"][KINDERGARTEN], figures["slots_total"]),
        inclusive_fee_mean=ratio(figures["inclusive_fee_yuan_sum"], figures["inclusive_fee_yuan_count"]),
    )
    return {name: figures[name] for name in FIGURE_ORDER}


def offers_inclusive_care(part: Part) -> bool:
    """Whether a township counts toward inclusive coverage (kpis.md, district only)."""
    return any(i["operating"] and i["inclusive"] and i["slots"] > 0 for i in part["institutions"].values())


def district_figures(
    townships: dict[str, dict[str, Any]], district_part: Part, covered: int, min_slots: float | None, at: int
) -> dict[str, Any]:
    """District figures: township sums, plus what was recorded for the district as a whole (its
    own part: training and guidance naming no township, its population, the fee cap)."""
    today = shanghai_date(at).isoformat()
    own = township_figures(district_part, at)
    scopes = [own, *townships.values()]
    total: dict[str, Any] = {name: sum(s[name] for s in scopes) for name in ADDITIVE}
    for name, keys in ADDITIVE_BREAKDOWNS.items():
        total[name] = {k: sum(s[name].get(k, 0) for s in scopes) for k in keys}
    total["incidents_open_by_category_severity"] = {
        c: {v: sum(s["incidents_open_by_category_severity"][c][v] for s in scopes) for v in INCIDENT_SEVERITIES}
        for c in INCIDENT_CATEGORIES
    }
    total["inclusive_fee_yuan_sum"] = round(total["inclusive_fee_yuan_sum"], 4)
    total["quality_score_sum"] = {d: round(s, 4) for d, s in total["quality_score_sum"].items()}
    total.update(
        inclusive_share=ratio(total["slots_inclusive"], total["slots_total"]),
        occupancy=ratio(total["enrolled"], total["slots_total"]),
        certified_share=ratio(total["certified_caregivers"], total["caregivers"]),
        **population_figures(district_part, total["slots_total"]),
    )
    figures = _derived(total)
    figures["inclusive_coverage"] = round(covered / len(TOWNSHIP_IDS), 4)
    figures["townships_below_min_slots"] = (
        0 if min_slots is None else sum(1 for t in townships.values() if t["slots_total"] < min_slots)
    )
    figures["inclusive_fee_cap_yuan"] = fee_cap_in_force(district_part, today)
    return figures


FIGURE_ORDER = (
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
    # kpis.md, revision of 2026-11-30 (the _sum, _count and _by_category_severity figures are
    # what the metrics export, so that any level's mean is a sum over a sum)
    "slots_by_kind",
    "inclusive_slots_by_kind",
    "kindergarten_share",
    "institutions_by_risk",
    "institutions_by_credit",
    "high_risk_uninspected",
    "inspected_institutions",
    "inspected_share",
    "assessed_institutions",
    "assessed_share",
    "quality_scores",
    "quality_score_sum",
    "quality_score_count",
    "failed_latest",
    "incidents_open",
    "incidents_open_serious",
    "incidents_open_by_category",
    "incidents_open_by_category_severity",
    "incidents_year",
    "health_staff",
    "new_without_health_training",
    "inclusive_fee_mean",
    "inclusive_fee_yuan_sum",
    "inclusive_fee_yuan_count",
    "inclusive_over_cap",
    "guidance_offline_year",
    "guidance_online_year",
    "guidance_participants_year",
    "population",
    "under3",
    "slots_per_1000",
)
