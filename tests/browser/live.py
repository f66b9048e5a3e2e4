"""A real service for the browser tests and the screenshots: uvicorn on a free loopback port in a
thread, on a fresh SQLite store holding the demo district, optionally with real Prometheus and
Alertmanager beside it; and Debian's chromium driven by playwright."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from tests.support.demo import DEMO_NOW, DEMO_TODAY
from tuoyu import clock

CHROMIUM = "/usr/bin/chromium"
# No network beyond the page's own service: no updates, sync or safe-browsing calls.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
MISSING_BROWSER = (
    f"Debian's chromium is needed at {CHROMIUM} for the browser tests: `make test` installs it "
    "(scripts/ensure-tools.sh: apt-get install chromium fonts-wqy-microhei, as root)"
)


def chromium_problem() -> str | None:
    """Why the browser tests cannot run, or None."""
    if not Path(CHROMIUM).is_file() and not shutil.which("chromium"):
        return MISSING_BROWSER
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "the playwright package is needed: `make test` installs the project's test extra (pip install -e '.[test]')"
        )
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class LiveService:
    base: str
    platform: Any
    admin: str
    prometheus_url: str | None = None
    alertmanager_url: str | None = None
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base, timeout=30, headers={"Authorization": f"Bearer {self.admin}"})

    def kpi(self) -> dict[str, Any]:
        response = self.http.get("/api/kpi")
        response.raise_for_status()
        return response.json()

    def registry(self) -> list[dict[str, Any]]:
        return self.http.get("/api/registry").json()["features"]

    def post(self, events: Any) -> httpx.Response:
        response = self.http.post("/api/events", json=events)
        assert response.status_code in (200, 201), response.text
        return response


@contextmanager
def serving(app, port: int, lifespan: str = "on") -> Iterator[str]:
    """`app` served by uvicorn on 127.0.0.1:`port` in a thread; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


@contextmanager
def demo_service(tmp: Path, alerting: bool = True) -> Iterator[LiveService]:
    """The demo district served for real; with `alerting`, Prometheus scrapes it every second with
    the fast tunables of the e2e tests, and the wall shows Prometheus's firing alerts."""
    from tests.e2e.harness import fast_tunables
    from tests.support.ports import free_port
    from tuoyu.demo.loading import record_demo
    from tuoyu.service.alerting import start_alerting
    from tuoyu.service.config import Settings
    from tuoyu.service.http.app import create_app
    from tuoyu.service.tokens import create_token
    from tuoyu.service.wiring import open_platform, open_registry

    settings = Settings(data_dir=tmp, store=f"sqlite:///{tmp / 'tuoyu.db'}", alert_webhook_secret="browser-secret")
    (tmp / "alert-webhook-secret").write_text("browser-secret")
    # The demo as of a fixed day, served on that day: the figures never depend on when tests run.
    resources = ExitStack()
    resources.enter_context(clock.set_to(DEMO_NOW, running=True))
    with closing(open_registry(settings)) as registry:
        record_demo(registry, today=DEMO_TODAY)
    platform = open_platform(settings)
    _, admin = create_token(platform.tokens, "admin", "browser-tests")
    port = free_port()
    stack = None
    try:
        if alerting:
            stack = start_alerting(tmp, f"127.0.0.1:{port}", free_port(), free_port(), fast_tunables(), "1s")
        app = create_app(
            platform,
            prometheus_url=stack.prometheus_url if stack else None,
            alertmanager_url=stack.alertmanager_url if stack else None,
        )
        with serving(app, port) as base:
            yield LiveService(
                base,
                platform,
                admin,
                stack.prometheus_url if stack else None,
                stack.alertmanager_url if stack else None,
            )
    finally:
        if stack is not None:
            stack.stop()
        platform.close()
        resources.close()
