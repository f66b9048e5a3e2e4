"""End to end on the real servers: the service, Prometheus scraping it every second, and
Alertmanager posting to the service's on-call receiver."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.harness import TUOYU, fast_tunables, running_service
from tuoyu.service.alerting import (
    ALERTMANAGER_BINARIES,
    PROMETHEUS_BINARIES,
    find_binary,
)

NOW = datetime.now(UTC)


def at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat(timespec="seconds")


def oncall(service, alertname: str, status: str):
    def find():
        alerts = service.http.get("/api/oncall", params={"status": "all"}).json()["alerts"]
        return [a for a in alerts if a["alertname"] == alertname and a["status"] == status]

    find.__doc__ = f"{alertname} {status} in /api/oncall"
    return find


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if not (find_binary(PROMETHEUS_BINARIES) and find_binary(ALERTMANAGER_BINARIES)):
        pytest.fail(
            "Prometheus and Alertmanager are needed: `make test` installs Debian's packages "
            "prometheus and prometheus-alertmanager"
        )
    with running_service(tmp_path_factory.mktemp("e2e"), alerting=fast_tunables()) as (service, stack):
        yield service, stack


def test_an_emergency_closure_pages_the_oncall_receiver_and_resolves_when_children_are_rehomed(servers):
    service, _ = servers
    assert (
        service.post(
            [
                {
                    "event_id": "e2e-1",
                    "type": "InstitutionFiled",
                    "occurred_at": at(30),
                    "institution_id": "E2E-1",
                    "name": "应急测试托育点",
                    "township": "yongding",
                    "kind": "community",
                    "slots": 30,
                    "inclusive": True,
                },
                {
                    "event_id": "e2e-2",
                    "type": "ChildrenEnrolled",
                    "occurred_at": at(20),
                    "institution_id": "E2E-1",
                    "children": 12,
                },
            ]
        ).status_code
        == 201
    )
    closed = service.post(
        {
            "event_id": "e2e-3",
            "type": "InstitutionClosed",
            "occurred_at": at(0.01),
            "institution_id": "E2E-1",
            "emergency": True,
            "reason": "园舍漏水",
        }
    )
    assert closed.status_code == 201
    firing = service.wait_until(oncall(service, "EmergencyClosureOpen", "firing"), timeout=90)[0]
    assert firing["labels"]["township"] == "yongding"
    assert firing["labels"]["severity"] == "critical" and firing["labels"]["team"] == "health-commission"
    assert "12 名幼儿待安置" in firing["annotations"]["summary"]

    assert (
        service.post(
            {
                "event_id": "e2e-4",
                "type": "ChildrenRehomed",
                "occurred_at": at(0.005),
                "institution_id": "E2E-1",
                "children": 12,
            }
        ).status_code
        == 201
    )
    resolved = service.wait_until(oncall(service, "EmergencyClosureOpen", "resolved"), timeout=90)[0]
    assert resolved["fingerprint"] == firing["fingerprint"]


def test_the_oncall_officer_acknowledges_an_alert_and_the_acknowledgement_is_on_record(servers):
    service, _ = servers
    alert = service.wait_until(oncall(service, "EmergencyClosureOpen", "resolved"), timeout=90)[0]
    made = service.http.post(f"/api/oncall/{alert['fingerprint']}/ack", json={"note": "已电话联系永定镇"})
    assert made.status_code == 200, made.text
    acknowledged = service.wait_until(
        lambda: [
            a
            for a in service.http.get("/api/oncall").json()["alerts"]
            if a["fingerprint"] == alert["fingerprint"] and a["acknowledged_by"]
        ]
    )
    assert acknowledged[0]["note"] == "已电话联系永定镇"
    assert acknowledged[0]["acknowledged_by"] == "e2e (admin)"  # the token's name and role, as recorded
    assert acknowledged[0]["acknowledged_at"] >= acknowledged[0]["first_notified_at"]


def test_a_township_below_the_slot_floor_after_its_due_date_alerts(servers):
    service, _ = servers
    assert (
        service.post(
            {
                "event_id": "e2e-floor",
                "type": "TargetSet",
                "occurred_at": at(0.01),
                "scope": "district",
                "kpi": "township_min_slots",
                "value": 20,
                "start": "2024-01-01",
                "due": "2025-12-31",
            }
        ).status_code
        == 201
    )
    below = oncall(service, "TownshipBelowSlotFloor", "firing")
    # Each township is its own alert, recorded as Alertmanager sends them (a second apart).
    floor = service.wait_until(
        lambda: [a for a in below() if a["labels"]["township"] == "qingshui"] and below(), timeout=90
    )
    assert "qingshui" in {a["labels"]["township"] for a in floor}  # nothing filed there: 0 slots, below 20
    assert all(a["labels"]["severity"] == "warning" for a in floor)


def township_token(service, township: str) -> str:
    made = subprocess.run(
        [TUOYU, "token", "create", "--role", f"township:{township}", "--name", f"e2e-{township}"],
        env=service.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return made.stdout.strip().splitlines()[-1]


def inbox(service, token: str) -> list[dict]:
    answer = service.http.get("/api/oncall", params={"status": "all"}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()["alerts"]


def test_a_serious_incident_recorded_through_the_api_pages_and_resolving_it_resolves_the_alert(servers):
    service, _ = servers
    assert (
        service.post(
            [
                {
                    "event_id": "e2e-inc-1",
                    "type": "InstitutionFiled",
                    "occurred_at": at(40),
                    "institution_id": "E2E-INC",
                    "name": "安全事件测试托育点",
                    "township": "junzhuang",
                    "kind": "community",
                    "slots": 25,
                    "inclusive": True,
                },
                {
                    "event_id": "e2e-inc-2",
                    "type": "IncidentReported",
                    "occurred_at": at(0.01),
                    "institution_id": "E2E-INC",
                    "incident_id": "SJ-E2E-1",
                    "category": "food_safety",
                    "severity": "serious",
                    "children_affected": 4,
                    "description": "午餐后多名幼儿呕吐",
                },
            ]
        ).status_code
        == 201
    )
    firing = service.wait_until(oncall(service, "SeriousIncidentOpen", "firing"), timeout=90)[0]
    assert firing["labels"] == {
        "alertname": "SeriousIncidentOpen",
        "severity": "critical",
        "team": "health-commission",
        "township": "junzhuang",
    }
    assert firing["annotations"]["summary"] == "安全事件未处置完毕：军庄镇 有 1 起较大或重大安全事件"
    assert "食品安全（较大）1 起" in firing["annotations"]["description"]

    # The township's government sees it in its inbox; another township's does not.
    assert firing["fingerprint"] in {a["fingerprint"] for a in inbox(service, township_token(service, "junzhuang"))}
    assert firing["fingerprint"] not in {a["fingerprint"] for a in inbox(service, township_token(service, "dayu"))}

    assert (
        service.post(
            {
                "event_id": "e2e-inc-3",
                "type": "IncidentResolved",
                "occurred_at": at(0.005),
                "institution_id": "E2E-INC",
                "incident_id": "SJ-E2E-1",
            }
        ).status_code
        == 201
    )
    resolved = service.wait_until(oncall(service, "SeriousIncidentOpen", "resolved"), timeout=90)[0]
    assert resolved["fingerprint"] == firing["fingerprint"]
