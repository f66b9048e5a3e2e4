"""Reaching people, end to end on the real servers: the service, Prometheus scraping it every
second, and Alertmanager delivering to a real SMTP server started here, to a local endpoint
speaking WeCom's API, to the dead man's switch, and to the platform's recorder.

The production rules and routes, with the fast clock of the harness; the receivers are those
of the tunables pointed at the servers of this test.
"""

from __future__ import annotations

import time
from contextlib import closing
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.harness import fast_tunables, running_service
from tests.support.receivers import smtp_server, wecom_and_switch
from tuoyu.service.alerting import (
    ALERTMANAGER_BINARIES,
    PROMETHEUS_BINARIES,
    find_binary,
)
from tuoyu.service.config import settings_from_env
from tuoyu.service.wiring import open_reader
from tuoyu.views.reading import read_facts

NOW = datetime.now(UTC)
DUTY, LEADER = "duty@mtg-health.example.gov.cn", "duty-leader@mtg-health.example.gov.cn"
WECOM_SECRET = "wecom-secret-read-from-a-file"
ESCALATE_AFTER = 15  # seconds


def at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat(timespec="seconds")


def close_with_children(service, key: str, township: str, children: int) -> None:
    assert (
        service.post(
            [
                {
                    "event_id": f"{key}-f",
                    "type": "InstitutionFiled",
                    "occurred_at": at(30),
                    "institution_id": key,
                    "name": f"通知测试托育点{key}",
                    "township": township,
                    "kind": "community",
                    "slots": 30,
                    "inclusive": True,
                },
                {
                    "event_id": f"{key}-e",
                    "type": "ChildrenEnrolled",
                    "occurred_at": at(20),
                    "institution_id": key,
                    "children": children,
                },
                {
                    "event_id": f"{key}-c",
                    "type": "InstitutionClosed",
                    "occurred_at": at(0.01),
                    "institution_id": key,
                    "emergency": True,
                    "reason": "园舍漏水",
                },
            ]
        ).status_code
        == 201
    )


def recorded(service, alertname: str, township: str, status: str = "firing"):
    def find():
        alerts = service.http.get("/api/oncall", params={"status": "all"}).json()["alerts"]
        return [
            a
            for a in alerts
            if a["alertname"] == alertname and a["labels"].get("township") == township and a["status"] == status
        ]

    find.__doc__ = f"{alertname} {status} for {township} in the on-call record"
    return find


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if not (find_binary(PROMETHEUS_BINARIES) and find_binary(ALERTMANAGER_BINARIES)):
        pytest.fail(
            "Prometheus and Alertmanager are needed: `make test` installs Debian's packages "
            "prometheus and prometheus-alertmanager"
        )
    tmp = tmp_path_factory.mktemp("notify")
    (tmp / "wecom-api-secret").write_text(WECOM_SECRET + "\n")
    with smtp_server() as mailbox, wecom_and_switch(WECOM_SECRET) as wecom:
        config = fast_tunables(
            **{
                "receivers.email.to": DUTY,
                "receivers.email.escalate_to": LEADER,
                "receivers.email.smarthost": f"127.0.0.1:{mailbox.port}",
                "receivers.email.require_tls": False,
                "receivers.email.auth_username": "",
                "receivers.wecom.api_url": wecom.api_url,
                "receivers.wecom.corp_id": "ww-e2e",
                "receivers.wecom.api_secret_file": str(tmp / "wecom-api-secret"),
                "alertmanager.watchdog_url": wecom.ping_url,
                "alertmanager.watchdog_repeat_interval": "2s",
                "alertmanager.escalate_after": f"{ESCALATE_AFTER}s",
                "alertmanager.escalation_repeat_interval": "1h",
                "alertmanager.critical_repeat_interval": "4s",
            }
        )
        with running_service(tmp, alerting=config) as (service, stack):
            close_with_children(service, "N-1", "yongding", 12)
            yield service, stack, mailbox, wecom


def test_an_emergency_closure_reaches_the_on_call_mailbox_in_chinese_with_figure_and_links(servers):
    service, _, mailbox, _ = servers
    mails = service.wait_until(lambda: mailbox.to(DUTY, "应急关停"), timeout=60)
    mail = mails[0]
    assert mail.subject == "【托育预警·紧急】应急关停：永定镇 有 12 名幼儿待安置", mail.subject
    assert "永定镇 有托育机构应急关停，12 名幼儿尚待分流安置；要求关停后 24 小时内全部安置。" in mail.text
    assert f"处置手册：{service.base}/runbook#emergencyclosureopen" in mail.text
    assert (
        f"值班确认：{service.base}/oncall" in mail.text and f"待安置情况：{service.base}/oncall#closures" in mail.text
    )
    assert "（北京时间）" in mail.text and f'href="{service.base}/runbook#emergencyclosureopen"' in mail.html
    # The runbook the link names is served, with the alert's section.
    runbook = httpx.get(f"{service.base}/runbook", timeout=10)
    assert runbook.status_code == 200 and "## EmergencyClosureOpen" in runbook.text


