"""`tuoyu audit trail|diff|check|export`, and the bundle round trip on a clean machine."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from tests.integration.audit_helpers import Tables, rechain, run
from tests.support.builders import CST, capacity, enrolled, filed, open_app, record
from tuoyu.service.config import Settings

REPO = Path(__file__).resolve().parents[2]
K0 = datetime(2025, 1, 10, 9, 0, tzinfo=CST)
K1 = datetime(2025, 1, 20, 9, 0, tzinfo=CST)


def recorded_at(settings: Settings, moment: datetime, *events) -> None:
    app = open_app(settings, now=moment)
    try:
        record(app, *events)
    finally:
        app.close()


@pytest.fixture
def two_reports(store_settings: Settings) -> Settings:
    """A first report's worth of events recorded on 10 January, then on 20 January a late filing
    (occurred 8 January) and a correction of capacity (occurred 9 January), and a new enrolment."""
    recorded_at(
        store_settings,
        K0,
        filed("A1", slots=20, occurred_at="2025-01-05T09:00:00+08:00"),
        enrolled("A1", 5, occurred_at="2025-01-06T09:00:00+08:00"),
    )
    recorded_at(
        store_settings,
        K1,
        filed("A2", slots=10, township="longquan", occurred_at="2025-01-08T09:00:00+08:00"),
        capacity("A1", 25, occurred_at="2025-01-09T09:00:00+08:00"),
        enrolled("A1", 2, occurred_at="2025-01-18T09:00:00+08:00"),
    )
    return store_settings


# ---- trail -------------------------------------------------------------------------------


def test_the_trail_lists_every_event_of_an_institution_with_times_and_recorder(
    two_reports, store_env, monkeypatch, capsys
):
    code, out, err = run(store_env, monkeypatch, capsys, "audit", "trail", "A1", "--json")
    assert code == 0, err
    trail = orjson.loads(out)["events"]
    assert [
        (e["position"], e["type"], e["occurred_at"][:10], e["recorded_at"][:10], e["recorded_by"]) for e in trail
    ] == [
        (1, "InstitutionFiled", "2025-01-05", "2025-01-10", "test"),
        (2, "ChildrenEnrolled", "2025-01-06", "2025-01-10", "test"),
        (4, "CapacityChanged", "2025-01-09", "2025-01-20", "test"),
        (5, "ChildrenEnrolled", "2025-01-18", "2025-01-20", "test"),
    ]
    code, out, _ = run(store_env, monkeypatch, capsys, "audit", "trail", "A1")
    assert code == 0 and "机构 A1 的审计轨迹 · 共 4 条事件" in out and "CapacityChanged" in out


def test_the_trail_of_an_unknown_institution_says_so_with_exit_1(two_reports, store_env, monkeypatch, capsys):
    code, out, err = run(store_env, monkeypatch, capsys, "audit", "trail", "NOPE")
    assert code == 1 and "NOPE" in err and out == ""


# ---- diff --------------------------------------------------------------------------------


def test_the_diff_shows_the_figures_a_late_filing_and_a_correction_changed(two_reports, store_env, monkeypatch, capsys):
    code, out, err = run(
        store_env,
        monkeypatch,
        capsys,
        "audit",
        "diff",
        "--from",
        "2025-01-15",
        "--to",
        "2025-01-25",
        "--as-of",
        "2025-01-12",
        "--json",
    )
    assert code == 0, err
    diff = orjson.loads(out)
    changes = {c["path"]: (c["before"], c["after"], c["events"]) for c in diff["changes"]}
    # As of 12 January: the late filing of A2 and the corrected capacity of A1 count; the
    # enrolment of 18 January does not (it occurred after as-of).
    assert changes["district.slots_total"][:2] == (20, 35)
    assert changes["townships.dayu.slots_total"] == (20, 25, [4])
    assert changes["townships.longquan.slots_total"] == (0, 10, [3])
    assert "townships.dayu.enrolled" not in changes
    events = {e["position"]: (e["type"], e["late"], e["counted"]) for e in diff["events"]}
    assert events == {
        3: ("InstitutionFiled", True, True),
        4: ("CapacityChanged", True, True),
        5: ("ChildrenEnrolled", False, False),
    }
    assert (diff["position_from"], diff["position_to"]) == (2, 5)


def test_the_diff_without_as_of_is_as_of_the_later_time(two_reports, store_env, monkeypatch, capsys):
    code, out, _ = run(
        store_env, monkeypatch, capsys, "audit", "diff", "--from", "2025-01-15", "--to", "2025-01-25", "--json"
    )
    changes = {c["path"]: (c["before"], c["after"]) for c in orjson.loads(out)["changes"]}
    assert changes["townships.dayu.enrolled"] == (5, 7)
    code, out, _ = run(store_env, monkeypatch, capsys, "audit", "diff", "--from", "2025-01-15", "--to", "2025-01-25")
    assert code == 0 and "townships.dayu.enrolled" in out and "补报/更正" in out


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--from", "2025-13-01", "--to", "2025-01-25"], "--from '2025-13-01'"),
        (["--from", "2025-01-01", "--to", "soon"], "--to 'soon'"),
        (["--from", "2025-01-01", "--to", "2025-01-25", "--as-of", "x"], "--as-of 'x'"),
        (["--from", "2025-02-01", "--to", "2025-01-25"], "is after --to"),
    ],
)
def test_bad_diff_times_are_usage_errors_naming_the_option(store_env, monkeypatch, capsys, argv, says):
    code, _, err = run(store_env, monkeypatch, capsys, "audit", "diff", *argv)
    assert code == 2 and says in err


# ---- check -------------------------------------------------------------------------------


def test_check_finds_the_live_view_equal_to_a_replay_and_reports_a_corrupted_one(
    two_reports, store_env, monkeypatch, capsys
):
    assert run(store_env, monkeypatch, capsys, "project", "--once", "--quiet")[0] == 0
    code, out, err = run(store_env, monkeypatch, capsys, "audit", "check")
    assert code == 0, err
    assert "一致" in out
    tables = Tables(two_reports)
    (state,) = tables.execute("SELECT state FROM tuoyu_views")[0]
    view = orjson.loads(bytes(state))
    view["dayu"]["institutions"]["A1"]["slots"] += 100
    tables.execute("UPDATE tuoyu_views SET state = ?", (orjson.dumps(view),))
    code, out, _ = run(store_env, monkeypatch, capsys, "audit", "check", "--json")
    assert code == 1
    report = orjson.loads(out)
    assert [d["path"] for d in report["differences"]] == ["dayu.institutions.A1.slots"]
    assert report["differences"][0]["live"] == report["differences"][0]["replayed"] + 100


# ---- export and the bundle round trip ----------------------------------------------------


def clean_machine(tmp_path: Path) -> dict[str, str]:
    """Another machine: no store configured, an empty data directory of its own."""
    home = tmp_path / "elsewhere"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUOYU_")}
    return {**env, "TUOYU_DATA_DIR": str(home), "PYTHONPATH": str(REPO)}


def tuoyu(env: dict[str, str], *argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tuoyu.service.cli", *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_bundle_verifies_and_replays_on_a_clean_machine(two_reports, store_env, monkeypatch, capsys, tmp_path):
    bundle = tmp_path / "bundle"
    code, out, err = run(store_env, monkeypatch, capsys, "audit", "export", "--as-of", "2025-01-15", str(bundle))
    assert code == 0, err
    assert sorted(p.name for p in bundle.iterdir()) == [
        "checkpoint",
        "events.jsonl",
        "manifest.json",
        "snapshot.json",
    ]  # no personal values unless asked
    manifest = orjson.loads((bundle / "manifest.json").read_bytes())
    assert (manifest["position"], manifest["events"]) == (2, 2)  # recorded by 15 January

    key = run(store_env, monkeypatch, capsys, "audit", "key")[1].strip()  # the log's public key, published
    env = clean_machine(tmp_path)
    verified = tuoyu(env, "verify", "--bundle", str(bundle), "--key", key, cwd=tmp_path / "elsewhere")
    assert verified.returncode == 0, verified.stderr
    assert "记录完整" in verified.stdout
    replayed = tuoyu(env, "replay", "--bundle", str(bundle), "--json", "--key", key, cwd=tmp_path / "elsewhere")
    assert replayed.returncode == 0, replayed.stderr
    assert orjson.loads(replayed.stdout) == orjson.loads((bundle / "snapshot.json").read_bytes())
    assert orjson.loads(replayed.stdout)["district"]["slots_total"] == 20
    assert list((tmp_path / "elsewhere").iterdir()) == []  # no store was needed, none was made

    # The same snapshot the store replays as of and known at that time.
    code, out, _ = run(
        store_env, monkeypatch, capsys, "replay", "--json", "--as-of", "2025-01-15", "--known-at", "2025-01-15"
    )
    assert orjson.loads(out) == orjson.loads(replayed.stdout)


def exported(store_env, monkeypatch, capsys, tmp_path: Path) -> Path:
    bundle = tmp_path / "bundle"
    assert run(store_env, monkeypatch, capsys, "audit", "export", "--as-of", "2025-01-31", str(bundle))[0] == 0
    return bundle


def bundle_lines(bundle: Path) -> list[dict]:
    return [orjson.loads(line) for line in (bundle / "events.jsonl").read_bytes().splitlines()]


def write_lines(bundle: Path, lines: list[dict]) -> None:
    (bundle / "events.jsonl").write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))


def test_a_modified_bundle_event_is_reported(two_reports, store_env, monkeypatch, capsys, tmp_path):
    bundle = exported(store_env, monkeypatch, capsys, tmp_path)
    lines = bundle_lines(bundle)
    lines[3]["state"] = lines[3]["state"].replace('"slots":25', '"slots":250')
    write_lines(bundle, lines)
    code, result = _bundle_verdict(bundle, monkeypatch, capsys)
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "modified", 4)


def test_a_deleted_bundle_event_is_reported(two_reports, store_env, monkeypatch, capsys, tmp_path):
    bundle = exported(store_env, monkeypatch, capsys, tmp_path)
    write_lines(bundle, [line for line in bundle_lines(bundle) if line["position"] != 2])
    code, result = _bundle_verdict(bundle, monkeypatch, capsys)
    # Event and chain row went together: what remains is a chain that breaks at position 3.
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "modified", 3)


def test_an_edited_bundle_snapshot_is_reported(two_reports, store_env, monkeypatch, capsys, tmp_path):
    bundle = exported(store_env, monkeypatch, capsys, tmp_path)
    snapshot = orjson.loads((bundle / "snapshot.json").read_bytes())
    snapshot["district"]["slots_total"] = 1000
    (bundle / "snapshot.json").write_bytes(orjson.dumps(snapshot))
    code, result = _bundle_verdict(bundle, monkeypatch, capsys)
    assert code == 1 and "snapshot.json" in result["finding"]["detail"]


def test_a_bundle_rewritten_whole_fails_against_a_published_checkpoint(
    two_reports, store_env, monkeypatch, capsys, tmp_path
):
    published = tmp_path / "published.checkpoint"
    assert run(store_env, monkeypatch, capsys, "audit", "checkpoint", "--out", str(published))[0] == 0
    tables = Tables(two_reports)
    tables.set_state(4, tables.state(4).replace(b'"slots":25', b'"slots":250'))
    tables.execute("DROP TABLE tuoyu_chain")  # the intruder has the store chain the altered record...
    rechain(two_reports)
    bundle = exported(store_env, monkeypatch, capsys, tmp_path)  # ...and exports a self-consistent bundle
    assert _bundle_verdict(bundle, monkeypatch, capsys)[0] == 0
    key = run(store_env, monkeypatch, capsys, "audit", "key")[1].strip()
    code, result = _bundle_verdict(bundle, monkeypatch, capsys, "--checkpoint", str(published), "--key", key)
    assert (code, result["finding"]["kind"], result["finding"]["at_or_before"]) == (1, "modified", True)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda line: {**line, "position": str(line["position"])}, "field position must be an integer, not str"),
        (lambda line: {**line, "position": 1}, "field position 1 does not follow position 2"),
        (lambda line: {k: v for k, v in line.items() if k != "topic"}, "field topic must be a string, not missing"),
        (lambda line: {**line, "recorded_at": 20250101}, "field recorded_at must be a string, not int"),
        (lambda line: {**line, "version": True}, "field version must be an integer, not bool"),
        (lambda line: {**line, "link": "zz"}, "fields digest and link must be hexadecimal"),
        (lambda line: [line], "a JSON object is expected"),
    ],
)
def test_a_malformed_bundle_line_is_a_usage_error_naming_line_and_field(
    two_reports, store_env, monkeypatch, capsys, tmp_path, change, said
):
    bundle = exported(store_env, monkeypatch, capsys, tmp_path)
    lines = bundle_lines(bundle)
    lines[2] = change(lines[2])
    write_lines(bundle, lines)
    for command in (["verify", "--bundle", str(bundle)], ["replay", "--bundle", str(bundle)]):
        code, _, err = run({}, monkeypatch, capsys, *command)
        assert code == 2 and "events.jsonl line 3" in err and said in err, (command, err)


def test_a_missing_bundle_is_a_usage_error(monkeypatch, capsys, tmp_path):
    code, _, err = run({}, monkeypatch, capsys, "verify", "--bundle", str(tmp_path / "nope"))
    assert code == 2 and "no such directory" in err
    code, _, err = run({}, monkeypatch, capsys, "replay", "--bundle", str(tmp_path / "nope"))
    assert code == 2 and "no such directory" in err


def test_export_refuses_a_tampered_store(two_reports, store_env, monkeypatch, capsys, tmp_path):
    tables = Tables(two_reports)
    tables.execute(f"DELETE FROM {tables.events} WHERE {tables.position} = 2")
    code, _, err = run(store_env, monkeypatch, capsys, "audit", "export", "--as-of", "2025-01-31", str(tmp_path / "b"))
    assert code == 1 and "deleted" in err


def _bundle_verdict(bundle: Path, monkeypatch, capsys, *argv: str) -> tuple[int, dict]:
    code, out, err = run({}, monkeypatch, capsys, "verify", "--json", "--bundle", str(bundle), *argv)
    assert out, err
    return code, orjson.loads(out)
