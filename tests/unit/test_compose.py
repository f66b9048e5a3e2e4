"""docker-compose.yml, checked as code: no Docker engine runs on these machines."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tuoyu.alerts.config import load_config
from tuoyu.dashboards.generated import COMPOSE as COMPOSE_DEPLOYMENT
from tuoyu.dashboards.generated import alertmanager_file

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
TUOYU = str(Path(sys.executable).parent / "tuoyu")
# Read by the platform but deliberately not set in compose, with the reason.
NOT_SET_ON_PURPOSE = {
    "TUOYU_ALERT_WEBHOOK_SECRET": "the API writes the secret into its data volume, which Alertmanager mounts",
    "TUOYU_NOW": "moves the clock for tests and demos; a deployment reads the real time",
    "TUOYU_BODY_READ_TIMEOUT": "its default (30 s) suits a deployment; tests shorten it",
}


def platform_services() -> dict[str, dict]:
    return {name: s for name, s in SERVICES.items() if s.get("image") == "tuoyu:latest"}


def test_the_deployment_has_every_part_of_the_architecture():
    assert {
        "postgres",
        "kafka",
        "api",
        "relay",
        "worker-1",
        "worker-2",
        "prometheus",
        "alertmanager",
        "grafana",
    } <= set(SERVICES)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_names_an_image_or_a_build(name):
    assert SERVICES[name].get("image") or SERVICES[name].get("build"), name


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_file_a_service_mounts_exists_and_every_named_volume_is_declared(name):
    for volume in SERVICES[name].get("volumes", []):
        source = volume.split(":")[0]
        if source.startswith((".", "/")):
            assert (ROOT / source).exists(), f"{name} mounts {source}, which is not in the repository"
        else:
            assert source in COMPOSE["volumes"], f"{name} uses volume {source}, which is not declared"


def test_no_two_services_publish_the_same_host_port():
    published = [port.split(":")[0] for s in SERVICES.values() for port in s.get("ports", [])]
    assert len(published) == len(set(published)), published


def test_every_variable_the_platform_reads_is_set_for_every_platform_service():
    read = set()
    for source in (ROOT / "tuoyu").rglob("*.py"):
        read |= set(re.findall(r"TUOYU_[A-Z_]+", source.read_text(encoding="utf-8")))
    assert read, "found no TUOYU_ variables: the scan is broken"
    for name, service in platform_services().items():
        missing = read - set(service["environment"]) - set(NOT_SET_ON_PURPOSE)
        assert not missing, f"{name} does not set {sorted(missing)}"


@pytest.mark.parametrize("name", ["api", "relay", "worker-1"])
def test_every_platform_command_exists(name):
    command = SERVICES[name]["command"]
    result = subprocess.run([TUOYU, command[0], "--help"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for option in (arg for arg in command[1:] if arg.startswith("--")):
        assert option in result.stdout, f"`tuoyu {command[0]}` has no option {option}"


def test_services_that_serve_have_health_checks_and_dependents_wait_for_them():
    for name in ("postgres", "kafka", "api", "prometheus", "alertmanager", "grafana"):
        assert "healthcheck" in SERVICES[name], name
    for name in platform_services():
        assert SERVICES[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_deployment_alertmanager_config_is_rendered_from_the_tunables():
    expected = alertmanager_file(load_config(ROOT / "alerts" / "tunables.yaml"), COMPOSE_DEPLOYMENT)
    assert (ROOT / "deploy" / "alertmanager.yml").read_text(encoding="utf-8") == expected, "run `make generate`"


def test_prometheus_scrapes_the_api_and_both_workers_and_loads_the_rules():
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text(encoding="utf-8"))
    targets = {t for job in prometheus["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    assert {"api:8000", "worker-1:9108", "worker-2:9108"} <= targets
    mounts = SERVICES["prometheus"]["volumes"]
    assert "./alerts/generated/rules:/etc/prometheus/rules:ro" in mounts
    assert prometheus["rule_files"] == ["/etc/prometheus/rules/*.rules.yml"]
    check = subprocess.run(
        ["promtool", "check", "config", str(ROOT / "deploy" / "prometheus.yml")], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def _grafana_mounts() -> dict[str, Path]:
    """Container path -> repository path of each file or folder Grafana mounts from the repository."""
    mounts = {}
    for volume in SERVICES["grafana"]["volumes"]:
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            mounts[target] = ROOT / source
    return mounts


def _in_grafana(container_path: str) -> Path:
    """The repository file Grafana sees at `container_path` through its mounts."""
    for target, source in sorted(_grafana_mounts().items(), key=lambda item: -len(item[0])):
        if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
            return source / container_path[len(target) :].lstrip("/")
    raise AssertionError(f"Grafana mounts nothing at {container_path}")


def test_grafana_provisions_every_generated_dashboard_from_the_repository():
    from tuoyu.dashboards import dashboards

    provider_files = list((ROOT / "deploy/grafana/provisioning/dashboards").glob("*.yml"))
    assert provider_files, "no dashboards provider"
    assert _in_grafana("/etc/grafana/provisioning/dashboards") == ROOT / "deploy/grafana/provisioning/dashboards"
    providers = [p for f in provider_files for p in yaml.safe_load(f.read_text(encoding="utf-8"))["providers"]]
    folder = _in_grafana(providers[0]["options"]["path"])
    provisioned = {path.name: path for path in folder.glob("*.json")}
    assert set(provisioned) == set(dashboards()), "provisioned files differ from the generated dashboards"
    datasources = yaml.safe_load((ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    uids = {d["uid"] for d in datasources["datasources"]}
    for name, path in provisioned.items():
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["uid"] == dashboards()[name]["uid"], name
        assert {p["datasource"]["uid"] for p in document["panels"]} <= uids, f"{name} names an unprovisioned datasource"


def test_grafana_serves_the_gazetteer_the_township_map_reads():
    from tuoyu.dashboards.geomap import CONTAINER_PATH, gazetteer

    served = _in_grafana(CONTAINER_PATH)
    assert json.loads(served.read_text(encoding="utf-8")) == gazetteer()


def test_grafana_opens_on_the_overview():
    home = SERVICES["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert json.loads(_in_grafana(home).read_text(encoding="utf-8"))["uid"] == "tuoyu-overview"