def test_wecom_gets_the_alert_through_the_api_paths_alertmanager_calls(servers):
    service, _, _, wecom = servers
    sent = service.wait_until(
        lambda: [m for m in wecom.messages if "应急关停：永定镇" in m["text"]["content"]], timeout=60
    )[0]
    assert sent["toparty"] == "2" and sent["agentid"] == "1000002" and sent["msgtype"] == "text"
    assert "【托育预警·紧急】" in sent["text"]["content"] and "/runbook#emergencyclosureopen" in sent["text"]["content"]
    # The API secret was read from its file when the configuration was rendered at start.
    assert wecom.token_requests[0]["corpid"] == ["ww-e2e"] and wecom.token_requests[0]["corpsecret"] == [WECOM_SECRET]


def test_an_unacknowledged_critical_alert_escalates_and_an_acknowledged_one_does_not(servers):
    service, stack, mailbox, _ = servers
    close_with_children(service, "N-2", "qingshui", 5)
    close_with_children(service, "N-3", "yanchi", 3)
    acked = service.wait_until(recorded(service, "EmergencyClosureOpen", "yanchi"), timeout=60)[0]
    answer = service.http.post(f"/api/oncall/{acked['fingerprint']}/ack", json={"note": "已联系雁翅镇"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["silence_id"] and answer.json()["silence_problem"] is None
    silences = httpx.get(f"{stack.alertmanager_url}/api/v2/silences", timeout=10).json()
    mine = [s for s in silences if s["id"] == answer.json()["silence_id"]][0]
    assert mine["status"]["state"] == "active" and mine["comment"] == "已联系雁翅镇"
    assert {"name": "township", "value": "yanchi", "isRegex": False, "isEqual": True} in mine["matchers"]
    service.wait_until(lambda: mailbox.to(LEADER, "清水镇"), timeout=ESCALATE_AFTER + 45)
    time.sleep(3)  # the acknowledged one would have escalated at the same time
    assert not mailbox.to(LEADER, "雁翅镇"), "an acknowledged alert escalated"


def test_repeated_notifications_are_one_event_with_a_count(servers):
    service, _, _, _ = servers
    # The recorder hears yongding's alert again every 4 s (critical_repeat_interval here).
    first = service.wait_until(recorded(service, "EmergencyClosureOpen", "yongding"), timeout=60)[0]
    time.sleep(14)
    assert (
        service.post(
            {
                "event_id": "N-1-r",
                "type": "ChildrenRehomed",
                "occurred_at": at(0.005),
                "institution_id": "N-1",
                "children": 12,
            }
        ).status_code
        == 201
    )
    resolved = service.wait_until(recorded(service, "EmergencyClosureOpen", "yongding", "resolved"), timeout=90)[0]
    with closing(open_reader(settings_from_env(service.env))) as store:  # the record itself, as an auditor reads it
        events = [
            f["event"]
            for f in read_facts(store.recorder)
            if f["event"]["type"] == "AlertNotified" and f["event"]["fingerprint"] == first["fingerprint"]
        ]
    assert [e["status"] for e in events] == ["firing", "resolved"], [(e["status"], e["count"]) for e in events]
    # The resolution carries the repeats heard in between (about one every 4 s for 14 s and more).
    assert events[0]["count"] == 1 and events[1]["count"] >= 3
    assert resolved["notifications"] == 1 + events[1]["count"]


def test_watchdog_pings_the_dead_mans_switch_and_reaches_nobody_else(servers):
    service, _, mailbox, wecom = servers
    # A Prometheus started a moment ago sends what fired at its first evaluation after its resend
    # delay (1m); then Alertmanager repeats Watchdog every watchdog_repeat_interval (2 s here).
    pings = service.wait_until(lambda: wecom.pings if len(wecom.pings) >= 2 else None, timeout=90)
    assert all(p["alerts"][0]["labels"]["alertname"] == "Watchdog" for p in pings)
    assert not [m for m in mailbox.mails if "Watchdog" in m.text]
    assert not [a for a in service.http.get("/api/oncall").json()["alerts"] if a["alertname"] == "Watchdog"]
