"""Running the real thing for end-to-end tests and benches: `tuoyu serve` in its own process,
with real Prometheus and Alertmanager beside it."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import time
from datetime import datetime
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx

from tuoyu.alerts.files import load_tunables
from tuoyu.alerts.files import TUNABLES
from tuoyu import clock
from tuoyu.service.alerting import start_alerting
from tests.support.ports import free_port  # noqa: F401 (re-exported for the e2e tests)

TUOYU = str(Path(sys.executable).parent / "tuoyu")


def fast_tunables() -> dict[str, Any]:
    """The real rules and routes with the clock turned up: what takes minutes in production
    takes seconds here. Everything else (expressions, labels, inhibitions) is unchanged."""
    tunables = copy.deepcopy(load_tunables(TUNABLES))
    tunables["rules"].update(evaluation_interval="1s", emergency_closure_for="1s", after_due_for="1s",
                             rectification_overdue_for="1s", projection_lag_for="5s", metrics_absent_for="5s")
    tunables["alertmanager"].update(critical_group_wait="1s", critical_group_interval="1s",
                                    critical_repeat_interval="1m", warning_group_wait="1s",
                                    warning_group_interval="1s", warning_repeat_interval="1m")
    tunables["alertmanager"]["working_hours"]["times"] = [{"start_time": "00:00", "end_time": "24:00"}]
    tunables["alertmanager"]["working_hours"]["weekdays"] = ["sunday:saturday"]
    return tunables


class Service:
    def __init__(self, base: str, env: dict[str, str], admin: str):
        self.base, self.env, self.admin = base, env, admin
        self.http = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {admin}"})

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
def running_service(tmp: Path, store: str | None = None, alerting: dict[str, Any] | None = None,
                    scrape_interval: str = "1s", now: datetime | None = None) -> Iterator[tuple[Service, Any]]:
    """`tuoyu serve` on a fresh store in `tmp`; with `alerting` tunables, Prometheus scraping it
    and Alertmanager posting to its webhook; with `now`, the service's clock starts there."""
    port = free_port()
    env = {**os.environ, "TUOYU_DATA_DIR": str(tmp), "TUOYU_ALERT_WEBHOOK_SECRET": "e2e-secret"}
    if now is not None:
        env[clock.ENV_VAR] = now.isoformat()
    if store:
        env["TUOYU_STORE"] = store
    (tmp / "alert-webhook-secret").write_text("e2e-secret")
    made = subprocess.run([TUOYU, "token", "create", "--role", "admin", "--name", "e2e"], env=env,
                          capture_output=True, text=True, check=True)
    admin = made.stdout.strip().splitlines()[-1]
    log = (tmp / "serve.log").open("wb")
    server = subprocess.Popen([TUOYU, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    service = Service(f"http://127.0.0.1:{port}", env, admin)
    stack = None
    try:
        service.wait_until(lambda: _healthy(service), timeout=30)
        if alerting is not None:
            stack = start_alerting(tmp, f"127.0.0.1:{port}", free_port(), free_port(), alerting, scrape_interval)
        yield service, stack
    finally:
        if stack is not None:
            stack.stop()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _healthy(service: Service) -> bool:
    try:
        return service.http.get("/healthz").status_code == 200
    except httpx.HTTPError:
        return False
