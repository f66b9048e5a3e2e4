"""The wall page's public JSON (GET /api/wall), the pages themselves and the alerts they show,
in-process against each store. The pages in a real browser: tests/browser/."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from tests.support.builders import closed, enrolled, filed, staff, target
from tuoyu.alerts.config import packaged_config
from tuoyu.contracts import units_document
from tuoyu.dashboards.subsystems import SUBSYSTEMS
from tuoyu.domain.catalogue import INCIDENT_CATEGORIES, INCIDENT_SEVERITIES, RATIO_KPIS, TARGET_KPIS
from tuoyu.service.http.app import create_app
from tuoyu.service.http.pages import ALERT_NAMES_ZH
from tuoyu.service.prometheus_alerts import FiringAlerts, firing_alerts

PROMETHEUS_ALERTS = {
    "status": "success",
    "data": {
        "alerts": [
            {
                "labels": {
                    "alertname": "RectificationOverdue",
                    "severity": "warning",
                    "township": "dayu",
                    "team": "health-commission",
                },
                "annotations": {
                    "summary": "大峪街道有逾期整改",
                    "description": "2 项整改逾期",
                    "runbook_url": "http://x/runbook",
                },
                "state": "firing",
                "activeAt": "2026-11-28T10:00:00Z",
                "value": "2e+00",
            },
            {
                "labels": {
                    "alertname": "TargetBehindPace",
                    "severity": "warning",
                    "scope": "district",
                    "kpi": "slots_total",
                },
                "annotations": {"summary": "进度落后"},
                "state": "pending",
                "activeAt": "2026-11-28T11:00:00Z",
            },
            {
                "labels": {"alertname": "EmergencyClosureOpen", "severity": "critical", "township": "qingshui"},
                "annotations": {"summary": "应急关停：清水镇"},
                "state": "firing",
                "activeAt": "2026-11-28T12:00:00Z",
            },
        ]
    },
}


@pytest.fixture
def prometheus():
    """A stand-in for Prometheus's /api/v1/alerts on loopback: `prometheus.url`, `prometheus.hits`."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = json.dumps(PROMETHEUS_ALERTS).encode()
            self.send_response(200 if self.path == "/api/v1/alerts" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url, server.hits = f"http://127.0.0.1:{server.server_port}", hits
    yield server
    server.shutdown()
    server.server_close()


def wall(api) -> dict:
    response = api.client.get("/api/wall")  # no token
    assert response.status_code == 200, response.text
    return response.json()


def test_the_wall_json_is_public_and_its_snapshot_is_the_one_of_api_kpi(api):
    api.client.post(
        "/api/events",
        headers=api.headers("admin"),
        json=[
            filed("A", slots=30, inclusive=True),
            enrolled("A", 12),
            staff("A", 6, 5),
            filed("B", slots=10, township="yanchi"),
            target("district", "slots_total", 100),
        ],
    ).raise_for_status()
    api.wait_for_view()
    body = wall(api)
    assert body["snapshot"] == api.client.get("/api/kpi", headers=api.headers("auditor")).json()
    assert body["snapshot"]["district"]["slots_total"] == 40
    assert body["generated_at"].endswith("+08:00")


def test_the_wall_json_has_no_personal_data_or_institution_details(api):
    secret = "张三 13800000000"
    api.client.post(
        "/api/events",
        headers=api.headers("admin"),
        json=[filed("SECRET-ID", slots=30, operator=secret), enrolled("SECRET-ID", 3)],
    ).raise_for_status()
    api.wait_for_view()
    text = api.client.get("/api/wall").text
    assert "SECRET-ID" not in text and secret not in text and "托育点" not in text


def test_slots_over_time_sums_the_daily_changes_of_every_township(api):
    api.client.post(
        "/api/events",
        headers=api.headers("admin"),
        json=[
            filed("A", slots=30, inclusive=True, occurred_at="2024-03-01T09:00:00+08:00"),
            filed("B", slots=10, township="qingshui", occurred_at="2024-03-01T10:00:00+08:00"),
            filed("C", slots=5, township="yanchi", occurred_at="2024-05-02T09:00:00+08:00"),
            closed("B", occurred_at="2024-06-01T09:00:00+08:00"),
        ],
    ).raise_for_status()
    api.wait_for_view()
    assert wall(api)["history"] == [
        {"date": "2024-03-01", "slots_total": 40, "slots_inclusive": 30},
        {"date": "2024-05-02", "slots_total": 45, "slots_inclusive": 30},
        {"date": "2024-06-01", "slots_total": 35, "slots_inclusive": 30},
    ]


def test_without_prometheus_the_wall_says_alerting_is_not_running(api):
    alerts = wall(api)["alerts"]
    assert alerts["available"] is False and alerts["firing"] == [] and "TUOYU_PROMETHEUS_URL" in alerts["error"]


def test_an_unreachable_prometheus_is_reported_not_raised():
    from tests.support.ports import free_port

    alerts = FiringAlerts(f"http://127.0.0.1:{free_port()}").current()
    assert alerts["available"] is False and "not reachable" in alerts["error"]


def test_the_wall_shows_prometheus_firing_alerts_most_severe_first(api, prometheus):
    with TestClient(create_app(api.platform, prometheus_url=prometheus.url)) as client:
        alerts = client.get("/api/wall").json()["alerts"]
        client.get("/api/wall")
    assert alerts["available"] is True
    assert [a["labels"]["alertname"] for a in alerts["firing"]] == ["EmergencyClosureOpen", "RectificationOverdue"]
    assert alerts["firing"][1] == {
        "labels": {"alertname": "RectificationOverdue", "severity": "warning", "township": "dayu"},
        "summary": "大峪街道有逾期整改",
        "description": "2 项整改逾期",
        "active_at": "2026-11-28T10:00:00Z",
    }
    assert prometheus.hits == ["/api/v1/alerts"], "a second read within seconds is served from the cache"


def test_firing_alerts_ignore_what_is_not_an_alert():
    assert firing_alerts([None, "x", {"state": "firing"}, {"state": "inactive", "labels": {}}]) == [
        {"labels": {}, "summary": "", "description": "", "active_at": None}
    ]


def test_every_alert_of_the_catalogue_has_a_chinese_name_on_the_wall():
    assert set(ALERT_NAMES_ZH) == {alert.name for s in SUBSYSTEMS for alert in s.alerts(packaged_config())}


def test_the_wall_names_every_responsible_unit_kpi_and_incident_category_in_chinese(api):
    html = api.client.get("/").text
    opening = '<script type="application/json" id="config">'
    start = html.index(opening) + len(opening)
    config = json.loads(html[start : html.index("</script>", start)])
    assert config["units_zh"] == {u["id"]: u["name_zh"] for u in units_document()["units"]}
    assert set(config["kpis_zh"]) == set(TARGET_KPIS)
    assert set(config["incident_categories_zh"]) == set(INCIDENT_CATEGORIES)
    assert set(config["incident_severities_zh"]) == set(INCIDENT_SEVERITIES)
    assert set(config["ratio_kpis"]) == RATIO_KPIS and config["decimal_kpis"] == ["slots_per_1000"]
    for name in ("wall-figure.js", "wall-supervision.js", "wall-targets.js"):
        assert api.client.get(f"/static/{name}").headers["content-type"].startswith("text/javascript")


def test_the_pages_are_html_with_a_policy_that_keeps_them_on_the_service(api):
    for path in ("/", "/map"):
        response = api.client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "connect-src 'self'" in policy and "script-src 'self'" in policy
        assert '<script type="application/json" id="config">' in response.text and "http://" not in response.text
    for name, media in (("wall.js", "text/javascript"), ("map.js", "text/javascript"), ("theme.css", "text/css")):
        response = api.client.get(f"/static/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    # Encoded, so that the client sends the dots as they are (httpx would normalise "../").
    for sneaky in ("%2e%2e%2fpages.py", "..%2Fpages.py", "%2e%2e/%2e%2e/service/config.py", "wall.html"):
        response = api.client.get(f"/static/{sneaky}")
        assert response.status_code == 404 and "def " not in response.text, sneaky
    assert api.client.get("/static/nothing.js").status_code == 404


def test_a_configured_tile_server_is_allowed_for_images_of_the_map_only(api):
    with TestClient(create_app(api.platform, map_tile_url="https://tiles.example.org/{z}/{x}/{y}.png")) as client:
        page = client.get("/map")
        assert "img-src 'self' data: https://tiles.example.org;" in page.headers["content-security-policy"]
        assert "https://tiles.example.org/{z}/{x}/{y}.png" in page.text
        assert "tiles.example.org" not in client.get("/").headers["content-security-policy"]


def test_without_the_embedded_projector_the_wall_reads_a_replay_of_the_store(store_settings):
    """The distributed deployment: no live view in the API process; the wall still has its figures."""
    from tuoyu.service.tokens import create_token
    from tuoyu.service.wiring import open_platform

    platform = open_platform(store_settings, project=False)
    headers = {"Authorization": f"Bearer {create_token(platform.tokens, 'admin')[1]}"}
    try:
        with TestClient(create_app(platform)) as client:
            client.post(
                "/api/events",
                headers=headers,
                json=[filed("A", slots=20, inclusive=True, occurred_at="2024-01-02T09:00:00+08:00")],
            ).raise_for_status()
            body = client.get("/api/wall").json()
            assert body["snapshot"]["district"]["slots_total"] == 20
            assert body["history"] == [{"date": "2024-01-02", "slots_total": 20, "slots_inclusive": 20}]
    finally:
        platform.close()
