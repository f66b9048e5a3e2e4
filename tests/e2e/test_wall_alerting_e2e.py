"""`tuoyu serve --alerting` points the wall page at the Prometheus it starts: /api/wall lists the
alerts that Prometheus fires, with no setting by the user."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.support.ports import free_port
from tuoyu.service.alerting import (
    ALERTMANAGER_BINARIES,
    PROMETHEUS_BINARIES,
    find_binary,
)


def test_serve_with_alerting_shows_the_firing_alerts_of_its_own_prometheus_on_the_wall(tmp_path):
    if not (find_binary(PROMETHEUS_BINARIES) and find_binary(ALERTMANAGER_BINARIES)):
        pytest.fail(
            "Prometheus and Alertmanager are needed: `make test` installs Debian's packages "
            "prometheus and prometheus-alertmanager"
        )
    env = {**os.environ, "TUOYU_DATA_DIR": str(tmp_path)}
    env.pop("TUOYU_PROMETHEUS_URL", None)
    port, prometheus = free_port(), free_port()
    cli = [sys.executable, "-m", "tuoyu.service.cli"]
    subprocess.run([*cli, "demo"], env=env, check=True, capture_output=True)
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [
            *cli,
            "serve",
            "--alerting",
            "--port",
            str(port),
            "--prometheus-port",
            str(prometheus),
            "--alertmanager-port",
            str(free_port()),
        ],
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        deadline, alerts = time.monotonic() + 90, None
        while time.monotonic() < deadline:
            try:
                alerts = httpx.get(f"http://127.0.0.1:{port}/api/wall", timeout=5).json()["alerts"]
            except httpx.HTTPError:
                alerts = None
            # The production rules: an open emergency closure fires after its 'for' of the tunables
            # (minutes), so the wall is checked as soon as Prometheus answers it.
            if alerts and alerts["available"]:
                break
            time.sleep(0.5)
        assert alerts and alerts["available"], f"the wall never reached Prometheus: {alerts}; see {log.name}"
        # The wall lists exactly what its own Prometheus fires (its answer is cached for a few
        # seconds, so the two are compared again until they agree or 15 s pass).
        deadline = time.monotonic() + 15
        while True:
            firing = sorted(
                a["labels"]["alertname"]
                for a in httpx.get(f"http://127.0.0.1:{prometheus}/api/v1/alerts").json()["data"]["alerts"]
                if a["state"] == "firing"
            )
            shown = sorted(
                a["labels"]["alertname"]
                for a in httpx.get(f"http://127.0.0.1:{port}/api/wall", timeout=5).json()["alerts"]["firing"]
            )
            if shown == firing:
                break
            assert time.monotonic() < deadline, f"the wall shows {shown}, its Prometheus fires {firing}"
            time.sleep(0.5)
        server.terminate()
        assert server.wait(15) == 0
        with pytest.raises(httpx.HTTPError):  # stopping the service stops the Prometheus it started
            httpx.get(f"http://127.0.0.1:{prometheus}/-/ready", timeout=2)
    finally:
        if server.poll() is None:
            server.kill()
        log.close()
