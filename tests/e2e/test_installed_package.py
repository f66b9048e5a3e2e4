"""The installed package is the product: the wheel `pip install .` builds, installed into a clean
virtualenv without the test extras (as the Docker image installs it), runs from a directory with
no source tree: the service answers its pages, the generator writes its files, the worker starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.ports import free_port
from tests.support.processes import LoggedProcess

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin directory of a fresh virtualenv holding only the wheel and its run-time dependencies."""
    work = tmp_path_factory.mktemp("installed")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(work / "wheels"), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (work / "wheels").glob("tuoyu-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True, timeout=120)
    bin_dir = work / "venv" / "bin"
    subprocess.run(
        [str(bin_dir / "pip"), "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return bin_dir


def run(installed: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(installed / "tuoyu"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "TUOYU_DATA_DIR": str(cwd / "var")},
    )


def test_the_clean_virtualenv_has_the_package_and_not_the_test_extras(installed):
    assert (installed / "tuoyu").is_file()
    assert not (installed / "pytest").exists()
    found = subprocess.run(
        [str(installed / "python"), "-c", "import tuoyu, pathlib; print(tuoyu.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    assert "site-packages" in found.stdout and str(ROOT) not in found.stdout


def test_the_installed_service_serves_the_wall_the_runbook_metrics_and_health(installed, tmp_path):
    port = free_port()
    service = LoggedProcess(
        [str(installed / "tuoyu"), "serve", "--port", str(port)],
        tmp_path / "serve.log",
        env={"PATH": "/usr/bin:/bin", "TUOYU_DATA_DIR": str(tmp_path / "var")},
        cwd=tmp_path,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        service.wait_until_answering(f"{base}/healthz", timeout=60)
        assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
        wall = httpx.get(f"{base}/")
        assert wall.status_code == 200 and "托育" in wall.text
        runbook = httpx.get(f"{base}/runbook")
        assert runbook.status_code == 200 and "## EmergencyClosureOpen" in runbook.text, runbook.text[:200]
        metrics = httpx.get(f"{base}/metrics").text
        assert "childcare_slots{" in metrics and "childcare_events_recorded" in metrics
    finally:
        service.stop()


def test_the_installed_generator_writes_the_rules_routes_and_dashboards(installed, tmp_path):
    done = run(installed, "generate", "--root", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = {p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert any(name.endswith(".rules.yml") for name in written), written
    assert any(name.endswith("alertmanager.yml") for name in written), written
    assert any(name.endswith(".json") for name in written), written


def test_the_installed_package_records_the_demo_and_writes_the_report(installed, tmp_path):
    """The report's template and stylesheet are package data: the report renders from the wheel."""
    assert run(installed, "demo", "--today", "2025-03-31", cwd=tmp_path).returncode == 0
    for name in ("report.html", "report.pdf"):
        done = run(installed, "report", "--as-of", "2024-12-31", "--out", str(tmp_path / name), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert "托育服务工作监测报告" in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF-")


def test_the_installed_worker_command_starts(installed, tmp_path):
    done = run(installed, "worker", "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "--metrics-port" in done.stdout
