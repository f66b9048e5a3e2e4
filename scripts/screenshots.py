"""Screenshots of the wall page and the public map at 1920×1080, for the README (docs/wall.png,
docs/map.png): the demo district served for real, with Prometheus firing its alerts, in Debian's
chromium. Run from the repository root: .venv/bin/python scripts/screenshots.py [--out docs]"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.live import chromium, chromium_problem, demo_service  # noqa: E402

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
        context.close()
    return 0


def wait_for_alerts(service, count: int, timeout: float = 60) -> None:
    """Until at least `count` alerts fire and the figures have been scraped (KpiMetricsAbsent,
    which fires while Prometheus has no figures yet, has resolved)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alerts = httpx.get(f"{service.prometheus_url}/api/v1/alerts").json()["data"]["alerts"]
        firing = [a["labels"]["alertname"] for a in alerts if a["state"] == "firing"]
        if len(firing) >= count and "KpiMetricsAbsent" not in firing:
            time.sleep(1.5)  # let the remaining rules of this evaluation fire too
            return
        time.sleep(0.5)
    print(f"fewer than {count} alert(s) fired in {timeout:.0f} s; taking the screenshots anyway", file=sys.stderr)


def shoot(page, path: Path) -> None:
    page.wait_for_timeout(500)  # fonts and the last layout
    page.screenshot(path=str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    sys.exit(main())
