"""A reader never moves past what it could not apply (issue 12, item 2): the embedded projector
stops just before a fact whose fold raises, says so (metrics, /healthz, its log), retries with a
growing pause, and goes on once the fact applies; start-up over such a fact reports it."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.builders import enrolled, filed, open_app, record, training
from tests.support.ports import free_port, wait_for_port
from tests.support.processes import LoggedProcess
from tests.support.unchecked import record_unchecked
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_projector, open_registry
from tuoyu.views import projector as projector_module
from tuoyu.views.projector import VIEW_NAME
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import fold_all

TUOYU = str(Path(sys.executable).parent / "tuoyu")


def store_with_a_fact_that_cannot_be_folded(settings: Settings) -> int:
    """Filing, a training session whose stored event lost `people`, an enrolment: positions 1-3;
    the fold raises on position 2 after it has begun to change the view."""
    app = open_app(settings)
    try:
        record(app, filed("A", slots=30))
        bad = record_unchecked(app, training(people=5), people=None)
        record(app, enrolled("A", 4))
        return bad
    finally:
        app.close()


def test_the_projector_stops_before_a_fact_it_cannot_fold_and_never_moves_past_it(store_settings, caplog):
    bad = store_with_a_fact_that_cannot_be_folded(store_settings)
    with caplog.at_level(logging.ERROR, logger=projector_module.__name__), open_projector(store_settings) as projector:
        projector.first_retry_seconds = 0.0  # every round below is a retry
        for _ in range(3):
            projector.catch_up()
        assert projector.position == bad - 1, "the view moved past the fact it could not apply"
        assert projector.stuck is not None and projector.stuck.position == bad
        assert projector.stuck.event_type == "TrainingCompleted" and "KeyError" in projector.stuck.reason
        assert projector.stuck.attempts == 3
        # The view is what was committed before the fact: nothing of it, nothing after it.
        with open_registry(store_settings) as registry:
            before, _ = fold_all(read_facts(registry.recorder, upto=bad - 1))
        assert projector.view == before
    assert "stuck: TrainingCompleted event" in caplog.text and f"at position {bad}" in caplog.text


def test_while_stuck_the_projector_waits_a_growing_pause_between_attempts(store_settings):
    bad = store_with_a_fact_that_cannot_be_folded(store_settings)
    with open_projector(store_settings) as projector:
        projector.first_retry_seconds, projector.max_retry_seconds = 60.0, 600.0
        projector.catch_up()
        projector.catch_up()  # within the pause: not tried again
        assert (projector.stuck.position, projector.stuck.attempts) == (bad, 1)
        pauses = []
        for _ in range(5):
            projector.stuck = projector.stuck.__class__(**{**projector.stuck.__dict__, "retry_at": 0.0})
            projector.catch_up()
            pauses.append(projector.stuck.pause)
        assert pauses == [120.0, 240.0, 480.0, 600.0, 600.0]


def test_the_projector_goes_on_once_the_fact_applies(store_settings, monkeypatch):
    app = open_app(store_settings)
    try:
        record(app, filed("A", slots=30))
        record(app, training(people=5))
        record(app, enrolled("A", 4))
    finally:
        app.close()
    failing = {"position": 2}
    fold = projector_module.apply

    def fold_failing_at(part, fact):  # a fold that cannot apply position 2 until it is fixed
        if fact["position"] == failing["position"]:
            part["position"] = fact["position"]  # as a real fold may have begun to change the view
            raise ValueError("cannot fold this yet")
        return fold(part, fact)

    monkeypatch.setattr(projector_module, "apply", fold_failing_at)
    with open_projector(store_settings) as projector:
        projector.first_retry_seconds = 0.0
        projector.catch_up()
        assert (projector.position, projector.stuck.position) == (1, 2)
        failing["position"] = None  # fixed
        assert projector.catch_up() == 2
        assert projector.stuck is None and projector.position == 3
        with open_registry(store_settings) as registry:
            assert projector.view == fold_all(read_facts(registry.recorder))[0]


def metric_samples(text: str) -> dict[tuple[str, str], float]:
    return {
        (s.name, s.labels.get("view", "")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_and_healthz_say_the_view_is_stuck_and_where(api):
    samples = metric_samples(api.client.get("/metrics").text)
    assert samples[("childcare_projection_stuck", VIEW_NAME)] == 0
    assert samples[("childcare_projection_stuck_position", VIEW_NAME)] == 0
    bad = store_with_a_fact_that_cannot_be_folded(api.settings)
    api.platform.projector.wake()
    stuck = wait_until(lambda: api.platform.projector.stuck)
    assert stuck.position == bad
    samples = metric_samples(api.client.get("/metrics").text)
    assert samples[("childcare_projection_stuck", VIEW_NAME)] == 1
    assert samples[("childcare_projection_stuck_position", VIEW_NAME)] == bad
    health = api.client.get("/healthz").json()
    assert health["status"] == "stuck" and health["projection_lag"] == 2
    assert health["projection_stuck"]["position"] == bad
    assert health["projection_stuck"]["event_type"] == "TrainingCompleted"


def wait_until(condition, timeout: float = 15.0):
    import time

    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return found


def test_serve_starts_over_a_fact_it_cannot_fold_and_reports_it(store_settings, store_env, tmp_path):
    """An empty view rebuilt over the fact at start-up (a new view, a deleted one): the service
    starts, reports the fact, and serves what it could apply."""
    bad = store_with_a_fact_that_cannot_be_folded(store_settings)
    port = free_port()
    server = LoggedProcess(
        [TUOYU, "serve", "--port", str(port)],
        tmp_path / "serve.log",
        env={**store_env, "TUOYU_NOW": "2025-01-15T10:00:00+08:00"},
    )
    try:
        wait_for_port(port, timeout=60)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
        assert health["status"] == "stuck", health
        assert health["projection_stuck"]["position"] == bad and health["projection_position"] == bad - 1
        assert httpx.get(f"http://127.0.0.1:{port}/api/registry", timeout=10).status_code == 200
        metrics = metric_samples(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text)
        assert metrics[("childcare_projection_stuck_position", VIEW_NAME)] == bad
    finally:
        server.stop()
    assert f"at position {bad} cannot be applied" in server.tail(), server.tail()


def test_project_once_over_a_fact_it_cannot_fold_exits_1_and_names_it(store_settings, store_env, monkeypatch, capsys):
    from tests.integration.audit_helpers import run

    bad = store_with_a_fact_that_cannot_be_folded(store_settings)
    code, out, err = run(store_env, monkeypatch, capsys, "project", "--once", "--quiet")
    assert code == 1 and f"投影停在位置 {bad} 之前" in err and "TrainingCompleted" in err
