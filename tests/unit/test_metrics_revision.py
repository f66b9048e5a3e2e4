"""The metrics of kpis.md's revision of 2026-11-30: names and labels exactly as the contract
says, values from the snapshot, and the Faust workers exporting, summed over workers, the very
series the service exports."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.builders import (
    closed,
    fee_cap,
    filed,
    graded,
    guidance,
    incident,
    inspection,
    population,
    record,
    resolved,
    staff,
    target,
)
from tests.support.builders import in_memory_app as memory_registry
from tuoyu.domain.catalogue import DISTRICT, TOWNSHIP_IDS
from tuoyu.metrics.collectors import KpiCollector, metrics_registry
from tuoyu.projections.facts import SHANGHAI
from tuoyu.projections.snapshot import build_snapshot
from tuoyu.streams.worker_metrics import WorkerCollector, summary_of, worker_snapshot
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import fold_all

NOW = datetime(2025, 3, 1, 12, tzinfo=SHANGHAI)
KPIS_MD = Path(__file__).resolve().parents[2] / "docs" / "spec" / "kpis.md"  # equal to ../shared (a test)
# kpis.md, "Supervision, safety and the plan's other figures", "Metrics" (checked against the
# file itself below when it is beside this checkout).
REVISION_METRICS = {
    "childcare_slots_by_kind": ("township", "kind", "inclusive"),
    "childcare_institutions_by_risk": ("township", "risk"),
    "childcare_institutions_by_credit": ("township", "credit"),
    "childcare_high_risk_uninspected": ("township",),
    "childcare_inspected_institutions": ("township",),
    "childcare_assessed_institutions": ("township",),
    "childcare_quality_score_sum": ("township", "dimension"),
    "childcare_quality_score_count": ("township", "dimension"),
    "childcare_failed_inspection_institutions": ("township",),
    "childcare_incidents_open": ("township", "category", "severity"),
    "childcare_health_staff": ("township",),
    "childcare_new_institutions_without_health_training": ("township",),
    "childcare_inclusive_fee_yuan_sum": ("township",),
    "childcare_inclusive_fee_yuan_count": ("township",),
    "childcare_inclusive_over_cap": ("township",),
    "childcare_inclusive_fee_cap_yuan": (),
    "childcare_guidance_activities_year": ("format",),
    "childcare_population": ("scope",),
    "childcare_target_actual_at_due": ("scope", "kpi"),
    "childcare_target_responsible": ("scope", "kpi", "unit"),
}

HISTORY = [
    filed(
        "KG",
        township="dayu",
        kind="kindergarten_class",
        slots=40,
        inclusive=True,
        monthly_fee_yuan=2500,
        occurred_at="2024-03-01T09:00:00+08:00",
    ),
    filed(
        "PR",
        township="yongding",
        kind="private",
        slots=60,
        inclusive=True,
        monthly_fee_yuan=1800,
        occurred_at="2024-03-01T09:00:00+08:00",
    ),
    filed(
        "CM",
        township="chengzi",
        kind="community",
        slots=20,
        inclusive=True,
        monthly_fee_yuan=2600,
        occurred_at="2024-03-01T09:00:00+08:00",
    ),
    graded("KG", risk="high", credit="C"),
    staff("PR", 8, 6, health_staff=2),
    inspection(
        "PR",
        "I-1",
        outcome="fail",
        kind="quality_assessment",
        scores={"safety": 55, "health": 70},
        occurred_at="2025-01-10T09:00:00+08:00",
    ),
    incident("KG", "F-1", category="food_safety", severity="serious", occurred_at="2025-02-01T09:00:00+08:00"),
    incident("PR", "P-1", category="personal_safety", severity="general", occurred_at="2025-02-01T09:00:00+08:00"),
    resolved("PR", "P-1", occurred_at="2025-02-03T09:00:00+08:00"),
    guidance(40, format="offline", township="dayu", occurred_at="2025-02-05T09:00:00+08:00"),
    guidance(90, format="online", occurred_at="2025-02-06T09:00:00+08:00"),
    population("district", 2024, 400_000),
    population("dayu", 2024, 80_000),
    fee_cap(2400, "2025-01-01", occurred_at="2024-12-20T09:00:00+08:00"),
    target(
        "district",
        "new_slots",
        100,
        start="2024-01-01",
        due="2024-12-31",
        responsible=["health_commission", "education_commission"],
    ),
    target("dayu", "slots_total", 50, start="2024-01-01", due="2025-12-31"),
    *(
        target(scope, kpi, 1, start="2024-01-01", due="2024-12-31")
        for scope in ("district", "yongding", "dayu")
        for kpi in (
            "inspected_share",
            "assessed_share",
            "slots_per_1000",
            "offline_guidance_activities",
            "kindergarten_new_inclusive_slots",
            "new_inclusive_slots",
        )
    ),
    closed("CM", emergency=False, occurred_at="2025-02-10T09:00:00+08:00"),
]


@pytest.fixture(scope="module")
def view():
    with memory_registry(NOW) as app:
        record(app, *HISTORY)
        return fold_all(read_facts(app.recorder))[0]


def scrape(collector) -> dict[str, list[tuple[dict[str, str], float]]]:
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    text = generate_latest(metrics_registry(collector)).decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return samples


def service_samples(view) -> dict:
    snapshot = build_snapshot(view, NOW, NOW)
    return scrape(KpiCollector(lambda: snapshot, lambda: (0, {})))


def value(samples, name: str, **labels: str) -> float:
    [found] = [v for got, v in samples[name] if got == labels]
    return found


def test_the_metric_table_of_this_test_is_the_one_of_kpis_md():
    section = KPIS_MD.read_text(encoding="utf-8").split("## Supervision, safety", 1)[1].split("### Metrics", 1)[1]
    table = {}
    for line in section.split("\n### ", 1)[0].splitlines():
        if line.startswith("| `childcare_"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            labels = tuple(re.sub(r"\s*\(.*\)", "", label).strip() for label in cells[1].split(",") if label.strip())
            for name in re.findall(r"`(childcare_\w+)`", cells[0]):
                table[name] = labels
    assert table == REVISION_METRICS


def test_the_service_exports_every_metric_of_the_revision_with_exactly_its_labels(view):
    samples = service_samples(view)
    for name, labels in REVISION_METRICS.items():
        assert name in samples, f"{name} is not exported"
        for got, _ in samples[name]:
            assert tuple(sorted(got)) == tuple(sorted(labels)), f"{name}: {got}"


def test_the_exported_values_are_the_snapshots_figures(view):
    samples = service_samples(view)
    assert value(samples, "childcare_slots_by_kind", township="dayu", kind="kindergarten_class", inclusive="true") == 40
    assert value(samples, "childcare_slots_by_kind", township="dayu", kind="kindergarten_class", inclusive="false") == 0
    assert value(samples, "childcare_institutions_by_risk", township="dayu", risk="high") == 1
    assert value(samples, "childcare_institutions_by_credit", township="yongding", credit="ungraded") == 1
    assert value(samples, "childcare_high_risk_uninspected", township="dayu") == 1
    assert value(samples, "childcare_assessed_institutions", township="yongding") == 1
    assert value(samples, "childcare_inspected_institutions", township="yongding") == 0  # an assessment, no visit
    assert value(samples, "childcare_quality_score_sum", township="yongding", dimension="safety") == 55
    assert value(samples, "childcare_quality_score_count", township="yongding", dimension="management") == 0
    assert value(samples, "childcare_failed_inspection_institutions", township="yongding") == 1
    assert value(samples, "childcare_incidents_open", township="dayu", category="food_safety", severity="serious") == 1
    assert len(samples["childcare_incidents_open"]) == 13 * 5 * 3  # every township, category and severity
    assert sum(v for _, v in samples["childcare_incidents_open"]) == 1  # P-1 is resolved
    assert value(samples, "childcare_health_staff", township="yongding") == 2
    assert value(samples, "childcare_inclusive_fee_yuan_sum", township="dayu") == 2500
    assert value(samples, "childcare_inclusive_fee_yuan_count", township="chengzi") == 0  # CM closed
    assert value(samples, "childcare_inclusive_over_cap", township="dayu") == 1  # 2500 > 2400
    assert value(samples, "childcare_inclusive_over_cap", township="yongding") == 0
    assert value(samples, "childcare_inclusive_fee_cap_yuan") == 2400
    assert value(samples, "childcare_guidance_activities_year", format="offline") == 1
    assert value(samples, "childcare_guidance_activities_year", format="online") == 1
    assert {got["scope"]: v for got, v in samples["childcare_population"]} == {"district": 400_000, "dayu": 80_000}
    assert value(samples, "childcare_target_actual_at_due", scope="district", kpi="new_slots") == 120
    past_due = {(got["scope"], got["kpi"]) for got, _ in samples["childcare_target_actual_at_due"]}
    assert ("dayu", "slots_total") not in past_due and len(past_due) == 1 + 3 * 6  # every 2024 target, only they
    assert [got["unit"] for got, _ in samples["childcare_target_responsible"]] == [
        "health_commission",
        "education_commission",
    ]


def test_no_cap_in_force_exports_no_cap_series():
    snapshot = build_snapshot(fold_all([])[0], NOW, NOW)
    assert "childcare_inclusive_fee_cap_yuan" not in scrape(KpiCollector(lambda: snapshot, lambda: (0, {})))


def _worker_samples(view, keys: set[str]) -> dict:
    owned = {key: view[key] for key in keys}
    summaries = {t: summary_of(view[t]) for t in TOWNSHIP_IDS}
    snapshot = worker_snapshot(owned, summaries, NOW)
    return scrape(WorkerCollector(lambda: snapshot, lambda: []))


@pytest.mark.parametrize("district_with", ["dayu", "yongding"])
def test_two_workers_together_export_each_new_series_of_the_service_exactly_once(view, district_with):
    first = {DISTRICT, district_with, "chengzi"}
    second = set(TOWNSHIP_IDS) - first
    workers = [_worker_samples(view, first), _worker_samples(view, second | ({DISTRICT} - first))]
    expected = service_samples(view)
    for name in REVISION_METRICS:
        summed: dict[tuple, float] = {}
        for samples in workers:
            for labels, got in samples.get(name, []):
                key = tuple(sorted(labels.items()))
                summed[key] = summed.get(key, 0) + got
        assert summed == {tuple(sorted(labels.items())): got for labels, got in expected.get(name, [])}, name


@pytest.mark.parametrize("later", [NOW, datetime(2026, 2, 1, tzinfo=SHANGHAI)])
def test_the_worker_owning_the_district_evaluates_every_target_as_the_service_does(view, later):
    """From the summaries of the townships it does not own, also when the clock has moved on
    since they were published (a new year: inspected_share counts again from zero)."""
    owned = {DISTRICT: view[DISTRICT], "dayu": view["dayu"]}
    summaries = {t: summary_of(view[t]) for t in TOWNSHIP_IDS}
    assert worker_snapshot(owned, summaries, later)["targets"] == build_snapshot(view, later, later)["targets"]
