"""Personal data on both stores: held apart from the chain as salted digests, erased by
`tuoyu audit redact` with a recorded reason while `tuoyu verify` stays green, and in bundles
only for a recipient allowed to see it; a township's bundle shows that township alone."""

from __future__ import annotations

import orjson
import pytest

from tests.integration.audit_helpers import Tables, run, verdict
from tests.support.builders import closed, enrolled, filed, open_app, record
from tuoyu.audit.trail import trail
from tuoyu.service.config import Settings

NOTE = "家长张三反映: 电话 13800000000"
ADDRESS = "新桥大街 1 号 3 单元 502"


@pytest.fixture
def personal(store_settings: Settings) -> Tables:
    app = open_app(store_settings)
    try:
        record(
            app,
            filed("P1", address=ADDRESS, operator="李四", note=NOTE),
            enrolled("P1", 3),
            filed("Q1", township="longquan"),
            closed("P1", emergency=False, reason="负责人王五病休"),
        )
    finally:
        app.close()
    return Tables(store_settings)


def test_personal_values_are_not_in_the_chained_event_only_their_salted_digests(personal):
    state = personal.state(1).decode()
    assert (
        NOTE not in state
        and ADDRESS not in state
        and "李四" not in state
        and '"recorded_by"' not in state.split('"personal"')[0]
    )
    held = orjson.loads(personal.state(1))["personal"]
    assert sorted(held) == ["event.address", "event.note", "event.operator", "recorded_by"]
    app = open_app(personal.settings)
    try:
        entries = trail(app.recorder, "P1")
    finally:
        app.close()
    assert entries[0]["event"]["note"] == NOTE and entries[0]["event"]["address"] == ADDRESS  # readers see them
    assert entries[0]["recorded_by"] == "test"


def test_a_redaction_erases_the_value_records_why_and_keeps_verify_green(personal, store_env, monkeypatch, capsys):
    code, out, err = run(
        store_env,
        monkeypatch,
        capsys,
        "audit",
        "redact",
        "1",
        "event.note",
        "--reason",
        "个人信息删除申请 2026-118",
        "--by",
        "privacy-officer",
    )
    assert code == 0, err
    assert verdict(store_env, monkeypatch, capsys)[0] == 0
    held = personal.execute("SELECT value FROM tuoyu_personal")
    assert all(NOTE not in row[0] for row in held)
    code, out, _ = run(store_env, monkeypatch, capsys, "audit", "trail", "P1", "--json")
    first = orjson.loads(out)["events"][0]
    assert "note" not in first["event"] and first["event"]["address"] == ADDRESS
    newest = orjson.loads(personal.state(5))  # the redaction is an event in the record
    assert newest["event"]["type"] == "PersonalDataRedacted"
    assert (newest["event"]["position"], newest["event"]["field"]) == (1, "event.note")
    assert newest["event"]["reason"] == "个人信息删除申请 2026-118"
    again = run(store_env, monkeypatch, capsys, "audit", "redact", "1", "event.note", "--reason", "again")
    assert again[0] == 1 and "already" in again[2]


def test_a_redaction_of_a_field_without_personal_data_is_refused_naming_the_fields(
    personal, store_env, monkeypatch, capsys
):
    code, _, err = run(store_env, monkeypatch, capsys, "audit", "redact", "2", "event.children", "--reason", "x")
    assert code == 1 and "recorded_by" in err


def test_a_bundle_carries_personal_values_only_when_asked_and_verifies_them(
    personal, store_env, monkeypatch, capsys, tmp_path
):
    plain, full = tmp_path / "plain", tmp_path / "full"
    assert run(store_env, monkeypatch, capsys, "audit", "export", "--as-of", "2030-01-01", str(plain))[0] == 0
    assert (
        run(store_env, monkeypatch, capsys, "audit", "export", "--as-of", "2030-01-01", "--personal", str(full))[0] == 0
    )
    assert NOTE not in "".join(p.read_text() for p in plain.iterdir())
    assert NOTE in (full / "personal.jsonl").read_text()
    key = run(store_env, monkeypatch, capsys, "audit", "key")[1].strip()
    for bundle in (plain, full):
        assert run({}, monkeypatch, capsys, "verify", "--bundle", str(bundle), "--key", key)[0] == 0
    forged = (full / "personal.jsonl").read_text().replace("王五", "赵六")
    (full / "personal.jsonl").write_text(forged)
    code, _, err = run({}, monkeypatch, capsys, "verify", "--bundle", str(full), "--key", key)
    assert code == 1 and "personal.jsonl" in err


