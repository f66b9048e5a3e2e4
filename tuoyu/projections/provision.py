"""The plan's other figures (kpis.md, revision of 2026-11-30): slots by kind, inclusive fees and
the cap in force, parenting guidance this year, population and slots per 1,000 residents.
What the fold keeps for them, and the figures at an evaluation time."""

from __future__ import annotations

from typing import Any

from tuoyu.domain.catalogue import INSTITUTION_KINDS
from tuoyu.projections.facts import business_date
from tuoyu.projections.moments import instant, shanghai_date

KINDERGARTEN = "kindergarten_class"
OFFLINE, ONLINE, PARTICIPANTS = range(3)


def ratio(numerator: float, denominator: float, digits: int = 4) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


# ---- the fold --------------------------------------------------------------------------------


def guidance_held(part: dict[str, Any], event: dict[str, Any]) -> None:
    day = part["guidance_days"].setdefault(business_date(event["occurred_at"]), [0, 0, 0])
    day[OFFLINE if event["format"] == "offline" else ONLINE] += 1
    day[PARTICIPANTS] += event["participants"]


def population_reported(part: dict[str, Any], event: dict[str, Any]) -> None:
    part["population"].append([event["year"], event["population"], event.get("under3"), instant(event["occurred_at"])])


def fee_cap_set(part: dict[str, Any], event: dict[str, Any]) -> None:
    part["fee_caps"].append([event["start"], event["monthly_fee_yuan"]])


# ---- reading what the fold kept ------------------------------------------------------------------


def population_at(part: dict[str, Any], at: int | None = None) -> list[Any] | None:
    """The latest report (greatest year; the later recorded on a tie) of those that occurred by
    `at` (all of them when None): [year, population, under3, occurred]."""
    latest = None
    for report in part["population"]:
        if (at is None or report[3] <= at) and (latest is None or report[0] >= latest[0]):
            latest = report
    return latest


def fee_cap_in_force(district: dict[str, Any], today: str) -> float | None:
    """Of the caps starting on or before `today`, the latest start (the later recorded on a tie)."""
    chosen = None
    for start, fee in district["fee_caps"]:
        if start <= today and (chosen is None or start >= chosen[0]):
            chosen = (start, fee)
    return None if chosen is None else chosen[1]


def guidance_between(part: dict[str, Any], first: str, last: str, index: int) -> int:
    """Σ of one guidance count over the business days first..last (inclusive)."""
    return sum(counts[index] for day, counts in part["guidance_days"].items() if first <= day <= last)


def inclusive_fees(part: dict[str, Any]) -> list[float]:
    """The monthly fees of the operating inclusive institutions that have one."""
    return [
        inst["monthly_fee_yuan"]
        for inst in part["institutions"].values()
        if inst["operating"] and inst["inclusive"] and inst.get("monthly_fee_yuan") is not None
    ]


# ---- figures at an evaluation time -----------------------------------------------------------


def provision_figures(part: dict[str, Any], at: int, fee_cap: float | None) -> dict[str, Any]:
    by_kind, inclusive_by_kind = dict.fromkeys(INSTITUTION_KINDS, 0), dict.fromkeys(INSTITUTION_KINDS, 0)
    for inst in part["institutions"].values():
        if inst["operating"]:
            by_kind[inst["kind"]] += inst["slots"]
            inclusive_by_kind[inst["kind"]] += inst["slots"] if inst["inclusive"] else 0
    fees = inclusive_fees(part)
    return {
        "slots_by_kind": by_kind,
        "inclusive_slots_by_kind": inclusive_by_kind,
        "kindergarten_share": ratio(by_kind[KINDERGARTEN], sum(by_kind.values())),
        "inclusive_fee_mean": ratio(sum(fees), len(fees)),
        "inclusive_fee_yuan_sum": round(sum(fees), 4),
        "inclusive_fee_yuan_count": len(fees),
        "inclusive_over_cap": 0 if fee_cap is None else sum(1 for fee in fees if fee > fee_cap),
        **guidance_this_year(part, at),
        **population_figures(part, sum(by_kind.values())),
    }


def guidance_this_year(part: dict[str, Any], at: int) -> dict[str, int]:
    today = shanghai_date(at)
    first, last = f"{today.year:04d}-01-01", today.isoformat()
    return {
        "guidance_offline_year": guidance_between(part, first, last, OFFLINE),
        "guidance_online_year": guidance_between(part, first, last, ONLINE),
        "guidance_participants_year": guidance_between(part, first, last, PARTICIPANTS),
    }


def population_figures(part: dict[str, Any], slots_total: int) -> dict[str, Any]:
    report = population_at(part)
    population = None if report is None else report[1]
    return {
        "population": population,
        "under3": None if report is None else report[2],
        "slots_per_1000": None if population is None else ratio(slots_total * 1000, population),
    }
