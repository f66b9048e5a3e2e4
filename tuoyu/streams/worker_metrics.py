"""What one Faust worker exports: the contract metrics of the partitions it owns.

Prometheus sums the per-township series across workers, so each worker exports only the
townships whose Kafka partition it currently owns (every one of them, zeros included, so
the sum has every township exactly once), the training it folded, and, on the one worker
that owns the "district" partition, the targets. District targets need every township: the
other townships' parts are not here, so they come from the small per-township summaries of
the global table (summary_of), which every worker publishes for the townships it owns.

Pure functions of parts and an evaluation time, like the projections; the worker owns the
tables, the clock and the HTTP server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from tuoyu.domain.catalogue import DISTRICT, TOWNSHIP_IDS
from tuoyu.metrics.collectors import KpiCollector
from tuoyu.projections.facts import SHANGHAI
from tuoyu.projections.figures import TRAINED, district_figures, offers_inclusive_care, township_figures
from tuoyu.projections.fold import Part, new_part
from tuoyu.projections.lists import closures
from tuoyu.projections.moments import instant
from tuoyu.projections.provision import fee_cap_in_force, guidance_this_year, inclusive_fees, population_at
from tuoyu.projections.supervision import supervision_records
from tuoyu.projections.targets import targets_in_force

VIEW = "faust"
Summary = dict[str, Any]


def summary_of(part: Part) -> Summary:
    """What the district owner needs of a township it does not own to evaluate targets: the
    figures targets read, whether it counts toward inclusive coverage, and the part's dated
    quantities (baselines) and targets. Small next to the part (no institutions)."""
    # Targets read no date-dependent figure of a summary (shares come from the records below).
    figures = township_figures(part, 0)
    return {
        "position": part["position"],
        "figures": figures,
        "covered": offers_inclusive_care(part),
        "history": part["history"],
        "training": part["training"],
        "targets": part["targets"],
        "guidance_days": part["guidance_days"],
        "population": part["population"],
        "supervision": supervision_records(part),
        "fees": inclusive_fees(part),
    }


def _summary_part(summary: Summary) -> Part:
    """A part shaped enough for targets_in_force (it reads history, training, guidance, population,
    targets and the institutions' supervision records)."""
    part = new_part()
    part.update(
        position=summary["position"],
        history=summary["history"],
        training=summary["training"],
        targets=summary["targets"],
        guidance_days=summary["guidance_days"],
        population=summary["population"],
        institutions=summary["supervision"],
    )
    return part


def worker_snapshot(owned: Mapping[str, Part], summaries: Mapping[str, Summary], now: datetime) -> dict[str, Any]:
    """The slice of the snapshot this worker exports.

    `owned`: the parts of every key (townships and maybe "district") whose partition this
    worker owns, a new part for an owned key without events yet. `summaries`: the global
    table's summaries of every township (used for those not owned). Targets are evaluated
    only when "district" is owned; otherwise the list is empty so that no target series is
    exported twice.
    """
    at, today = instant(now), now.astimezone(SHANGHAI).date().isoformat()
    # The fee cap is the district's: only its owner knows it, and exports every township's
    # inclusive_over_cap (from the summaries' fees); the other workers export none.
    cap = fee_cap_in_force(owned[DISTRICT], today) if DISTRICT in owned else None
    townships = {t: township_figures(owned[t], at, cap) for t in TOWNSHIP_IDS if t in owned}
    district: dict[str, Any] = {
        name: sum(sum(p["training"].get(course, {}).values()) for p in owned.values())
        for course, name in TRAINED.items()
    }
    for part in owned.values():
        for name, count in guidance_this_year(part, at).items():
            district[name] = district.get(name, 0) + count
    snapshot: dict[str, Any] = {
        "townships": townships,
        "district": district,
        "targets": [],
        "position": max((p["position"] for p in owned.values()), default=0),
        "over_cap_elsewhere": {},
    }
    if DISTRICT not in owned:
        for figures in townships.values():
            figures["inclusive_over_cap"] = None
        return snapshot
    report = population_at(owned[DISTRICT])
    district.update(population=report[1] if report else None, inclusive_fee_cap_yuan=cap)
    snapshot["targets"] = district_targets(owned, summaries, now)
    snapshot["over_cap_elsewhere"] = {
        t: 0 if cap is None else sum(1 for fee in summaries[t]["fees"] if fee > cap)
        for t in TOWNSHIP_IDS
        if t not in owned and t in summaries
    }
    return snapshot


def district_targets(owned: Mapping[str, Part], summaries: Mapping[str, Summary], now: datetime) -> list[dict]:
    """Every target in force (as build_snapshot gives them), from owned parts and summaries."""
    parts: dict[str, Part] = {DISTRICT: owned[DISTRICT]}
    figures: dict[str, dict[str, Any]] = {}
    covered, at = 0, instant(now)
    for township in TOWNSHIP_IDS:
        if township in owned:
            part = parts[township] = owned[township]
            figures[township] = township_figures(part, at)
            covered += offers_inclusive_care(part)
        else:
            summary = summaries.get(township) or summary_of(new_part())
            parts[township] = _summary_part(summary)
            figures[township] = summary["figures"]
            covered += summary["covered"]
    floor = parts[DISTRICT]["targets"].get("township_min_slots")
    district = district_figures(figures, parts[DISTRICT], covered, floor["value"] if floor else None, at)
    return targets_in_force(parts, {DISTRICT: district, **figures}, now)


def open_closures(owned: Mapping[str, Part]) -> list[dict[str, Any]]:
    view = {key: owned.get(key) or new_part() for key in (DISTRICT, *TOWNSHIP_IDS)}
    return [c for c in closures(view, "open") if c["township"] in owned]


class WorkerCollector(Collector):
    """The contract series of KpiCollector for this worker's slice, and its position as
    childcare_projection_position{view="faust"}. No childcare_events_recorded: a worker does
    not know the store's newest position (the API or relay exports it). Where a fact's fold
    raised and the worker stopped a partition: childcare_projection_stuck{view="faust"} (1 while
    stuck) and childcare_projection_stuck_position (the earliest such fact's position, 0 if none)."""

    def __init__(
        self,
        cached: Callable[[], dict[str, Any]],
        closures_of: Callable[[], list[dict[str, Any]]],
        counts: Callable[[], tuple[int, int]] = lambda: (0, 0),
        jumps: Callable[[], tuple[int, int]] = lambda: (0, 0),
        stuck: Callable[[], int | None] = lambda: None,
    ):
        self.cached = cached
        self.counts = counts
        self.jumps = jumps
        self.stuck = stuck
        self.kpis = KpiCollector(cached, lambda: (0, {VIEW: self.cached()["position"]}), closures_of)

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        # The worker's own throughput (for the pipeline dashboard and the bench), also while pending.
        applied, duplicates = self.counts()
        yield CounterMetricFamily(
            "tuoyu_worker_facts_applied", "facts this worker folded into its tables", value=applied
        )
        yield CounterMetricFamily(
            "tuoyu_worker_duplicates_dropped",
            "facts dropped as already applied (re-sent, or consumed again after a restart)",
            value=duplicates,
        )
        found, unrecovered = self.jumps()
        yield CounterMetricFamily(
            "tuoyu_worker_offset_jumps",
            "jumps in a source partition's offsets (records skipped), each read again",
            value=found,
        )
        yield CounterMetricFamily(
            "tuoyu_worker_offset_jumps_unrecovered",
            "jumps whose records the broker no longer had: facts this worker never folded",
            value=unrecovered,
        )
        position = self.stuck()
        stuck = GaugeMetricFamily(
            "childcare_projection_stuck", "1 while the view stopped at a fact whose fold raised", labels=["view"]
        )
        stuck.add_metric([VIEW], 0 if position is None else 1)
        yield stuck
        at = GaugeMetricFamily(
            "childcare_projection_stuck_position",
            "position of the fact the view stopped at (0: not stuck)",
            labels=["view"],
        )
        at.add_metric([VIEW], position or 0)
        yield at
        if self.cached().get("pending"):
            # Not yet assigned and built: no KPI series rather than zeros that would pull sums down.
            return
        elsewhere = self.cached().get("over_cap_elsewhere", {})
        for family in self.kpis.collect():
            if family.name == "childcare_inclusive_over_cap":
                for township, count in sorted(elsewhere.items()):
                    family.add_metric([township], count)
            if family.name != "childcare_events_recorded":
                yield family
