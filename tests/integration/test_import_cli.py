"""`tuoyu import` as a user runs it: exit codes, messages that say where, all or nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson

from tuoyu.demo.synthetic import synthetic_events

TUOYU = str(Path(sys.executable).parent / "tuoyu")
SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sample-events.jsonl"


def tuoyu(env, *args):
    return subprocess.run([TUOYU, *args], env=env, capture_output=True, text=True, timeout=300)


def position(env) -> int:
    return json.loads(tuoyu(env, "replay", "--json").stdout)["position"]


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def test_a_valid_file_is_recorded_and_the_command_exits_0(store_env, tmp_path):
    result = tuoyu(store_env, "import", str(SAMPLE))
    assert result.returncode == 0, result.stderr
    assert "recorded 15 event(s)" in result.stdout
    assert position(store_env) == 15


def test_one_bad_line_at_the_end_of_a_large_file_records_nothing_and_names_the_line(store_env, tmp_path):
    good = [orjson.dumps(e) for e in synthetic_events(3000, seed=3)]
    source = write_lines(tmp_path / "events.jsonl", [*good, b'{"event_id": "late", "type": "ChildrenEnrolled"}'])
    result = tuoyu(store_env, "import", str(source))
    assert result.returncode == 1
    assert "line 3001 (event_id late) field 'occurred_at': is required by ChildrenEnrolled" in result.stderr
    assert "line 3001 (event_id late) field 'institution_id': is required by ChildrenEnrolled" in result.stderr
    assert "nothing was recorded" in result.stderr
    assert position(store_env) == 0


def test_every_problem_of_a_file_is_printed_with_line_field_and_allowed_values(store_env, tmp_path):
    sample = SAMPLE.read_bytes().splitlines()
    bad_township = orjson.loads(sample[0]) | {"township": "beijing", "event_id": "bad-1", "institution_id": "X1"}
    source = write_lines(
        tmp_path / "events.jsonl",
        [
            *sample[:3],
            b"{not json",
            b"\xff\xfe garbage",
            orjson.dumps(bad_township),
            b'{"event_id": "bad-2", "type": "InstitutionMoved", "occurred_at": "2024-01-01T00:00:00+08:00"}',
            orjson.dumps(
                {
                    "event_id": "bad-3",
                    "type": "ChildrenEnrolled",
                    "occurred_at": "2024-05-01T09:00:00+08:00",
                    "institution_id": "MTG-NOPE",
                    "children": 3,
                }
            ),
            orjson.dumps(orjson.loads(sample[3]) | {"children": "32"}),
        ],
    )
    result = tuoyu(store_env, "import", str(source))
    assert result.returncode == 1
    err = result.stderr
    assert "line 4: the line is not valid JSON" in err
    assert "line 5: the line is not UTF-8 text" in err
    assert "line 6 (event_id bad-1) field 'township': 'beijing' is not allowed; allowed values: dayu, chengzi" in err
    assert (
        "line 7 (event_id bad-2) field 'type': unknown event type 'InstitutionMoved'; allowed: InstitutionFiled" in err
    )
    assert (
        "line 8 (event_id bad-3) field 'institution_id': ChildrenEnrolled rejected: institution MTG-NOPE is not filed"
        in err
    )
    assert "line 9 (event_id s-004) field 'children': must be an integer, got a string '32'" in err
    assert "6 problem(s)" in err
    assert position(store_env) == 0


def test_importing_the_same_file_twice_records_it_once(store_env):
    assert tuoyu(store_env, "import", str(SAMPLE)).returncode == 0
    again = tuoyu(store_env, "import", str(SAMPLE))
    assert again.returncode == 0
    assert "recorded 0 event(s)" in again.stdout and "15 already recorded" in again.stdout
    assert position(store_env) == 15


def test_a_reused_event_id_with_other_content_is_rejected(store_env, tmp_path):
    assert tuoyu(store_env, "import", str(SAMPLE)).returncode == 0
    changed = orjson.loads(SAMPLE.read_bytes().splitlines()[3]) | {"children": 30}
    result = tuoyu(store_env, "import", str(write_lines(tmp_path / "e.jsonl", [orjson.dumps(changed)])))
    assert result.returncode == 1
    assert "event_id s-004 was recorded before with different content" in result.stderr
    assert position(store_env) == 15


def test_skip_invalid_records_the_valid_lines_and_writes_the_rejected_ones_with_reasons(store_env, tmp_path):
    sample = SAMPLE.read_bytes().splitlines()
    source = write_lines(
        tmp_path / "events.jsonl",
        [
            sample[0],
            b"{oops",
            sample[1],
            orjson.dumps(orjson.loads(sample[3]) | {"event_id": "too-many", "children": 41}),
        ],
    )
    rejects = tmp_path / "rejected.jsonl"
    result = tuoyu(store_env, "import", str(source), "--skip-invalid", str(rejects))
    assert result.returncode == 0, result.stderr
    assert "recorded 2 event(s)" in result.stdout and "2 line(s) rejected" in result.stdout
    rejected = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(r["line"], r["field"]) for r in rejected] == [(2, None), (4, "children")]
    assert rejected[0]["text"] == "{oops"
    assert "would make 41 children in 40 slots" in rejected[1]["message"]
    assert position(store_env) == 2


def test_a_missing_file_is_a_usage_error(store_env, tmp_path):
    result = tuoyu(store_env, "import", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_a_store_url_with_an_unknown_scheme_is_refused_with_the_allowed_forms(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "TUOYU_STORE": "mysql://x/y", "TUOYU_DATA_DIR": str(tmp_path)}
    result = tuoyu(env, "replay")
    assert result.returncode == 2
    assert "sqlite:// or postgresql://" in result.stderr
