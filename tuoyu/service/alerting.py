"""Prometheus and Alertmanager beside the service (embedded default, tests), configured from the
same generator as the committed files and the distributed deployment.

The configuration is rendered at start from the tunables (the packaged copy, or TUOYU_TUNABLES)
with this service's address, and with the secrets read from their files: Alertmanager 0.25 takes
WeCom's API secret only inline, so the rendered alertmanager.yml (mode 0600, in the data
directory) holds it and is never committed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tuoyu.alerts.config import Config, load_config, packaged_config
from tuoyu.alerts.routing import WECOM_SECRET_PLACEHOLDER, Deployment
from tuoyu.dashboards.generated import alertmanager_file, rule_files

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


def running_config(tunables: Path | None = None) -> Config:
    """The tunables `serve --alerting` runs with: TUOYU_TUNABLES's file, else the packaged copy."""
    return load_config(tunables) if tunables else packaged_config()


@dataclass
class AlertingStack:
    prometheus_url: str
    alertmanager_url: str
    commands: dict[str, list[str]] = field(default_factory=dict)
    logs: Path | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str) -> None:
        log = (self.logs / f"{name}.log").open("ab") if self.logs else subprocess.DEVNULL
        self.processes[name] = subprocess.Popen(self.commands[name], stdout=subprocess.DEVNULL, stderr=log)

    def restart(self, name: str) -> None:
        """Stop one of them ("prometheus", "alertmanager") and start it again on the same data."""
        _stop(self.processes[name])
        self.start(name)
        _wait_ready(f"{self.prometheus_url if name == 'prometheus' else self.alertmanager_url}/-/ready", self)

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wecom_secret(config: Config) -> str:
    path = Path(config.receivers.wecom.api_secret_file)
    return path.read_text(encoding="utf-8").strip() if path.is_file() else WECOM_SECRET_PLACEHOLDER


def write_configs(
    workdir: Path, service: str, config: Config, alertmanager: str, prometheus: str, scrape_interval: str = "15s"
) -> tuple[Path, Path]:
    """prometheus.yml and alertmanager.yml (with the rule files) under `workdir`."""
    secret_file = workdir.parent / "alert-webhook-secret"
    (workdir / "rules").mkdir(parents=True, exist_ok=True)
    for name, text in rule_files(config).items():
        (workdir / "rules" / f"{name}.rules.yml").write_text(text, encoding="utf-8")
    deployment = Deployment(f"http://{service}/api/alerts/webhook", str(secret_file), _wecom_secret(config))
    alertmanager_yml = workdir / "alertmanager.yml"
    alertmanager_yml.touch(mode=0o600)
    alertmanager_yml.write_text(alertmanager_file(config, deployment), encoding="utf-8")
    scraping = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": str(config.rules.evaluation_interval)},
        "rule_files": [str(workdir / "rules" / "*.rules.yml")],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        # The service, and the two watchers themselves (their up, restarts, failed notifications).
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [target]}]}
            for job, target in (("tuoyu", service), ("prometheus", prometheus), ("alertmanager", alertmanager))
        ],
    }
    prometheus_yml = workdir / "prometheus.yml"
    prometheus_yml.write_text(yaml.safe_dump(scraping, sort_keys=False))
    return prometheus_yml, alertmanager_yml


def start_alerting(
    data_dir: Path,
    service: str,
    prometheus_port: int = 9090,
    alertmanager_port: int = 9093,
    config: Config | None = None,
    scrape_interval: str = "15s",
    log_dir: Path | None = None,
    external_url: str | None = None,
    resend_delay: str | None = None,
) -> AlertingStack:
    """Start Prometheus and Alertmanager for the service at `service` (host:port); alerts link to
    `external_url` (default: the service's own address). `resend_delay` (Prometheus's, default 1m)
    is how often firing alerts are sent again, and a quarter of how long Alertmanager holds one
    Prometheus stopped sending."""
    prometheus_bin, alertmanager_bin = find_binary(PROMETHEUS_BINARIES), find_binary(ALERTMANAGER_BINARIES)
    if not prometheus_bin or not alertmanager_bin:
        raise FileNotFoundError(
            "Prometheus or Alertmanager is not installed; install Debian's packages "
            "`prometheus` and `prometheus-alertmanager` (apt-get install, as root)"
        )
    ensure_webhook_secret(data_dir)
    workdir = data_dir / "alerting"
    workdir.mkdir(parents=True, exist_ok=True)
    config = (config or packaged_config()).replace(external_url=external_url or f"http://{service}")
    alertmanager, prometheus = f"127.0.0.1:{alertmanager_port}", f"127.0.0.1:{prometheus_port}"
    prometheus_yml, alertmanager_yml = write_configs(
        workdir, service, config, alertmanager, prometheus, scrape_interval
    )
    stack = AlertingStack(f"http://{prometheus}", f"http://{alertmanager}", logs=log_dir or workdir)
    stack.commands["alertmanager"] = [
        alertmanager_bin,
        f"--config.file={alertmanager_yml}",
        f"--storage.path={workdir / 'alertmanager-data'}",
        f"--web.listen-address={alertmanager}",
        "--cluster.listen-address=",
        f"--web.external-url=http://{alertmanager}",
    ]
    stack.commands["prometheus"] = [
        prometheus_bin,
        f"--config.file={prometheus_yml}",
        f"--storage.tsdb.path={workdir / 'prometheus-data'}",
        f"--web.listen-address={prometheus}",
        "--web.enable-lifecycle",
        *([f"--rules.alert.resend-delay={resend_delay}"] if resend_delay else []),
    ]
    for name in ("alertmanager", "prometheus"):
        stack.start(name)
    for url in (f"{stack.prometheus_url}/-/ready", f"{stack.alertmanager_url}/-/ready"):
        _wait_ready(url, stack)
    return stack


def _wait_ready(url: str, stack: AlertingStack, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in stack.processes.values()):
            stack.stop()
            raise RuntimeError(f"Prometheus or Alertmanager exited at start; see the logs in {stack.logs}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    stack.stop()
    raise TimeoutError(f"{url} did not become ready in {timeout:.0f} s")
