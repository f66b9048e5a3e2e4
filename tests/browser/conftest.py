"""Fixtures of the browser tests: Debian's chromium (playwright), the demo district served for real
with Prometheus beside it, and pages that must ask nothing of any origin but the service's."""

from __future__ import annotations

import pytest

from tests.browser.live import chromium, chromium_problem, demo_service
from tuoyu.service.alerting import ALERTMANAGER_BINARIES, PROMETHEUS_BINARIES, find_binary

VIEWPORT = {"width": 1920, "height": 1080}


# Package scope, not session: playwright's sync API keeps an event loop running in this thread
# while it is open, and later tests calling asyncio.run would fail.
@pytest.fixture(scope="package")
def browser():
    problem = chromium_problem()
    if problem:
        pytest.fail(problem)  # not a skip: `make test` installs the browser, so missing it is a failure
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="package")
def service(tmp_path_factory):
    if not (find_binary(PROMETHEUS_BINARIES) and find_binary(ALERTMANAGER_BINARIES)):
        pytest.fail(
            "Prometheus and Alertmanager are needed: `make test` installs Debian's packages "
            "prometheus and prometheus-alertmanager"
        )
    with demo_service(tmp_path_factory.mktemp("browser")) as live:
        yield live


def open_page(browser, origin: str):
    """A fresh 1920×1080 page; `page.outside` lists requests to any other origin, `page.errors` the
    script errors."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.outside, page.errors = [], []
    page.on("request", lambda r: None if r.url.startswith((origin + "/", "data:")) else page.outside.append(r.url))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    return page


@pytest.fixture
def page(browser, service):
    opened = open_page(browser, service.base)
    yield opened
    opened.context.close()
    assert opened.outside == [], f"the page asked another origin (it must work offline): {opened.outside}"
    assert opened.errors == [], f"script errors: {opened.errors}"
