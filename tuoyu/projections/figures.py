"""The figures of kpis.md for one township part, and for the district as their sum."""

from __future__ import annotations

from typing import Any

from tuoyu.domain.catalogue import INSTITUTION_KINDS, TOWNSHIP_IDS
from tuoyu.projections.fold import Part

TRAINED = {"head": "heads_trained", "caregiver": "caregivers_trained", "health": "health_trained"}
ADDITIVE = ("slots_total", "slots_inclusive", "institutions_operating", "enrolled", "emergency_closures_open",
            "children_awaiting_rehoming", "rectifications_open", "rectifications_overdue", "caregivers",
            "certified_caregivers", "heads_trained", "caregivers_trained", "health_trained",
            "guidance_activities", "guidance_participants")


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def township_figures(part: Part, today: str) -> dict[str, Any]:
    """Every figure of one scope; `today` (YYYY-MM-DD, Asia/Shanghai) decides what is overdue."""
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
    return {
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
    }


def offers_inclusive_care(part: Part) -> bool:
    """Whether a township counts toward inclusive coverage (kpis.md, district only)."""
    return any(i["operating"] and i["inclusive"] and i["slots"] > 0 for i in part["institutions"].values())


def district_figures(townships: dict[str, dict[str, Any]], district_part: Part, covered: int,
                     min_slots: float | None) -> dict[str, Any]:
    """District figures: township sums, plus what was recorded for the district as a whole."""
    own = township_figures(district_part, "")
    total: dict[str, Any] = {name: own[name] + sum(t[name] for t in townships.values()) for name in ADDITIVE}
    total["institutions_by_kind"] = {k: sum(t["institutions_by_kind"].get(k, 0) for t in townships.values())
                                     for k in INSTITUTION_KINDS}
    total["inclusive_share"] = ratio(total["slots_inclusive"], total["slots_total"])
    total["occupancy"] = ratio(total["enrolled"], total["slots_total"])
    total["certified_share"] = ratio(total["certified_caregivers"], total["caregivers"])
    total["inclusive_coverage"] = round(covered / len(TOWNSHIP_IDS), 4)
    total["townships_below_min_slots"] = (
        0 if min_slots is None else sum(1 for t in townships.values() if t["slots_total"] < min_slots))
    return {name: total[name] for name in (*FIGURE_ORDER, "inclusive_coverage", "townships_below_min_slots")}


FIGURE_ORDER = ("slots_total", "slots_inclusive", "inclusive_share", "institutions_operating",
                "institutions_by_kind", "enrolled", "occupancy", "emergency_closures_open",
                "children_awaiting_rehoming", "rectifications_open", "rectifications_overdue", "caregivers",
                "certified_caregivers", "certified_share", "heads_trained", "caregivers_trained",
                "health_trained", "guidance_activities", "guidance_participants")
