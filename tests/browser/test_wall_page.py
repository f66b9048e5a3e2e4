"""The wall page (GET /) in Debian's chromium against the demo district served for real: what it
shows equals /api/kpi, it updates itself, it says when it is cut off, it shows Prometheus's alerts."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.browser.conftest import open_page
from tests.browser.live import serving
from tuoyu.domain.catalogue import TOWNSHIP_IDS, UNIT_NAMES_ZH
from tuoyu.service.http.app import create_app

pytestmark = pytest.mark.browser
FAST = "/?refresh=1"  # poll every second instead of every 10 s
# What the wall must show (kpis.md figures of the live view); each with a data-path.
REQUIRED = {
    "district.slots_total",
    "district.slots_inclusive",
    "district.inclusive_share",
    "district.inclusive_coverage",
    "district.townships_below_min_slots",
    "district.certified_share",
    "district.certified_caregivers",
    "district.caregivers",
    "district.heads_trained",
    "district.caregivers_trained",
    "district.health_trained",
    "district.enrolled",
    "district.emergency_closures_open",
    "district.children_awaiting_rehoming",
    "targets.district.slots_total.value",
    "targets.district.inclusive_share.value",
    "targets.district.inclusive_coverage.value",
    "targets.district.certified_share.value",
    *(f"townships.{t}.slots_total" for t in TOWNSHIP_IDS),
    # supervision (kpis.md, revision of 2026-11-30)
    "district.incidents_open",
    "district.incidents_open_serious",
    "district.high_risk_uninspected",
    "district.failed_latest",
    "district.new_without_health_training",
    "district.inspected_share",
    "district.assessed_share",
    "district.inclusive_over_cap",
    # past targets, judged at due
    "targets.district.slots_total.actual_at_due",
    "targets.district.new_slots.actual_at_due",
    "targets.district.kindergarten_new_inclusive_slots.actual_at_due",
}


def resolve(snapshot: dict[str, Any], path: str) -> Any:
    """A data-path of the page in the snapshot of /api/kpi: dotted keys, or targets.SCOPE.KPI.FIELD."""
    parts = path.split(".")
    if parts[0] == "targets":
        scope, kpi, name = parts[1:]
        [target] = [t for t in snapshot["targets"] if t["scope"] == scope and t["kpi"] == kpi]
        return target[name]
    value = snapshot
    for part in parts:
        value = value[part]
    return value


def shown(value: Any, form: str) -> str:
    if value is None:
        return "—"
    if form == "dec2":
        return f"{value:.2f}"
    return f"{value * 100:.1f}%" if form == "pct" else f"{value:,}"


def figures(page) -> list[dict[str, Any]]:
    return page.eval_on_selector_all(
        "[data-path]",
        """nodes => nodes.map(n => ({
        path: n.dataset.path, value: JSON.parse(n.dataset.value), format: n.dataset.format, text: n.textContent}))""",
    )


def open_wall(page, service, path: str = FAST):
    page.goto(service.base + path)
    page.wait_for_selector('body[data-state="live"]')
    return page


def test_every_figure_on_the_wall_equals_the_snapshot_of_api_kpi(page, service):
    open_wall(page, service)
    # The record can move on meanwhile (the on-call webhook records the alerts Alertmanager
    # sends): compare once the wall and /api/kpi show the same position.
    deadline = time.monotonic() + 20
    while True:
        snapshot = service.kpi()
        before = page.get_attribute("body", "data-position")
        found = figures(page)
        after = page.get_attribute("body", "data-position")
        if before == after == str(snapshot["position"]):
            break
        assert time.monotonic() < deadline, (before, after, snapshot["position"])
        time.sleep(0.3)
    assert REQUIRED <= {f["path"] for f in found}, f"missing on the wall: {REQUIRED - {f['path'] for f in found}}"
    for figure in found:
        expected = resolve(snapshot, figure["path"])
        assert figure["value"] == expected, figure
        assert figure["text"] == shown(expected, figure["format"]), figure
    assert page.text_content("#updated").strip() != "—"
    assert page.get_attribute("#connection", "data-connection") == "live"


def test_townships_are_listed_furthest_below_their_target_first(page, service):
    open_wall(page, service)
    snapshot = service.kpi()
    targets = {t["scope"]: t for t in snapshot["targets"] if t["kpi"] == "township_min_slots"}
    targets.update(
        {t["scope"]: t for t in snapshot["targets"] if t["kpi"] == "slots_total" and t["scope"] != "district"}
    )
    gaps = {
        t: targets[t]["value"] - snapshot["townships"][t]["slots_total"] if t in targets else None for t in TOWNSHIP_IDS
    }
    rows = page.eval_on_selector_all(
        "#township-table tbody tr",
        """rows => rows.map(r => [r.dataset.township,
        JSON.parse(r.querySelector('[data-gap]').dataset.gap), r.querySelector('[data-status]').dataset.status])""",
    )
    assert [(t, gap) for t, gap, _ in rows] == sorted(
        gaps.items(), key=lambda i: (-(i[1] if i[1] is not None else -1e9), i[0])
    )
    assert {t: status for t, _, status in rows} == {
        t: targets[t]["status"] if t in targets else "none" for t in TOWNSHIP_IDS
    }


def test_slots_over_time_end_at_the_district_slots_today(page, service):
    open_wall(page, service)
    history = service.http.get("/api/wall").json()["history"]
    assert int(page.get_attribute("#slots-chart", "data-points")) == len(history) > 100
    assert int(page.get_attribute("#slots-chart", "data-last")) == service.kpi()["district"]["slots_total"]
    assert page.locator("#slots-chart path.line-total").count() == 1


def test_a_recorded_event_shows_on_the_wall_without_reloading(page, service):
    open_wall(page, service)
    page.evaluate("window.stillTheSamePage = true")
    before = int(page.get_attribute('[data-path="district.slots_total"]', "data-value"))
    updated = page.get_attribute("#updated", "data-updated")
    service.post(
        {
            "event_id": f"wall-{time.time_ns()}",
            "type": "InstitutionFiled",
            "occurred_at": "2026-01-05T09:00:00+08:00",
            "institution_id": f"WALL-{time.time_ns()}",
            "name": "大屏测试托育点",
            "township": "yanchi",
            "kind": "community",
            "slots": 50,
            "inclusive": True,
        }
    )
    deadline = time.monotonic() + 10
    while (expected := service.kpi()["district"]["slots_total"]) < before + 50:  # the live view follows the store
        assert time.monotonic() < deadline, "the live view did not apply the new filing"
        time.sleep(0.2)
    page.wait_for_selector(f'[data-path="district.slots_total"][data-value="{expected}"]', timeout=15000)
    assert page.evaluate("window.stillTheSamePage") is True, "the page reloaded"
    assert page.get_attribute("#updated", "data-updated") != updated
    snapshot = service.kpi()
    for figure in figures(page):
        assert figure["value"] == resolve(snapshot, figure["path"]), figure


def test_the_wall_shows_when_it_is_cut_off_from_the_service_and_recovers(page, service):
    open_wall(page, service)
    page.route("**/api/wall", lambda route: route.abort())
    page.wait_for_selector('#connection[data-connection="disconnected"]', timeout=5000)
    assert "连接中断" in page.text_content("#connection")
    assert page.is_visible("#banner") and "连接中断" in page.text_content("#banner")
    page.unroute("**/api/wall")
    page.wait_for_selector('#connection[data-connection="live"]', timeout=5000)
    assert not page.is_visible("#banner")
    page.errors.clear()  # the aborted requests were logged as failed loads: that was the point


def test_a_wall_whose_requests_hang_shows_its_data_are_stale_then_that_it_is_cut_off(page, service):
    open_wall(page, service)
    page.route("**/api/wall", lambda route: None)  # never answered
    page.wait_for_selector('#connection[data-connection="stale"]', timeout=6000)  # three intervals without news
    assert "数据过期" in page.text_content("#connection") and "未更新" in page.text_content("#banner")
    page.wait_for_selector('#connection[data-connection="disconnected"]', timeout=8000)  # the request timed out
    page.unroute("**/api/wall")
    page.wait_for_selector('#connection[data-connection="live"]', timeout=8000)
    page.errors.clear()  # the timed-out requests were logged as failed loads


def test_the_wall_shows_the_alerts_prometheus_is_firing(page, service):
    def firing() -> list[str]:
        """Prometheus's firing alerts, an alert about a target once (it fires once per responsible
        unit: the wall lists it once)"""
        alerts = httpx.get(f"{service.prometheus_url}/api/v1/alerts").json()["data"]["alerts"]
        distinct = {
            tuple(sorted((k, v) for k, v in a["labels"].items() if k != "unit"))
            for a in alerts
            if a["state"] == "firing"
        }
        return sorted(dict(labels)["alertname"] for labels in distinct)

    deadline = time.monotonic() + 40
    while "EmergencyClosureOpen" not in firing():  # the demo district has an open emergency closure
        assert time.monotonic() < deadline, "Prometheus did not fire EmergencyClosureOpen"
        time.sleep(0.5)
    open_wall(page, service)

    def listed() -> list[str]:
        """The alerts on the wall: those shown, and those the panel had no room for, counted."""
        names = page.eval_on_selector_all("#alerts-list [data-alert]", "nodes => nodes.map(n => n.dataset.alert)")
        hidden = page.eval_on_selector_all(
            "#alerts-list [data-hidden-alerts]", "n => n.map(m => +m.dataset.hiddenAlerts)"
        )
        return names, sum(hidden)

    deadline = time.monotonic() + 15
    while True:
        (names, hidden), expected = listed(), firing()
        if len(names) + hidden == len(expected) and not Counter(names) - Counter(expected):
            break
        assert time.monotonic() < deadline, f"the wall lists {names} and {hidden} more, Prometheus fires {expected}"
        time.sleep(0.5)
    assert page.get_attribute("#alerts-count", "data-alerts-count") == str(len(expected))
    assert len(names) >= 3, "a 1920×1080 wall has room for several alerts"
    severities = page.eval_on_selector_all("#alerts-list [data-severity]", "n => n.map(m => m.dataset.severity)")
    assert severities == sorted(severities, key=["critical", "warning", "info"].index), "most severe first"
    critical = page.locator('#alerts-list [data-alert="EmergencyClosureOpen"]')
    assert critical.get_attribute("data-severity") == "critical" and "严重" in critical.text_content()


def test_without_prometheus_the_wall_says_alerting_is_not_running(browser, service):
    from tests.support.ports import free_port

    # The same platform, served a second time without Prometheus (lifespan off: the first serving owns it).
    with serving(create_app(service.platform), free_port(), lifespan="off") as base:
        page = open_page(browser, base)
        try:
            page.goto(base + FAST)
            page.wait_for_selector('body[data-state="live"]')
            assert page.text_content("#alerts-list").strip() == "◌ 告警服务未运行"
            assert page.get_attribute("#alerts-list", "data-alerts-available") == "false"
            assert page.outside == [] and page.errors == []
        finally:
            page.context.close()


def test_past_targets_show_their_outcome_at_due_and_their_responsible_units_in_chinese(page, service):
    open_wall(page, service)
    snapshot = service.kpi()
    past = {f"{t['scope']}.{t['kpi']}": t for t in snapshot["targets"] if t["outcome"] is not None}
    rows = page.eval_on_selector_all(
        "#targets-table tr[data-target]",
        """rows => rows.map(r => ({
        key: r.dataset.target, outcome: r.querySelector('[data-outcome]').dataset.outcome,
        units: r.querySelector('[data-responsible]').dataset.responsible,
        unitsText: r.querySelector('[data-responsible]').textContent}))""",
    )
    hidden = page.eval_on_selector_all(
        "#targets-table [data-hidden-targets]", "n => n.map(m => +m.dataset.hiddenTargets)"
    )
    floors = [t for t in past.values() if t["kpi"] == "township_min_slots"]
    singles = [key for key, t in past.items() if t["kpi"] != "township_min_slots"]
    assert len(rows) + sum(hidden) == len(singles) + 1, "every past target is shown or counted"
    assert len(rows) >= 10, "a 1920×1080 wall has room for the plan's past targets"
    for row in rows:
        if row["key"] == "townships.township_min_slots":  # one row for the floor every township must reach
            met = sum(t["outcome"] == "met" for t in floors)
            assert row["outcome"] == ("met" if met == len(floors) else "missed")
            assert page.get_attribute("[data-floor-met]", "data-floor-met") == str(met)
            responsible = floors[0]["responsible"]
        else:
            assert row["outcome"] == past[row["key"]]["outcome"], row
            responsible = past[row["key"]]["responsible"]
        assert row["units"] == ",".join(responsible), row
        assert row["unitsText"] == ("、".join(UNIT_NAMES_ZH[u] for u in responsible) or "—"), row
    # The district's targets first, earliest due first.
    scopes = [row["key"].split(".")[0] for row in rows]
    district = [r for r in rows if r["key"].startswith("district.")]
    assert scopes[: len(district)] == ["district"] * len(district)
    assert [past[r["key"]]["due"] for r in district] == sorted(past[r["key"]]["due"] for r in district)


def test_an_open_serious_incident_heads_the_supervision_panel_until_it_is_resolved(page, service):
    open_wall(page, service)
    page.evaluate("window.stillTheSamePage = true")
    institution = next(f["properties"] for f in service.registry() if f["properties"]["township"] == "wangping")
    incident_id = f"SJ-WALL-{time.time_ns()}"
    service.post(
        {
            "event_id": f"{incident_id}-r",
            "type": "IncidentReported",
            "occurred_at": "2026-11-30T09:00:00+08:00",
            "institution_id": institution["institution_id"],
            "incident_id": incident_id,
            "category": "fire_safety",
            "severity": "major",
            "children_affected": 0,
        }
    )
    try:
        item = page.wait_for_selector(
            '#serious-incidents li[data-incident="wangping.fire_safety.major"]', timeout=15000
        )
        assert "王平镇" in item.text_content() and "消防安全·重大" in item.text_content()
        listed = page.eval_on_selector_all("#serious-incidents li", "n => n.map(m => m.dataset.incident || '')")
        severities = [key.rsplit(".", 1)[-1] for key in listed]
        assert severities == sorted(severities, key=["major", "serious"].index), "the most severe first"
        first = page.query_selector("#supervision-body > *:first-child")
        assert first.get_attribute("id") == "serious-incidents", "open serious incidents head the panel"
        count = item.query_selector("[data-path]")
        assert count.get_attribute("data-path") == (
            "townships.wangping.incidents_open_by_category_severity.fire_safety.major"
        )
        assert int(count.get_attribute("data-value")) >= 1
        page.wait_for_selector('[data-path="district.incidents_open_serious"]:not([data-value="0"])', timeout=15000)
    finally:
        service.post(
            {
                "event_id": f"{incident_id}-x",
                "type": "IncidentResolved",
                "occurred_at": "2026-11-30T09:30:00+08:00",
                "institution_id": institution["institution_id"],
                "incident_id": incident_id,
            }
        )
    page.wait_for_selector(
        '#serious-incidents li[data-incident="wangping.fire_safety.major"]', state="detached", timeout=15000
    )
    assert page.evaluate("window.stillTheSamePage") is True, "the page reloaded"
