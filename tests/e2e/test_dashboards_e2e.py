"""Every dashboard query returns data from the real Prometheus scraping the real service.

The service records the seeded demo history of Mentougou; Prometheus scrapes it every second
and evaluates the project's rules every second (the e2e harness's fast tunables). Each panel
query is then sent as Grafana would send it (variables substituted, instant or range) through
Prometheus's HTTP API. A panel allowed to be empty here is declared below with the reason.
"""

from __future__ import annotations

import json
import subprocess
import time

import httpx
import pytest

from tests.e2e.harness import TUOYU, fast_tunables, running_service
from tests.support.demo import DEMO_NOW, DEMO_TODAY
from tuoyu.dashboards import dashboards
from tuoyu.dashboards.queries import (
    PanelQuery,
    label_values_selector,
    panel_queries,
    variable_queries,
)
from tuoyu.domain.catalogue import TOWNSHIP_IDS
from tuoyu.service.alerting import (
    ALERTMANAGER_BINARIES,
    PROMETHEUS_BINARIES,
    find_binary,
)

EMPTY_WITH_THE_DEMO = {
    "tuoyu-pipeline/工作进程位置（按实例）/A": "no Faust worker runs here (the service's embedded projector "
    "keeps the view); the job tuoyu-workers exists only in the docker-compose deployment",
    "tuoyu-pipeline/工作进程应用事实（每秒）/A": "no Faust worker runs here (see above)",
    "tuoyu-pipeline/中继滞后（事件）/A": "no relay runs here: the embedded default has no Kafka; the job "
    "tuoyu-relay exists only in the docker-compose deployment",
    "tuoyu-pipeline/中继失败轮次（每分钟）/A": "no relay runs here (see above)",
    "tuoyu-supervision/检查与质量评估覆盖率（对照目标）/C": "the demo sets no target on inspected_share "
    "(docs/decisions.md, DM8: none on shares); a TargetSet on it draws the line",
    "tuoyu-supervision/检查与质量评估覆盖率（对照目标）/D": "nor on assessed_share (see above)",
}
QUERIES = [q for d in dashboards().values() for q in panel_queries(d)]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A Prometheus client scraping the demo served for real, and the replayed snapshot of its store."""
    if not (find_binary(PROMETHEUS_BINARIES) and find_binary(ALERTMANAGER_BINARIES)):
        pytest.fail(
            "Prometheus and Alertmanager are needed: `make test` installs Debian's packages "
            "prometheus and prometheus-alertmanager"
        )
    # The demo as of a fixed day, served on that day: the figures never depend on when tests run.
    with running_service(tmp_path_factory.mktemp("dashboards"), alerting=fast_tunables(), now=DEMO_NOW) as (
        service,
        stack,
    ):
        subprocess.run(
            [TUOYU, "demo", "--today", DEMO_TODAY.isoformat()],
            env=service.env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        with httpx.Client(base_url=stack.prometheus_url, timeout=10) as client:
            service.wait_until(lambda: _scraped_every_township(client), timeout=30)
            snapshot = replayed(service.env)
            SHOWN["township"] = next(t for t, f in snapshot["townships"].items() if f["emergency_closures_open"])
            yield client, snapshot


@pytest.fixture(scope="module")
def prometheus(served) -> httpx.Client:
    return served[0]


def replayed(env: dict[str, str]) -> dict:
    """The snapshot of the same store on the same day, from a replay (`tuoyu replay --json`)."""
    out = subprocess.run([TUOYU, "replay", "--json"], env=env, check=True, capture_output=True, timeout=60)
    return json.loads(out.stdout)


def _scraped_every_township(client: httpx.Client) -> bool:
    """Prometheus has scraped the demo's figures of every township"""
    result = client.get("/api/v1/query", params={"query": "count(childcare_slots > 0)"}).json()["data"]["result"]
    return bool(result) and result[0]["value"][1] == str(len(TOWNSHIP_IDS))


# The township page is checked for the township of the demo's open emergency closure, so that
# every panel has data (tests.support.demo builds the demo on a fixed day; the replay says where).
SHOWN: dict[str, str] = {}


def series(client: httpx.Client, q: PanelQuery) -> list:
    expr = q.resolved({"township": SHOWN["township"]})
    if q.instant:
        answer = client.get("/api/v1/query", params={"query": expr})
    else:
        now = time.time()
        answer = client.get("/api/v1/query_range", params={"query": expr, "start": now - 60, "end": now, "step": 2})
    assert answer.status_code == 200, f"{q.name}: {answer.text}"
    return answer.json()["data"]["result"]


def wait_for_every_panel(client: httpx.Client, timeout: float = 45.0) -> dict[str, list]:
    """Poll until every panel not declared empty has data (the first scrapes, rule evaluations
    and alert `for` periods take a few seconds), or the timeout; returns the last answers."""
    deadline = time.monotonic() + timeout
    while True:
        answers = {q.name: series(client, q) for q in QUERIES}
        waiting = [name for name, result in answers.items() if not result and name not in EMPTY_WITH_THE_DEMO]
        if not waiting or time.monotonic() > deadline:
            return answers
        time.sleep(1)


