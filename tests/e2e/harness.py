"""Running the real thing for end-to-end tests and benches: `tuoyu serve` in its own process,
with real Prometheus and Alertmanager beside it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tests.support.ports import free_port
from tuoyu.alerts.config import Config, packaged_config
from tuoyu.service.alerting import start_alerting

TUOYU = str(Path(sys.executable).parent / "tuoyu")


def fast_tunables(**changes: Any) -> Config:
    """The real rules and routes with the clock turned up: what takes minutes in production
    takes seconds here. Everything else (expressions, labels, inhibitions) is unchanged. No mail
    or WeCom unless a test sets `receivers.*` (and `routing.*`) to its own servers (`changes`,
    dotted names)."""
    fast = {
        f"rules.{name}": "1s"
        for name in ("evaluation_interval", "emergency_closure_for", "pending_for", "after_due_grace")
    }
    fast |= {
        "rules.keep_firing_for": "20s",
        "rules.projection_lag_for": "5s",
        "rules.metrics_absent_for": "5s",
        "rules.target_down_for": "2s",
        "rules.notification_failure_window": "30s",
    }
    fast |= {
        f"alertmanager.{name}": "1s"
        for name in (
            "recorder_group_wait",
            "critical_group_wait",
            "critical_group_interval",
            "warning_group_wait",
            "warning_group_interval",
        )
    }
    fast |= {
        "alertmanager.critical_repeat_interval": "1m",
        "alertmanager.warning_repeat_interval": "1m",
        "alertmanager.escalate_after": "1m",
        "alertmanager.watchdog_url": "",
        "alertmanager.working_hours.times": [{"start_time": "00:00", "end_time": "24:00"}],
        "alertmanager.working_hours.weekdays": ["sunday:saturday"],
        "receivers.email.to": "",
        "receivers.wecom.corp_id": "",
        "routing.units": [],
        "routing.townships": [],
    }
    return packaged_config().replace(**{**fast, **changes})


class Service:
    def __init__(self, base: str, env: dict[str, str], admin: str):
        self.base, self.env, self.admin = base, env, admin
        self.http = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {admin}"})
        self.process: subprocess.Popen[bytes] | None = None
        self.log: Any = None

    def start(self) -> None:
        port = self.base.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [TUOYU, "serve", "--port", port], env=self.env, stdout=self.log, stderr=self.log
        )
        self.wait_until(lambda: _healthy(self), timeout=30)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def post(self, events: Any) -> httpx.Response:
        return self.http.post("/api/events", json=events)

    def wait_until(self, what, timeout: float = 60.0, every: float = 0.2):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = what()
            if found:
                return found
            time.sleep(every)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what.__doc__ or what}")


@contextmanager
def running_service(
    tmp: Path,
    store: str | None = None,
    alerting: Config | None = None,
    scrape_interval: str = "1s",
    resend_delay: str | None = None,
    now: datetime | None = None,
) -> Iterator[tuple[Service, Any]]:
    """`tuoyu serve` on a fresh store in `tmp`; with `alerting` tunables, Prometheus scraping it
    and Alertmanager posting to its webhook."""
    port, prometheus_port, alertmanager_port = free_port(), free_port(), free_port()
    env = {**os.environ, "TUOYU_DATA_DIR": str(tmp), "TUOYU_ALERT_WEBHOOK_SECRET": "e2e-secret"}
    if alerting is not None:  # acknowledgements silence alerts in the Alertmanager started below
        env["TUOYU_ALERTMANAGER_URL"] = f"http://127.0.0.1:{alertmanager_port}"
    if store:
        env["TUOYU_STORE"] = store
    if now is not None:  # the service's clock (and `tuoyu demo`'s, run with service.env) starts there
        env["TUOYU_NOW"] = now.isoformat()
    (tmp / "alert-webhook-secret").write_text("e2e-secret")
    made = subprocess.run(
        [TUOYU, "token", "create", "--role", "admin", "--name", "e2e"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    admin = made.stdout.strip().splitlines()[-1]
    service = Service(f"http://127.0.0.1:{port}", env, admin)
    service.log = (tmp / "serve.log").open("ab")
    stack = None
    try:
        service.start()
        if alerting is not None:
            stack = start_alerting(
                tmp,
                f"127.0.0.1:{port}",
                prometheus_port,
                alertmanager_port,
                alerting,
                scrape_interval,
                resend_delay=resend_delay,
            )
        yield service, stack
    finally:
        if stack is not None:
            stack.stop()
        service.stop()
        service.log.close()


def _healthy(service: Service) -> bool:
    try:
        return service.http.get("/healthz").status_code == 200
    except httpx.HTTPError:
        return False
