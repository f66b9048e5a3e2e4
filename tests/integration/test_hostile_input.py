"""Whatever is accepted can be read back (issue 12, item 1): the values of the hostile probe of
2026-11-30 are stored in the form every reader parses, or refused with the field that is wrong;
and a store that accepted them before is read back by every reader."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.integration.audit_helpers import run
from tests.support.builders import capacity, enrolled, filed, open_app, record, stored_events, target, training
from tests.support.unchecked import record_unchecked
from tuoyu.service.config import Settings
from tuoyu.service.http.app import create_app
from tuoyu.service.wiring import open_platform, open_projector
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import fold_all

TOWNSHIP = "township:dayu"


def post(api, role: str, *events) -> tuple[int, dict]:
    response = api.client.post(
        "/api/events",
        content=orjson.dumps(list(events)),
        headers={**api.headers(role), "Content-Type": "application/json"},
    )
    return response.status_code, response.json()


def every_cli_reader_answers(store_env, monkeypatch, capsys, bundle: Path) -> None:
    """replay (now and as of a date), audit diff, audit export, verify --bundle: exit 0."""
    for argv in (
        ["replay", "--json"],
        ["replay", "--json", "--as-of", "2024-12-31"],
        ["audit", "diff", "--from", "2020-01-01", "--to", "2030-01-01", "--json"],
        ["audit", "export", "--as-of", "2030-01-01", str(bundle)],
        ["verify", "--bundle", str(bundle)],
        ["replay", "--bundle", str(bundle), "--json"],
    ):
        code, out, err = run(store_env, monkeypatch, capsys, *argv)
        assert code == 0, (argv, err)


def test_a_lower_case_z_from_a_township_is_stored_upper_case_and_read_back_by_every_reader(
    api, store_env, tmp_path, monkeypatch, capsys
):
    status, body = post(
        api, TOWNSHIP, filed("T1"), training(people=7, township="dayu", occurred_at="2024-06-01t09:00:00z")
    )
    assert status == 201, body
    assert stored_events(api.platform.registry)[-1]["occurred_at"] == "2024-06-01T09:00:00Z"
    api.wait_for_view()
    assert api.platform.projector.stuck is None
    past = api.client.get("/api/kpi", params={"as_of": "2024-12-31"}, headers=api.headers("auditor"))
    assert past.status_code == 200, past.text
    assert past.json()["district"]["caregivers_trained"] == 7
    changed = api.client.get(
        "/api/audit/diff", params={"from": "2020-01-01", "to": "2030-01-01"}, headers=api.headers("auditor")
    )
    assert changed.status_code == 200, changed.text
    every_cli_reader_answers(store_env, monkeypatch, capsys, tmp_path / "bundle")


@pytest.mark.parametrize("occurred_at", ["0001-01-01T00:00:00+09:00", "1899-12-31T23:00:00+08:00"])
def test_a_time_outside_the_years_every_reader_converts_is_refused_and_nothing_breaks(api, occurred_at):
    assert post(api, TOWNSHIP, filed("T2"))[0] == 201
    status, body = post(api, TOWNSHIP, capacity("T2", 30, occurred_at=occurred_at))
    assert status == 422, body
    assert body["errors"][0]["field"] == "occurred_at" and "1900 to 2999" in body["errors"][0]["message"]
    past = api.client.get("/api/kpi", params={"as_of": "2024-12-31"}, headers=api.headers("auditor"))
    assert past.status_code == 200, past.text


def test_an_institution_id_ending_in_a_newline_is_refused_so_the_public_registry_shows_one(api):
    assert post(api, "registry", filed("MTG-0001"))[0] == 201
    status, body = post(api, "registry", filed("MTG-0001\n"))
    assert status == 422, body
    assert "institution_id" in [e["field"] for e in body["errors"]]
    api.wait_for_view()
    ids = [f["properties"]["institution_id"] for f in api.client.get("/api/registry").json()["features"]]
    assert ids == ["MTG-0001"]


@pytest.mark.parametrize("field", ["name", "address", "operator"])
def test_a_name_with_a_bidirectional_override_never_reaches_the_public_map(api, field):
    status, body = post(api, "registry", filed("MTG-0002", **{field: "托育\u202e中心"}))
    assert status == 422, body
    assert body["errors"][0]["field"] == field and "U+202E" in body["errors"][0]["message"]
    api.wait_for_view()
    assert api.client.get("/api/registry").json()["features"] == []


def test_a_store_that_accepted_them_before_is_read_back_by_every_reader(
    store_settings, store_env, tmp_path, monkeypatch, capsys
):
    """Stored as an earlier version stored them: read in the stored form (docs/decisions.md)."""
    app = open_app(store_settings)
    try:
        record(app, filed("OLD", slots=30))
        record_unchecked(app, training(people=4), occurred_at="2024-06-01t09:00:00z")
        record_unchecked(app, capacity("OLD", 40), occurred_at="0001-01-01T00:00:00+09:00")
        record_unchecked(app, target(), due="9999-12-31")
        record(app, enrolled("OLD", 5))
        replayed, position = fold_all(read_facts(app.recorder))
        assert position == app.position() == 5
    finally:
        app.close()
    with open_projector(store_settings) as projector:
        projector.catch_up()
        assert projector.stuck is None and projector.position == 5
        assert projector.view == replayed
    every_cli_reader_answers(store_env, monkeypatch, capsys, tmp_path / "bundle")
    assert_the_api_reads_it(store_settings)


def assert_the_api_reads_it(settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from tuoyu.service.tokens import create_token

    platform = open_platform(settings)
    try:
        token = create_token(platform.tokens, "auditor")[1]
        with TestClient(create_app(platform), headers={"Authorization": f"Bearer {token}"}) as client:
            for path in (
                "/api/kpi",
                "/api/kpi?as_of=2024-12-31",
                "/api/registry",
                "/api/closures?status=all",
                "/api/wall",
                "/metrics",
                "/api/institutions/OLD",
            ):
                response = client.get(path)
                assert response.status_code == 200, (path, response.text[:500])
            assert client.get("/api/kpi").json()["district"]["slots_total"] == 40
    finally:
        platform.close()
