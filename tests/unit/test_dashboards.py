"""The Grafana dashboards as code: committed JSON, layout, datasource, thresholds, the map and
every panel's PromQL (parsed by promtool, metrics checked against what the platform exports)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import promql_parser
import pytest
import yaml

from tuoyu import clock
from tuoyu.dashboards import dashboards
from tuoyu.dashboards.geomap import GAZETTEER_PATH, gazetteer
from tuoyu.dashboards.panels import DATASOURCE_UID
from tuoyu.dashboards.promql import plan_target
from tuoyu.dashboards.queries import panel_queries, variable_queries
from tuoyu.domain.catalogue import TOWNSHIP_IDS, TOWNSHIPS
from tuoyu.metrics.collectors import KpiCollector, metrics_registry
from tuoyu.projections.snapshot import build_snapshot, new_view
from tuoyu.streams.relay_metrics import RelayCollector
from tuoyu.streams.worker_metrics import WorkerCollector

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = dashboards()
QUERIES = [q for d in DASHBOARDS.values() for q in panel_queries(d)]
A_TOWNSHIP = {"township": TOWNSHIP_IDS[0]}
# Series Prometheus itself makes (the alert states, each scrape's health), and the one series of
# Alertmanager the self-monitoring reads (Prometheus scrapes Alertmanager in both deployments).
PROMETHEUS_SERIES = {"ALERTS", "up", "scrape_duration_seconds", "alertmanager_notifications_failed_total"}


def exported_metrics() -> set[str]:
    """Every series name the service, the workers and the relay export."""
    now = clock.now()
    snapshot = lambda: {**build_snapshot(new_view(), now, now), "open_closures": []}  # noqa: E731
    relay = SimpleNamespace(acknowledged=0, published_total=0, failed_rounds=0, last_success_at=0.0)
    names: set[str] = set()
    for collector in (
        KpiCollector(snapshot, lambda: (0, {"embedded": 0})),
        WorkerCollector(snapshot, lambda: [], lambda: (0, 0)),
        RelayCollector(relay),
    ):
        registry = metrics_registry(collector)
        names |= {sample.name for family in registry.collect() for sample in family.samples}
        names |= {family.name for family in registry.collect()}
    return names


def recording_rules() -> set[str]:
    names = set()
    for path in (ROOT / "alerts" / "generated" / "rules").glob("*.rules.yml"):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            names |= {rule["record"] for rule in group["rules"] if "record" in rule}
    return names


def metrics_read(expr: str) -> list[str | None]:
    names: list[str | None] = []

    def visit(node) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            names.append(node.name)

    promql_parser.walk(promql_parser.parse(expr), pre_visit=visit)
    return names


def test_there_are_five_dashboards_with_fixed_uids_chinese_titles_and_a_30s_refresh():
    titles = {d["uid"]: d["title"] for d in DASHBOARDS.values()}
    assert titles == {
        "tuoyu-overview": "托育服务总览",
        "tuoyu-township": "镇街详情",
        "tuoyu-supervision": "监督管理",
        "tuoyu-closures": "应急关停",
        "tuoyu-pipeline": "数据管道",
    }
    for name, document in DASHBOARDS.items():
        assert name == f"{document['uid']}.json"
        assert document["refresh"] == "30s" and document["schemaVersion"] >= 39


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_panel_reads_the_provisioned_prometheus_by_its_fixed_uid(name):
    provisioned = yaml.safe_load((ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert [d["uid"] for d in provisioned["datasources"]] == [DATASOURCE_UID]
    for panel in DASHBOARDS[name]["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": DATASOURCE_UID}, panel["title"]
        assert all(t["datasource"]["uid"] == DATASOURCE_UID for t in panel["targets"]), panel["title"]


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_panels_fill_the_24_column_wall_without_overlapping(name):
    taken: dict[tuple[int, int], str] = {}
    for panel in DASHBOARDS[name]["panels"]:
        g = panel["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= 24, panel["title"]
        assert g["h"] >= 5, f"{panel['title']} is too low to read on a wall"
        for cell in ((x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])):
            assert cell not in taken, f"{panel['title']} overlaps {taken[cell]}"
            taken[cell] = panel["title"]


def test_the_overview_fits_one_1080p_screen_in_kiosk_mode():
    # A grid row is 30 px plus an 8 px margin: 27 rows are about 1,030 px, the whole wall
    # without scrolling; the township table's 13 small rows (36 px) fit its 15 rows.
    panels = DASHBOARDS["tuoyu-overview.json"]["panels"]
    assert max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels) <= 27
    table = next(p for p in panels if p["title"].startswith("镇街托位"))
    assert table["options"]["cellHeight"] == "sm"
    assert 13 * 36 + 36 + 32 <= table["gridPos"]["h"] * 38 - 8  # rows, header, title


def test_the_wall_numbers_turn_green_at_the_plans_targets():
    stats = {p["title"]: p for p in DASHBOARDS["tuoyu-overview.json"]["panels"] if p["type"] == "stat"}
    for title, kpi in (
        ("全区托位数", "slots_total"),
        ("新增托位", "new_slots"),
        ("普惠托位占比", "inclusive_share"),
        ("普惠镇街覆盖率", "inclusive_coverage"),
        ("保育人员持证率", "certified_share"),
        ("机构负责人培训", "heads_trained"),
        ("保育人员培训", "caregivers_trained"),
    ):
        panel = next(p for t, p in stats.items() if t.startswith(title))
        steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert steps == [{"value": None, "color": "red"}, {"value": plan_target(kpi), "color": "green"}], title
        assert plan_target(kpi) is not None


def test_the_map_places_every_township_at_its_centroid_through_the_gazetteer():
    places = {p["key"]: (p["latitude"], p["longitude"]) for p in gazetteer()}
    assert places == {t.id: (t.lat, t.lon) for t in TOWNSHIPS}
    geomap = next(p for p in DASHBOARDS["tuoyu-overview.json"]["panels"] if p["type"] == "geomap")
    layer = geomap["options"]["layers"][0]
    assert layer["location"] == {"mode": "lookup", "lookup": "镇街", "gazetteer": GAZETTEER_PATH}
    assert layer["config"]["style"]["size"]["field"] == "托位数"
    assert layer["config"]["style"]["color"]["field"] == "状态"
    renamed = [t for t in geomap["transformations"] if t["id"] == "organize"][0]["options"]["renameByName"]
    assert renamed == {"township": "镇街", "Value #A": "托位数", "Value #B": "状态"}


def test_the_township_dashboard_chooses_among_the_townships_prometheus_has():
    assert list(variable_queries(DASHBOARDS["tuoyu-township.json"])) == [
        ("township", "label_values(childcare_slots, township)")
    ]
    assert all("$township" in q.expr for q in QUERIES if q.dashboard == "tuoyu-township")


def test_every_panel_query_parses(tmp_path):
    """promtool, Prometheus's own parser: each query becomes a recording rule of a scratch file."""
    checks = [
        {"record": f"dashboard:query_{index}:check", "expr": q.resolved(A_TOWNSHIP)} for index, q in enumerate(QUERIES)
    ]
    rules = {"groups": [{"name": "dashboards", "rules": checks}]}
    scratch = tmp_path / "dashboards.rules.yml"
    scratch.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    check = subprocess.run(["promtool", "check", "rules", str(scratch)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"SUCCESS: {len(QUERIES)} rules found" in check.stdout


def test_every_panel_query_reads_only_exported_metrics_and_recording_rules():
    known = exported_metrics() | recording_rules() | PROMETHEUS_SERIES
    assert "childcare_slots" in known and "district:childcare_slots:sum" in known  # the lists are not empty
    for q in QUERIES:
        for metric in metrics_read(q.resolved(A_TOWNSHIP)):
            assert metric in known, f"{q.name} reads {metric!r}, which nothing exports"


def test_the_metric_check_sees_through_functions_and_subqueries():
    assert metrics_read('deriv(max(a)[5m:]) + rate(b{x="y"}[1m]) or on () label_replace(-c, "d", "e", "f", "g")') == [
        "a",
        "b",
        "c",
    ]
    assert metrics_read('{__name__="hidden"}') == [None]


def test_the_json_is_plain_data_grafana_accepts():
    for document in DASHBOARDS.values():
        assert json.loads(json.dumps(document)) == document
        ids = [p["id"] for p in document["panels"]]
        assert ids == list(range(1, len(ids) + 1)), "panel ids are fixed so that links to a panel stay valid"
