"""Alert latency: from the API call recording an emergency closure to the on-call receiver
getting EmergencyClosureOpen from Alertmanager, on the real Prometheus and Alertmanager.

    .venv/bin/python bench/alert_latency.py [--profile fast|production] [--runs 3]

`production` uses alerts/tunables.yaml as shipped (scrape 15 s, evaluation 30 s, for 1 m,
group_wait 30 s); `fast` the test profile (every step 1 s). Prints a Markdown table with the
measured latency beside its parts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.harness import fast_tunables, running_service  # noqa: E402
from tuoyu.alerts.files import load_tunables  # noqa: E402
from tuoyu.alerts.files import TUNABLES  # noqa: E402


def one_run(service, n: int) -> float:
    now = datetime.now(timezone.utc)
    iid = f"LAT-{n}"
    service.post([
        {"event_id": f"lat-{n}-f", "type": "InstitutionFiled", "occurred_at": (now - timedelta(days=9)).isoformat(),
         "institution_id": iid, "name": f"延迟测试{n}", "township": "datai", "kind": "community", "slots": 20,
         "inclusive": True},
        {"event_id": f"lat-{n}-e", "type": "ChildrenEnrolled", "occurred_at": (now - timedelta(days=8)).isoformat(),
         "institution_id": iid, "children": 5}]).raise_for_status()
    started = time.time()
    service.post({"event_id": f"lat-{n}-c", "type": "InstitutionClosed", "occurred_at": now.isoformat(),
                  "institution_id": iid, "emergency": True}).raise_for_status()

    def firing():
        alerts = service.http.get("/api/oncall", params={"status": "firing"}).json()["alerts"]
        return [a for a in alerts if a["alertname"] == "EmergencyClosureOpen" and a["labels"].get("township") == "datai"]
    alert = service.wait_until(firing, timeout=600, every=0.1)[0]
    latency = datetime.fromisoformat(alert["first_notified_at"]).timestamp() - started
    service.post({"event_id": f"lat-{n}-r", "type": "ChildrenRehomed", "occurred_at": now.isoformat(),
                  "institution_id": iid, "children": 5}).raise_for_status()

    def resolved():
        alerts = service.http.get("/api/oncall", params={"status": "resolved"}).json()["alerts"]
        return [a for a in alerts if a["fingerprint"] == alert["fingerprint"]]
    service.wait_until(resolved, timeout=600, every=0.2)
    return latency


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", choices=["fast", "production"], default="fast")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tunables = fast_tunables() if args.profile == "fast" else load_tunables(TUNABLES)
    scrape = "1s" if args.profile == "fast" else "15s"
    latencies = []
    with tempfile.TemporaryDirectory(prefix="tuoyu-latency-") as tmp:
        with running_service(Path(tmp), alerting=tunables, scrape_interval=scrape) as (service, _):
            for n in range(args.runs):
                latencies.append(one_run(service, n))
                print(f"run {n + 1}: {latencies[-1]:.1f} s", file=sys.stderr, flush=True)
    r, a = tunables["rules"], tunables["alertmanager"]
    print("| profile | runs | latency median (s) | max (s) | scrape | evaluation | for | group_wait |")
    print("|---|---:|---:|---:|---|---|---|---|")
    print(f"| {args.profile} | {args.runs} | {statistics.median(latencies):.1f} | {max(latencies):.1f} | {scrape} | "
          f"{r['evaluation_interval']} | {r['emergency_closure_for']} | {a['critical_group_wait']} |")


if __name__ == "__main__":
    main()
