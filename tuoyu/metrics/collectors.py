"""The contract metrics of kpis.md, served from the live view by a custom collector.

A scrape reads the cached live snapshot (rebuilt when the view changes, or every 30 s as the
clock moves); it never reads events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tuoyu.domain.catalogue import INSTITUTION_KINDS, KPI_NAMES_ZH, TOWNSHIPS
from tuoyu.projections.facts import day_end

PER_TOWNSHIP = (
    ("childcare_slots", "slots_total", "Slots of operating institutions (托位数)"),
    ("childcare_inclusive_slots", "slots_inclusive", "Slots of operating inclusive institutions (普惠托位数)"),
    ("childcare_enrolled_children", "enrolled", "Children enrolled in operating institutions (在托幼儿数)"),
    ("childcare_emergency_closures_open", "emergency_closures_open",
     "Emergency closures with children still awaiting a place (应急关停未完成安置)"),
    ("childcare_children_awaiting_rehoming", "children_awaiting_rehoming", "Children awaiting a place (待安置幼儿数)"),
    ("childcare_rectifications_open", "rectifications_open", "Open rectifications (待整改)"),
    ("childcare_rectifications_overdue", "rectifications_overdue", "Rectifications past their date (逾期整改)"),
    ("childcare_caregivers", "caregivers", "Caregivers of operating institutions (保育人员数)"),
    ("childcare_certified_caregivers", "certified_caregivers", "Certified caregivers (持证保育人员数)"),
)
COURSES = (("head", "heads_trained"), ("caregiver", "caregivers_trained"), ("health", "health_trained"))


class KpiCollector(Collector):
    def __init__(self, snapshot: Callable[[], dict[str, Any]], positions: Callable[[], tuple[int, dict[str, int]]],
                 open_closures: Callable[[], list[dict[str, Any]]] = list, kpis: bool = True):
        self.kpis = kpis
        self.snapshot = snapshot
        self.positions = positions
        self.open_closures = open_closures

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from names()
        if self.kpis:
            yield from self._kpi_families()
        recorded, views = self.positions()
        yield GaugeMetricFamily("childcare_events_recorded", "Position of the newest recorded event", value=recorded)
        position = GaugeMetricFamily("childcare_projection_position", "Position the view has applied",
                                     labels=["view"])
        for view, applied in views.items():
            position.add_metric([view], applied)
        yield position

    def _kpi_families(self) -> Iterator[GaugeMetricFamily]:
        snapshot = self.snapshot()
        townships = snapshot["townships"]
        for metric, figure, help_text in PER_TOWNSHIP:
            family = GaugeMetricFamily(metric, help_text, labels=["township"])
            for township, figures in townships.items():
                family.add_metric([township], figures[figure])
            yield family
        institutions = GaugeMetricFamily("childcare_institutions", "Operating institutions (运营机构数)",
                                         labels=["township", "kind"])
        for township, figures in townships.items():
            for kind in INSTITUTION_KINDS:
                institutions.add_metric([township, kind], figures["institutions_by_kind"].get(kind, 0))
        yield institutions
        trained = GaugeMetricFamily("childcare_trained_people", "Person-times trained, all time (培训人次)",
                                    labels=["course"])
        for course, figure in COURSES:
            trained.add_metric([course], snapshot["district"][figure])
        yield trained
        yield from self._targets(snapshot["targets"])
        yield self._oldest_open_closures()

    def _oldest_open_closures(self) -> GaugeMetricFamily:
        # Beyond the contract: lets ChildrenAwaitingRehomingTooLong measure 24 h from the
        # closure itself, not from when Prometheus first saw it (which a restart would reset).
        family = GaugeMetricFamily("childcare_emergency_closure_opened_timestamp_seconds",
                                   "When the oldest open emergency closure of a township happened, Unix time",
                                   labels=["township"])
        oldest: dict[str, float] = {}
        for closure in self.open_closures():
            moment = datetime.fromisoformat(closure["closed_at"]).timestamp()
            oldest[closure["township"]] = min(moment, oldest.get(closure["township"], moment))
        for township, moment in sorted(oldest.items()):
            family.add_metric([township], moment)
        return family

    @staticmethod
    def _targets(targets: list[dict[str, Any]]) -> Iterator[GaugeMetricFamily]:
        labels = ["scope", "kpi"]
        families = {
            "value": GaugeMetricFamily("childcare_target_value", "Target value (目标值)", labels=labels),
            "expected": GaugeMetricFamily("childcare_target_expected", "Where the figure should be today on a "
                                          "straight line from baseline to target (应达值)", labels=labels),
            "actual": GaugeMetricFamily("childcare_target_actual", "The figure the target measures (实际值)",
                                        labels=labels),
            "due": GaugeMetricFamily("childcare_target_due_timestamp_seconds", "End of the due day, Unix time",
                                     labels=labels),
            "behind": GaugeMetricFamily("childcare_target_behind", "1 when the target is behind or missed",
                                        labels=labels),
            # Beyond the contract: TargetBehindPace compares it with its one day, where a `for: 1d`
            # would restart with every missed scrape or restart of Prometheus.
            "since": GaugeMetricFamily("childcare_target_behind_since_timestamp_seconds",
                                       "Since when a target behind its straight line has been behind, Unix time",
                                       labels=labels),
        }
        for t in targets:
            key = [t["scope"], t["kpi"]]
            families["value"].add_metric(key, t["value"])
            families["expected"].add_metric(key, t["expected"])
            families["actual"].add_metric(key, t["actual"])
            families["due"].add_metric(key, day_end(t["due"]).timestamp())
            families["behind"].add_metric(key, 1 if t["status"] in ("behind", "missed") else 0)
            if t.get("behind_since"):
                families["since"].add_metric(key, datetime.fromisoformat(t["behind_since"]).timestamp())
        yield from families.values()


def names() -> Iterator[GaugeMetricFamily]:
    """Info metrics (value 1) naming the ids in Chinese, for alert annotations to look up: one
    lookup instead of a branch per township in every annotation."""
    townships = GaugeMetricFamily("childcare_township_info", "Chinese name of each township id (镇街名称)",
                                  labels=["township", "name_zh"])
    for township in TOWNSHIPS:
        townships.add_metric([township.id, township.name_zh], 1)
    yield townships
    kpis = GaugeMetricFamily("childcare_kpi_info", "Chinese name of each target kpi (指标名称)", labels=["kpi", "name_zh"])
    for kpi, name in KPI_NAMES_ZH.items():
        kpis.add_metric([kpi, name], 1)
    yield kpis


def metrics_registry(collector: Collector) -> CollectorRegistry:
    """A collector's metrics (the contract's, a worker's, the relay's) plus the client's process, platform and GC metrics."""
    registry = CollectorRegistry(auto_describe=False)
    for standard in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(standard)
    registry.register(collector)
    return registry
