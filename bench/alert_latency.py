"""Alert latency: from the API call recording an emergency closure to the mail in the on-call
mailbox, through the real Prometheus and Alertmanager, with the production tunables.

    .venv/bin/python -m bench.alert_latency [--profile production|fast] [--runs 3]

`production` is alerts/tunables.yaml as shipped (scrape 15 s, evaluation 30 s, for 1 m,
group_wait 30 s), with the mail relay replaced by a real SMTP server run here (aiosmtpd);
`fast` is the end-to-end tests' profile (every step 1 s). Each run closes an institution in
another township and times the mail (and the on-call record) against the sum of the configured
waits, the worst case the tunables promise. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.e2e.harness import fast_tunables, running_service
from tests.support.receivers import smtp_server
from tuoyu.alerts.config import Config, Duration, packaged_config
from tuoyu.domain.catalogue import TOWNSHIP_IDS

DUTY = "duty@mtg-health.example.gov.cn"
SCRAPE = {"production": "15s", "fast": "1s"}


def profile(name: str, smtp_port: int) -> Config:
    mail = {
        "receivers.email.smarthost": f"127.0.0.1:{smtp_port}",
        "receivers.email.require_tls": False,
        "receivers.email.auth_username": "",
        "receivers.email.to": DUTY,
        "receivers.wecom.corp_id": "",
        "alertmanager.watchdog_url": "",
    }
    return fast_tunables(**mail) if name == "fast" else packaged_config().replace(**mail)


def one_run(service, mailbox, n: int) -> tuple[float, float]:
    """Seconds from the API call to the mail, and to the on-call record."""
    now, iid, township = datetime.now(UTC), f"LAT-{n}", TOWNSHIP_IDS[n % len(TOWNSHIP_IDS)]
    service.post(
        [
            {
                "event_id": f"lat-{n}-f",
                "type": "InstitutionFiled",
                "occurred_at": (now - timedelta(days=9)).isoformat(),
                "institution_id": iid,
                "name": f"延迟测试{n}",
                "township": township,
                "kind": "community",
                "slots": 20,
                "inclusive": True,
            },
            {
                "event_id": f"lat-{n}-e",
                "type": "ChildrenEnrolled",
                "occurred_at": (now - timedelta(days=8)).isoformat(),
                "institution_id": iid,
                "children": 5,
            },
        ]
    ).raise_for_status()
    started, wall = time.monotonic(), time.time()
    service.post(
        {
            "event_id": f"lat-{n}-c",
            "type": "InstitutionClosed",
            "occurred_at": now.isoformat(),
            "institution_id": iid,
            "emergency": True,
        }
    ).raise_for_status()
    mail = service.wait_until(
        lambda: [m for m in mailbox.to(DUTY, "5 名幼儿待安置") if m.received > started], timeout=600, every=0.1
    )[0]

    def recorded():
        alerts = service.http.get("/api/oncall", params={"status": "firing"}).json()["alerts"]
        return [a for a in alerts if a["alertname"] == "EmergencyClosureOpen" and a["labels"]["township"] == township]

    alert = service.wait_until(recorded, timeout=600, every=0.2)[0]
    service.post(
        {
            "event_id": f"lat-{n}-r",
            "type": "ChildrenRehomed",
            "occurred_at": now.isoformat(),
            "institution_id": iid,
            "children": 5,
        }
    ).raise_for_status()
    return mail.received - started, datetime.fromisoformat(alert["first_notified_at"]).timestamp() - wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", choices=["fast", "production"], default="production")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    to_mail, to_record = [], []
    with smtp_server() as mailbox, tempfile.TemporaryDirectory(prefix="tuoyu-latency-") as tmp:
        config = profile(args.profile, mailbox.port)
        with running_service(Path(tmp), alerting=config, scrape_interval=SCRAPE[args.profile]) as (service, _):
            for n in range(args.runs):
                mail, record = one_run(service, mailbox, n)
                to_mail.append(mail)
                to_record.append(record)
                print(f"run {n + 1}: mail {mail:.1f} s, record {record:.1f} s", file=sys.stderr, flush=True)
    r, a = config.rules, config.alertmanager
    bound = (
        Duration(SCRAPE[args.profile]).seconds
        + r.evaluation_interval.seconds
        + r.emergency_closure_for.seconds
        + a.critical_group_wait.seconds
    )
    print(
        "| profile | runs | API call → mail, median | max | → on-call record, median | worst case of the tunables "
        "(scrape + evaluation + for + group_wait) | max / worst case |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.profile} | {args.runs} | {statistics.median(to_mail):.1f} s | {max(to_mail):.1f} s | "
        f"{statistics.median(to_record):.1f} s | {bound:.0f} s ({SCRAPE[args.profile]} + {r.evaluation_interval} + "
        f"{r.emergency_closure_for} + {a.critical_group_wait}) | {max(to_mail) / bound:.2f} |"
    )


if __name__ == "__main__":
    main()