def test_the_township_variable_lists_every_township(prometheus):
    for name, query in variable_queries(dashboards()["tuoyu-township.json"]):
        selector, label = label_values_selector(query)
        values = prometheus.get(f"/api/v1/label/{label}/values", params={"match[]": selector}).json()["data"]
        assert sorted(values) == sorted(TOWNSHIP_IDS), name


def test_every_panel_query_returns_data_from_prometheus(prometheus):
    answers = wait_for_every_panel(prometheus)
    empty = sorted(name for name, result in answers.items() if not result and name not in EMPTY_WITH_THE_DEMO)
    assert not empty, f"no data for: {empty}"
    assert len(answers) == len(QUERIES) > 50


def test_the_panels_declared_empty_are_empty_and_exist(prometheus):
    """A declaration that no longer holds (the panel now has data, or is gone) must be removed."""
    by_name = {q.name: q for q in QUERIES}
    for name, reason in EMPTY_WITH_THE_DEMO.items():
        assert name in by_name, f"{name} is declared empty but no such panel query exists"
        assert series(prometheus, by_name[name]) == [], f"{name} has data now: remove it ({reason})"


def expected_status(snapshot: dict, township: str) -> str:
    """The map's colour of a township, from a replay: 2 an open emergency closure; 1 below the
    floor after its due date, or overdue rectifications; 0 otherwise."""
    figures = snapshot["townships"][township]
    floor = next((t for t in snapshot["targets"] if t["scope"] == township and t["kpi"] == "township_min_slots"), None)
    if figures["emergency_closures_open"]:
        return "2"
    below = floor is not None and floor["status"] == "missed"
    return "1" if below or figures["rectifications_overdue"] else "0"


def test_the_wall_shows_the_demo_figures(served):
    client, snapshot = served

    def value(expr: str) -> float:
        return float(client.get("/api/v1/query", params={"query": expr}).json()["data"]["result"][0]["value"][1])

    assert value("district:childcare_slots:sum") == snapshot["district"]["slots_total"]
    assert (
        value("district:childcare_emergency_closures_open:sum") == snapshot["district"]["emergency_closures_open"] == 1
    )
    status = {
        r["metric"]["township"]: r["value"][1]
        for r in client.get(
            "/api/v1/query", params={"query": next(q.expr for q in QUERIES if q.panel == "镇街分布" and q.ref == "B")}
        ).json()["data"]["result"]
    }
    assert status == {t: expected_status(snapshot, t) for t in TOWNSHIP_IDS}
    assert set(status.values()) == {"0", "1", "2"}  # the demo shows every colour


def test_the_supervision_dashboard_and_the_past_targets_show_the_demo_figures(served):
    client, snapshot = served

    def values(expr: str, label: str | None = None) -> dict:
        result = client.get("/api/v1/query", params={"query": expr}).json()["data"]["result"]
        return {(r["metric"].get(label) if label else None): float(r["value"][1]) for r in result}

    district = snapshot["district"]
    assert values("district:childcare_inspected_institutions:ratio")[None] == pytest.approx(
        district["inspected_share"], abs=1e-4
    )
    assert values("district:childcare_assessed_institutions:ratio")[None] == pytest.approx(
        district["assessed_share"], abs=1e-4
    )
    means = values("district:childcare_quality_score:mean", "dimension")
    assert means == pytest.approx({d: m for d, m in district["quality_scores"].items() if m is not None}, abs=1e-3)
    for record, figure in (
        ("district:childcare_high_risk_uninspected:sum", "high_risk_uninspected"),
        ("district:childcare_new_institutions_without_health_training:sum", "new_without_health_training"),
        ("district:childcare_inclusive_over_cap:sum", "inclusive_over_cap"),
        ("sum(district:childcare_incidents_open:sum)", "incidents_open"),
    ):
        assert values(record)[None] == district[figure], record
    # The demo's stories (docs/decisions.md, DM1): each supervision warning has something to say.
    assert district["high_risk_uninspected"] >= 1 and district["new_without_health_training"] >= 1
    assert district["inclusive_over_cap"] >= 1 and district["incidents_open"] >= 1
    # The overview's past targets: the outcome at due and the units, as the replay judges them.
    outcome = values(
        'max by (kpi) (childcare_target_actual_at_due{scope="district"}) >= bool on (kpi) '
        'max by (kpi) (childcare_target_value{scope="district"})',
        "kpi",
    )
    past = {t["kpi"]: t for t in snapshot["targets"] if t["scope"] == "district" and t["outcome"] is not None}
    assert outcome == {kpi: float(t["outcome"] == "met") for kpi, t in past.items()}
    units = client.get("/api/v1/query", params={"query": 'childcare_target_info{scope="district"}'}).json()
    named = {r["metric"]["kpi"]: r["metric"]["responsible_zh"] for r in units["data"]["result"]}
    assert named["kindergarten_new_inclusive_slots"] == "区教委"
    assert named["heads_trained"] == "区卫生健康委、区教委、区人力社保局"  # lead unit first
