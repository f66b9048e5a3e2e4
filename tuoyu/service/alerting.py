"""Prometheus and Alertmanager beside the service (embedded default, tests), configured
from the same rendered rules and routes as the distributed deployment."""

from __future__ import annotations

import copy
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tuoyu.alerts.files import TUNABLES, load_tunables, write_files

PROMETHEUS_BINARIES = ("prometheus",)
ALERTMANAGER_BINARIES = ("prometheus-alertmanager", "alertmanager")


def find_binary(names: tuple[str, ...]) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


def ensure_webhook_secret(data_dir: Path) -> str:
    """The shared secret between Alertmanager and the on-call receiver, kept in the data dir.
    It is written to a file only its owner can read (mkstemp's 0600) and renamed into place:
    at no moment does a readable or half-written secret file exist."""
    path = data_dir / "alert-webhook-secret"
    if not path.is_file() or not path.read_text().strip():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".alert-webhook-secret.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(secrets.token_urlsafe(32))
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return path.read_text().strip()


@dataclass
class AlertingStack:
    prometheus_url: str
    alertmanager_url: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def write_configs(workdir: Path, service: str, tunables: dict[str, Any], alertmanager: str,
                  scrape_interval: str = "15s") -> tuple[Path, Path]:
    """prometheus.yml and alertmanager.yml (with the rule files) under `workdir`."""
    secret_file = workdir.parent / "alert-webhook-secret"
    write_files(tunables, workdir, webhook_url=f"http://{service}/api/alerts/webhook", secret_file=str(secret_file))
    prometheus = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": tunables["rules"]["evaluation_interval"]},
        "rule_files": [str(workdir / "rules" / "*.rules.yml")],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        "scrape_configs": [{"job_name": "tuoyu", "metrics_path": "/metrics",
                            "static_configs": [{"targets": [service]}]}],
    }
    prometheus_yml = workdir / "prometheus.yml"
    prometheus_yml.write_text(yaml.safe_dump(prometheus, sort_keys=False))
    return prometheus_yml, workdir / "alertmanager.yml"


def start_alerting(data_dir: Path, service: str, prometheus_port: int = 9090, alertmanager_port: int = 9093,
                   tunables: dict[str, Any] | None = None, scrape_interval: str = "15s",
                   log_dir: Path | None = None) -> AlertingStack:
    """Start Prometheus and Alertmanager for the service at `service` (host:port)."""
    prometheus_bin, alertmanager_bin = find_binary(PROMETHEUS_BINARIES), find_binary(ALERTMANAGER_BINARIES)
    if not prometheus_bin or not alertmanager_bin:
        raise FileNotFoundError("Prometheus or Alertmanager is not installed; install Debian's packages "
                                "`prometheus` and `prometheus-alertmanager` (apt-get install, as root)")
    ensure_webhook_secret(data_dir)
    workdir = data_dir / "alerting"
    workdir.mkdir(parents=True, exist_ok=True)
    tunables = copy.deepcopy(tunables or load_tunables(TUNABLES))
    tunables["runbook_base_url"] = f"http://{service}/runbook"
    alertmanager = f"127.0.0.1:{alertmanager_port}"
    prometheus_yml, alertmanager_yml = write_configs(workdir, service, tunables, alertmanager, scrape_interval)
    logs = log_dir or workdir
    stack = AlertingStack(f"http://127.0.0.1:{prometheus_port}", f"http://{alertmanager}")
    stack.processes.append(subprocess.Popen(
        [alertmanager_bin, f"--config.file={alertmanager_yml}", f"--storage.path={workdir / 'alertmanager-data'}",
         f"--web.listen-address={alertmanager}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=(logs / "alertmanager.log").open("ab")))
    stack.processes.append(subprocess.Popen(
        [prometheus_bin, f"--config.file={prometheus_yml}", f"--storage.tsdb.path={workdir / 'prometheus-data'}",
         f"--web.listen-address=127.0.0.1:{prometheus_port}", "--web.enable-lifecycle"],
        stdout=subprocess.DEVNULL, stderr=(logs / "prometheus.log").open("ab")))
    for url in (f"{stack.prometheus_url}/-/ready", f"{stack.alertmanager_url}/-/ready"):
        _wait_ready(url, stack)
    return stack


def _wait_ready(url: str, stack: AlertingStack, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in stack.processes):
            stack.stop()
            raise RuntimeError(f"Prometheus or Alertmanager exited at start; see the logs beside {url}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    stack.stop()
    raise TimeoutError(f"{url} did not become ready in {timeout:.0f} s")
