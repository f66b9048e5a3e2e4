"""The Alertmanager webhook records only what the on-call record can read back (issue 12,
item 5): `startsAt: 5` or no `startsAt` is refused, so GET /api/oncall keeps answering and
every alert can be acknowledged once per episode."""

from __future__ import annotations

import copy
import time
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from tests.support.alertmanager import ALERT, PAYLOAD
from tuoyu.service.http.app import create_app
from tuoyu.service.tokens import create_token
from tuoyu.service.wiring import open_platform

SECRET = "webhook-test-secret"


@pytest.fixture
def oncall(store_settings):
    platform = open_platform(replace(store_settings, alert_webhook_secret=SECRET))
    token = create_token(platform.tokens, "oncall")[1]
    try:
        with TestClient(create_app(platform), headers={"Authorization": f"Bearer {token}"}) as client:
            client.platform = platform
            yield client
    finally:
        platform.close()


def listed(client: TestClient) -> list[dict]:
    """GET /api/oncall once the live view has applied every recorded event."""
    platform = client.platform
    deadline = time.monotonic() + 10
    while platform.projector.position < platform.registry.position():
        assert time.monotonic() < deadline, "the projector did not catch up"
        platform.projector.wake()
        time.sleep(0.01)
    response = client.get("/api/oncall")
    assert response.status_code == 200, response.text
    return response.json()["alerts"]


def notify(client: TestClient, **alert_changes):
    payload = copy.deepcopy(PAYLOAD)
    payload["alerts"][0].update(alert_changes)
    for name in [k for k, v in alert_changes.items() if v is ...]:
        del payload["alerts"][0][name]
    return client.post("/api/alerts/webhook", json=payload, headers={"Authorization": f"Bearer {SECRET}"})


@pytest.mark.parametrize("starts_at", [5, ..., None, "2026-11-30"])
def test_an_alert_whose_start_is_not_an_rfc_3339_time_is_refused_and_the_on_call_list_still_answers(oncall, starts_at):
    response = notify(oncall, fingerprint="f-bad", startsAt=starts_at)
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith("alerts[0].startsAt:")
    assert listed(oncall) == []


def test_an_alert_is_acknowledged_once_per_episode(oncall):
    fingerprint = ALERT["fingerprint"]
    assert notify(oncall).status_code == 200
    assert oncall.post(f"/api/oncall/{fingerprint}/ack").status_code == 200
    assert oncall.post(f"/api/oncall/{fingerprint}/ack").status_code == 409  # this episode: done
    assert notify(oncall, status="resolved", endsAt="2026-11-30T09:00:00Z").status_code == 200
    assert notify(oncall, startsAt="2026-12-01T08:00:00Z").status_code == 200  # it fired again
    assert oncall.post(f"/api/oncall/{fingerprint}/ack").status_code == 200
    assert [(a["starts_at"], a["acknowledged_by"] is not None) for a in listed(oncall)] == [
        ("2026-12-01T08:00:00Z", True)
    ]


def test_a_payload_over_the_caps_is_refused_whole(oncall):
    payload = copy.deepcopy(PAYLOAD)
    payload["alerts"] = [dict(ALERT, fingerprint=f"f{n}") for n in range(1001)]
    response = oncall.post("/api/alerts/webhook", json=payload, headers={"Authorization": f"Bearer {SECRET}"})
    assert response.status_code == 422 and "at most 1,000" in response.json()["error"]
    assert notify(oncall, labels={"alertname": "x" * 5000}).status_code == 422
    assert listed(oncall) == []


def test_an_alert_recorded_before_the_check_with_a_start_that_is_not_text_is_listed(oncall):
    """As the webhook recorded `startsAt: 5` before it checked payloads (docs/decisions.md)."""
    payload = copy.deepcopy(PAYLOAD)
    payload["alerts"][0].update(startsAt=5, endsAt=[1])
    oncall.platform.registry.record_notifications(payload)
    notify(oncall, fingerprint="f-2")
    assert [a["starts_at"] for a in listed(oncall)] == [ALERT["startsAt"], "5"]