def test_a_townships_bundle_holds_its_events_alone_each_proved_in_the_signed_log(
    personal, store_env, monkeypatch, capsys, tmp_path
):
    bundle = tmp_path / "longquan"
    assert (
        run(
            store_env,
            monkeypatch,
            capsys,
            "audit",
            "export",
            "--as-of",
            "2030-01-01",
            "--township",
            "longquan",
            str(bundle),
        )[0]
        == 0
    )
    lines = [orjson.loads(line) for line in (bundle / "events.jsonl").read_bytes().splitlines()]
    assert [line["position"] for line in lines] == [3]  # Q1's filing; nothing of dayu's P1
    key = run(store_env, monkeypatch, capsys, "audit", "key")[1].strip()
    code, out, err = run({}, monkeypatch, capsys, "replay", "--bundle", str(bundle), "--json", "--key", key)
    assert code == 0, err
    snapshot = orjson.loads(out)
    assert snapshot["townships"]["longquan"]["slots_total"] == 20 and snapshot["townships"]["dayu"]["slots_total"] == 0
    lines[0]["state"] = lines[0]["state"].replace('"slots":20', '"slots":200')
    (bundle / "events.jsonl").write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    code, _, err = run({}, monkeypatch, capsys, "verify", "--bundle", str(bundle), "--key", key)
    assert code == 1 and "not in the signed log" in err


def test_replay_of_a_bundle_verifies_it_first_and_refuses_an_emptied_one(
    personal, store_env, monkeypatch, capsys, tmp_path
):
    bundle = tmp_path / "bundle"
    assert run(store_env, monkeypatch, capsys, "audit", "export", "--as-of", "2030-01-01", str(bundle))[0] == 0
    (bundle / "events.jsonl").write_bytes(b"")
    manifest = orjson.loads((bundle / "manifest.json").read_bytes())
    manifest["files"]["events.jsonl"] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    (bundle / "manifest.json").write_bytes(orjson.dumps(manifest))
    code, out, err = run({}, monkeypatch, capsys, "replay", "--bundle", str(bundle), "--json")
    assert code == 1 and out == "" and "不重放" in err


def test_a_bundle_whose_snapshot_and_manifest_were_rewritten_together_fails(
    personal, store_env, monkeypatch, capsys, tmp_path
):
    """snapshot.json changed and its hash fixed in manifest.json: the replay tells."""
    import hashlib

    bundle = tmp_path / "bundle"
    assert run(store_env, monkeypatch, capsys, "audit", "export", "--as-of", "2030-01-01", str(bundle))[0] == 0
    snapshot = orjson.loads((bundle / "snapshot.json").read_bytes())
    snapshot["district"]["slots_total"] += 100
    data = orjson.dumps(snapshot)
    (bundle / "snapshot.json").write_bytes(data)
    manifest = orjson.loads((bundle / "manifest.json").read_bytes())
    manifest["files"]["snapshot.json"] = hashlib.sha256(data).hexdigest()
    (bundle / "manifest.json").write_bytes(orjson.dumps(manifest))
    code, _, err = run({}, monkeypatch, capsys, "verify", "--bundle", str(bundle))
    assert code == 1 and "snapshot.json is not what the bundle's events replay to" in err
    manifest["as_of"] = "2020-01-01T00:00:00+08:00"  # the manifest's own fields are covered too
    (bundle / "manifest.json").write_bytes(orjson.dumps(manifest))
    assert run({}, monkeypatch, capsys, "verify", "--bundle", str(bundle))[0] == 1


def test_a_redacted_address_leaves_the_live_view_and_the_public_map_and_the_view_equals_a_replay(
    api, store_env, monkeypatch, capsys
):
    from tests.integration.api_helpers import recorded
    from tuoyu.audit.check import check_view

    recorded(api, "registry", filed("MAP", address=ADDRESS, location={"lat": 39.94, "lon": 116.1}))
    api.wait_for_view()
    [feature] = api.client.get("/api/registry").json()["features"]
    assert feature["properties"]["address"] == ADDRESS
    position = api.platform.registry.position()
    assert (
        run(
            store_env,
            monkeypatch,
            capsys,
            "audit",
            "redact",
            str(position),
            "event.address",
            "--reason",
            "家庭托育点停办, 依申请删除",
        )[0]
        == 0
    )
    api.wait_for_view()
    [feature] = api.client.get("/api/registry").json()["features"]
    assert feature["properties"]["address"] is None
    assert ADDRESS not in orjson.dumps(api.platform.projector.view).decode()
    report = check_view(api.platform.registry.recorder, api.platform.projector.views)
    assert report.stored and report.consistent, report.differences
