"""Screenshots of the wall page and the public map at 1920×1080, for the README (docs/wall.png,
docs/map.png): the demo district served for real, with Prometheus firing its alerts, in Debian's
chromium. Also docs/supervision-dashboard.png: the supervision dashboard's layout with the panels'
live data from that Prometheus, rendered by scripts/dashboard_picture.py (not Grafana, which cannot
run here; the picture says so). Run from the repository root:
.venv/bin/python scripts/screenshots.py [--out docs]"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.dashboard_picture import render  # noqa: E402
from tests.browser.live import chromium, chromium_problem, demo_service  # noqa: E402
from tuoyu.dashboards import dashboards  # noqa: E402

VIEWPORT = {"width": 1920, "height": 1080}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--alerts", type=int, default=1, help="wait until at least this many alerts fire")
    args = parser.parse_args()
    problem = chromium_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, demo_service(Path(tmp)) as service, chromium() as browser:
        wait_for_alerts(service, args.alerts)
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
        page = context.new_page()
        page.goto(service.base + "/?refresh=1")
        page.wait_for_selector('body[data-state="live"]')
        page.wait_for_selector("#alerts-list [data-alert]", timeout=15000)
        shoot(page, args.out / "wall.png")
        page.goto(service.base + "/map")
        page.wait_for_selector('body[data-loaded="true"]')
        shoot(page, args.out / "map.png")
        # A blank page (the service's pages forbid inline styles by their policy).
        blank = context.new_page()
        with httpx.Client(base_url=service.prometheus_url, timeout=10) as prometheus:
            blank.set_content(render(dashboards()["tuoyu-supervision.json"], prometheus))
        shoot(blank, args.out / "supervision-dashboard.png", full_page=True)
        context.close()
    return 0


def wait_for_alerts(service, count: int, timeout: float = 60) -> None:
    """Until at least `count` alerts fire and the figures have been scraped (KpiMetricsAbsent,
    which fires while Prometheus has no figures yet, has resolved)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alerts = httpx.get(f"{service.prometheus_url}/api/v1/alerts").json()["data"]["alerts"]
        firing = [a["labels"]["alertname"] for a in alerts if a["state"] == "firing"]
        if len(firing) >= count and "KpiMetricsAbsent" not in firing:
            time.sleep(1.5)  # let the remaining rules of this evaluation fire too
            return
        time.sleep(0.5)
    print(f"fewer than {count} alert(s) fired in {timeout:.0f} s; taking the screenshots anyway", file=sys.stderr)


def shoot(page, path: Path, full_page: bool = False) -> None:
    page.wait_for_timeout(500)  # fonts and the last layout
    page.screenshot(path=str(path), full_page=full_page)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    sys.exit(main())
