"""The on-call page (GET /oncall) in Debian's chromium, against the demo district served for real
with Prometheus and Alertmanager beside it: the officer logs in with a token, sees what fires in
Chinese, acknowledges with one click; the silence is in Alertmanager and the acknowledgement in
the audit record."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tuoyu import clock
from tuoyu.service.tokens import create_token

pytestmark = pytest.mark.browser


def firing_closure(service) -> dict:
    def find():
        alerts = service.http.get("/api/oncall", params={"status": "firing"}).json()["alerts"]
        return [a for a in alerts if a["alertname"] == "EmergencyClosureOpen"]

    find.__doc__ = "an EmergencyClosureOpen of the demo in the on-call record"
    return service_wait(find)[0]


def service_wait(what, timeout: float = 90.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what.__doc__}")


def log_in(page, service, token: str):
    page.goto(service.base + "/oncall")
    page.fill("#token", token)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector('body[data-state="live"]')


def test_a_wrong_token_is_refused_in_chinese(page, service):
    page.goto(service.base + "/oncall")
    page.fill("#token", "tuoyu_not-a-token")
    page.click("#login-form button[type=submit]")
    # A locator's wait, not wait_for_function: polling a string expression is an eval, which
    # the page's Content-Security-Policy (script-src 'self') refuses, as it should.
    expect(page.locator("#login-error")).to_contain_text("令牌无效")
    assert page.is_hidden("#desk")
    # Chromium logs the refused request itself as a console error: expected here, and only that.
    refused = "Failed to load resource: the server responded with a status of 401 (Unauthorized)"
    assert page.errors and set(page.errors) == {refused}, page.errors
    page.errors.clear()


def test_the_officer_acknowledges_with_one_click_and_the_silence_and_the_event_follow(page, service):
    alert = firing_closure(service)
    _, token = create_token(service.platform.tokens, "oncall", "duty-browser")
    log_in(page, service, token)
    item = f'li.alert[data-fingerprint="{alert["fingerprint"]}"]'
    page.wait_for_selector(item)
    assert page.get_attribute(item, "data-status") == "firing"
    text = page.text_content(item)
    assert "紧急" in text and "应急关停" in text and "名幼儿待安置" in text and "处置手册" in text
    assert int(page.text_content("#firing-count")) >= 1
    closures = page.text_content("#closure-table tbody")
    assert closures.strip(), "the open emergency closures are listed"

    before = clock.now()
    page.fill(f"{item} .ack input", "已电话联系镇街负责人")
    page.click(f"{item} .ack-button")
    page.wait_for_selector(f"{item} .acked, #banner:not([hidden])")
    assert page.is_hidden("#banner"), page.text_content("#banner")
    acked = page.text_content(f"{item} .acked")
    assert "已确认：duty-browser (oncall)" in acked and "已静默至" in acked and "已电话联系镇街负责人" in acked
    assert page.is_hidden("#banner")

    silences = httpx.get(f"{service.alertmanager_url}/api/v2/silences", timeout=10).json()
    mine = [s for s in silences if s["createdBy"] == "duty-browser (oncall)"]
    assert len(mine) == 1 and mine[0]["status"]["state"] == "active"
    assert {"name": "township", "value": alert["labels"]["township"], "isRegex": False, "isEqual": True} in mine[0][
        "matchers"
    ]

    diff = service.http.get(
        "/api/audit/diff", params={"from": before.isoformat(), "to": clock.now().isoformat()}
    ).json()
    recorded = [e for e in diff["events"] if e["type"] == "AlertAcknowledged"]
    assert [e["recorded_by"] for e in recorded] == ["duty-browser (oncall)"]
