"""The contract metrics of kpis.md, served from the live view by a custom collector.

A scrape reads the cached live snapshot (rebuilt when the view changes, or every 30 s as the
clock moves); it never reads events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tuoyu.domain.catalogue import (
    GUIDANCE_FORMATS,
    INCIDENT_CATEGORIES,
    INCIDENT_CATEGORY_NAMES_ZH,
    INCIDENT_SEVERITIES,
    INSTITUTION_KINDS,
    KPI_NAMES_ZH,
    TOWNSHIPS,
    UNIT_NAMES_ZH,
)
from tuoyu.projections.moments import day_last

PER_TOWNSHIP = (
    ("childcare_slots", "slots_total", "Slots of operating institutions (托位数)"),
    ("childcare_inclusive_slots", "slots_inclusive", "Slots of operating inclusive institutions (普惠托位数)"),
    ("childcare_enrolled_children", "enrolled", "Children enrolled in operating institutions (在托幼儿数)"),
    (
        "childcare_emergency_closures_open",
        "emergency_closures_open",
        "Emergency closures with children still awaiting a place (应急关停未完成安置)",
    ),
    ("childcare_children_awaiting_rehoming", "children_awaiting_rehoming", "Children awaiting a place (待安置幼儿数)"),
    ("childcare_rectifications_open", "rectifications_open", "Open rectifications (待整改)"),
    ("childcare_rectifications_overdue", "rectifications_overdue", "Rectifications past their date (逾期整改)"),
    ("childcare_caregivers", "caregivers", "Caregivers of operating institutions (保育人员数)"),
    ("childcare_certified_caregivers", "certified_caregivers", "Certified caregivers (持证保育人员数)"),
    # kpis.md, revision of 2026-11-30
    (
        "childcare_high_risk_uninspected",
        "high_risk_uninspected",
        "High-risk operating institutions without an inspection in the 90 days up to now (高风险未检查)",
    ),
    (
        "childcare_inspected_institutions",
        "inspected_institutions",
        "Operating institutions visited (routine, unannounced, complaint, supervision) this year (年度已检查)",
    ),
    (
        "childcare_assessed_institutions",
        "assessed_institutions",
        "Operating institutions with a quality assessment in the 365 days up to now (已质量评估)",
    ),
    (
        "childcare_failed_inspection_institutions",
        "failed_latest",
        "Operating institutions whose latest inspection failed (最近一次检查不合格)",
    ),
    ("childcare_health_staff", "health_staff", "Health staff of operating institutions (卫生保健人员数)"),
    (
        "childcare_new_institutions_without_health_training",
        "new_without_health_training",
        "Institutions filed since 2023 without pre-job health training 90 days after filing (未完成岗前卫生保健培训)",
    ),
    (
        "childcare_inclusive_fee_yuan_sum",
        "inclusive_fee_yuan_sum",
        "Σ monthly fee of operating inclusive institutions that have one, yuan (普惠收费合计)",
    ),
    (
        "childcare_inclusive_fee_yuan_count",
        "inclusive_fee_yuan_count",
        "Operating inclusive institutions with a monthly fee (有收费标准的普惠机构数)",
    ),
    (
        "childcare_inclusive_over_cap",
        "inclusive_over_cap",
        "Operating inclusive institutions charging more than the cap in force (超出普惠收费上限)",
    ),
)
# Per-township breakdowns: (metric, figure, label, help); every key of the figure is exported.
PER_TOWNSHIP_BY = (
    (
        "childcare_institutions_by_risk",
        "institutions_by_risk",
        "risk",
        "Operating institutions by their latest risk grade (风险分级)",
    ),
    (
        "childcare_institutions_by_credit",
        "institutions_by_credit",
        "credit",
        "Operating institutions by their latest credit grade (信用分级)",
    ),
    (
        "childcare_quality_score_sum",
        "quality_score_sum",
        "dimension",
        "Σ of the operating institutions' latest quality assessment score in a dimension (质量评估得分合计)",
    ),
    (
        "childcare_quality_score_count",
        "quality_score_count",
        "dimension",
        "Operating institutions whose latest quality assessment scored a dimension (质量评估计分机构数)",
    ),
)
COURSES = (("head", "heads_trained"), ("caregiver", "caregivers_trained"), ("health", "health_trained"))


class KpiCollector(Collector):
    """`stuck` gives, per view, the position of the fact the view cannot get past (0: none)."""

    def __init__(
        self,
        snapshot: Callable[[], dict[str, Any]],
        positions: Callable[[], tuple[int, dict[str, int]]],
        open_closures: Callable[[], list[dict[str, Any]]] = list,
        kpis: bool = True,
        stuck: Callable[[], dict[str, int]] | None = None,
    ):
        self.kpis = kpis
        self.snapshot = snapshot
        self.positions = positions
        self.open_closures = open_closures
        self.stuck = stuck

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from names()
        if self.kpis:
            yield from self._kpi_families()
        recorded, views = self.positions()
        yield GaugeMetricFamily("childcare_events_recorded", "Position of the newest recorded event", value=recorded)
        position = GaugeMetricFamily("childcare_projection_position", "Position the view has applied", labels=["view"])
        for view, applied in views.items():
            position.add_metric([view], applied)
        yield position
        if self.stuck is not None:
            yield from stuck_families(self.stuck())

    def _kpi_families(self) -> Iterator[GaugeMetricFamily]:
        snapshot = self.snapshot()
        townships = snapshot["townships"]
        for metric, figure, help_text in PER_TOWNSHIP:
            family = GaugeMetricFamily(metric, help_text, labels=["township"])
            for township, figures in townships.items():
                if figures[figure] is not None:  # a worker without the fee cap leaves it to the one with it
                    family.add_metric([township], figures[figure])
            yield family
        for metric, figure, label, help_text in PER_TOWNSHIP_BY:
            family = GaugeMetricFamily(metric, help_text, labels=["township", label])
            for township, figures in townships.items():
                for key, value in figures[figure].items():
                    family.add_metric([township, key], value)
            yield family
        yield from self._provision_families(snapshot)
        yield self._incidents(townships)
        institutions = GaugeMetricFamily(
            "childcare_institutions", "Operating institutions (运营机构数)", labels=["township", "kind"]
        )
        for township, figures in townships.items():
            for kind in INSTITUTION_KINDS:
                institutions.add_metric([township, kind], figures["institutions_by_kind"].get(kind, 0))
        yield institutions
        trained = GaugeMetricFamily(
            "childcare_trained_people", "Person-times trained, all time (培训人次)", labels=["course"]
        )
        for course, figure in COURSES:
            trained.add_metric([course], snapshot["district"][figure])
        yield trained
        yield from self._targets(snapshot["targets"])
        yield self._oldest_open_closures()

    @staticmethod
    def _provision_families(snapshot: dict[str, Any]) -> Iterator[GaugeMetricFamily]:
        townships, district = snapshot["townships"], snapshot["district"]
        slots = GaugeMetricFamily(
            "childcare_slots_by_kind",
            "Slots of operating institutions by kind, inclusive or not (按类型托位数)",
            labels=["township", "kind", "inclusive"],
        )
        for township, figures in townships.items():
            for kind in INSTITUTION_KINDS:
                inclusive = figures["inclusive_slots_by_kind"][kind]
                slots.add_metric([township, kind, "true"], inclusive)
                slots.add_metric([township, kind, "false"], figures["slots_by_kind"][kind] - inclusive)
        yield slots
        guidance = GaugeMetricFamily(
            "childcare_guidance_activities_year",
            "Parenting guidance activities this year (本年科学育儿指导场次)",
            labels=["format"],
        )
        for form in GUIDANCE_FORMATS:
            guidance.add_metric([form], district[f"guidance_{form}_year"])
        yield guidance
        population = GaugeMetricFamily(
            "childcare_population", "Resident population, latest report (常住人口)", labels=["scope"]
        )
        for scope, figures in (("district", district), *townships.items()):
            if figures.get("population") is not None:
                population.add_metric([scope], figures["population"])
        yield population
        cap = GaugeMetricFamily(
            "childcare_inclusive_fee_cap_yuan",
            "Monthly fee cap of inclusive institutions in force, yuan (普惠收费上限)",
        )
        if district.get("inclusive_fee_cap_yuan") is not None:
            cap.add_metric([], district["inclusive_fee_cap_yuan"])
        yield cap

    @staticmethod
    def _incidents(townships: dict[str, dict[str, Any]]) -> GaugeMetricFamily:
        family = GaugeMetricFamily(
            "childcare_incidents_open",
            "Incidents reported and not resolved (未结安全事件)",
            labels=["township", "category", "severity"],
        )
        for township, figures in townships.items():
            for category in INCIDENT_CATEGORIES:
                for severity in INCIDENT_SEVERITIES:
                    family.add_metric(
                        [township, category, severity],
                        figures["incidents_open_by_category_severity"][category][severity],
                    )
        return family

    def _oldest_open_closures(self) -> GaugeMetricFamily:
        # Beyond the contract: lets ChildrenAwaitingRehomingTooLong measure 24 h from the
        # closure itself, not from when Prometheus first saw it (which a restart would reset).
        family = GaugeMetricFamily(
            "childcare_emergency_closure_opened_timestamp_seconds",
            "When the oldest open emergency closure of a township happened, Unix time",
            labels=["township"],
        )
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
            "expected": GaugeMetricFamily(
                "childcare_target_expected",
                "Where the figure should be today on a straight line from baseline to target (应达值)",
                labels=labels,
            ),
            "actual": GaugeMetricFamily(
                "childcare_target_actual", "The figure the target measures (实际值)", labels=labels
            ),
            "due": GaugeMetricFamily(
                "childcare_target_due_timestamp_seconds", "End of the due day, Unix time", labels=labels
            ),
            "behind": GaugeMetricFamily(
                "childcare_target_behind", "1 when the target is behind or missed", labels=labels
            ),
            # Beyond the contract: TargetBehindPace compares it with its one day, where a `for: 1d`
            # would restart with every missed scrape or restart of Prometheus.
            "since": GaugeMetricFamily(
                "childcare_target_behind_since_timestamp_seconds",
                "Since when a target behind its straight line has been behind, Unix time",
                labels=labels,
            ),
            "at_due": GaugeMetricFamily(
                "childcare_target_actual_at_due",
                "The figure at the end of the due day, for targets past due (截止日实际值)",
                labels=labels,
            ),
            "responsible": GaugeMetricFamily(
                "childcare_target_responsible",
                "1 for each responsible unit of a target, lead first (责任单位)",
                labels=[*labels, "unit"],
            ),
            # Beyond the contract: a target's units by their Chinese names, lead first, in one label,
            # so that a table can show them in one cell (PromQL cannot join strings of series).
            "info": GaugeMetricFamily(
                "childcare_target_info",
                "1 for each target; its responsible units in Chinese, lead first (责任单位)",
                labels=[*labels, "responsible_zh"],
            ),
        }
        for t in targets:
            key = [t["scope"], t["kpi"]]
            families["value"].add_metric(key, t["value"])
            families["expected"].add_metric(key, t["expected"])
            families["actual"].add_metric(key, t["actual"])
            families["due"].add_metric(key, (day_last(t["due"]) + 1) / 1e6)
            families["behind"].add_metric(key, 1 if t["status"] in ("behind", "missed") else 0)
            if t.get("behind_since"):
                families["since"].add_metric(key, datetime.fromisoformat(t["behind_since"]).timestamp())
            if t["actual_at_due"] is not None:
                families["at_due"].add_metric(key, t["actual_at_due"])
            for unit in t["responsible"]:
                families["responsible"].add_metric([*key, unit], 1)
            families["info"].add_metric([*key, "、".join(UNIT_NAMES_ZH[unit] for unit in t["responsible"])], 1)
        yield from families.values()


def stuck_families(stuck_at: dict[str, int]) -> Iterator[GaugeMetricFamily]:
    """Whether each view stopped before a fact it cannot apply, and that fact's position."""
    stuck = GaugeMetricFamily(
        "childcare_projection_stuck",
        "1 when the view stopped before an event it cannot apply (it retries; the view's figures stay where they were)",
        labels=["view"],
    )
    where = GaugeMetricFamily(
        "childcare_projection_stuck_position",
        "Position of the event the view cannot apply; 0 when it is not stuck",
        labels=["view"],
    )
    for view, position in sorted(stuck_at.items()):
        stuck.add_metric([view], 1 if position else 0)
        where.add_metric([view], position)
    yield stuck
    yield where


def names() -> Iterator[GaugeMetricFamily]:
    """Info metrics (value 1) naming the ids in Chinese, for alert annotations to look up: one
    lookup instead of a branch per township in every annotation."""
    townships = GaugeMetricFamily(
        "childcare_township_info", "Chinese name of each township id (镇街名称)", labels=["township", "name_zh"]
    )
    for township in TOWNSHIPS:
        townships.add_metric([township.id, township.name_zh], 1)
    yield townships
    kpis = GaugeMetricFamily(
        "childcare_kpi_info", "Chinese name of each target kpi (指标名称)", labels=["kpi", "name_zh"]
    )
    for kpi, name in KPI_NAMES_ZH.items():
        kpis.add_metric([kpi, name], 1)
    yield kpis
    units = GaugeMetricFamily(
        "childcare_unit_info", "Chinese name of each responsible unit id (责任单位名称)", labels=["unit", "name_zh"]
    )
    for unit, name in UNIT_NAMES_ZH.items():
        units.add_metric([unit, name], 1)
    yield units
    categories = GaugeMetricFamily(
        "childcare_incident_category_info",
        "Chinese name of each incident category (安全事件类别)",
        labels=["category", "name_zh"],
    )
    for category in INCIDENT_CATEGORIES:
        categories.add_metric([category, INCIDENT_CATEGORY_NAMES_ZH[category]], 1)
    yield categories


def metrics_registry(collector: Collector) -> CollectorRegistry:
    """A collector's metrics (the contract's, a worker's, the relay's) plus the client's process,
    platform and GC metrics."""
    registry = CollectorRegistry(auto_describe=False)
    for standard in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(standard)
    registry.register(collector)
    return registry
