"""`tuoyu import` is as guarded as the API (issue 12, item 4): a line nested deeper or larger than
a request of the API may be is a problem on that line, never a traceback; `--skip-invalid`
rejects it and goes on."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.integration.audit_helpers import run
from tests.support.builders import filed, training
from tuoyu.service.http.body import MAX_BODY_BYTES  # the API's limit, which import applies to a line


def nested_note(levels: int) -> bytes:
    """An event whose note nests `levels` arrays (more than orjson writes, so spliced in)."""
    return orjson.dumps(training(note="NOTE")).replace(b'"NOTE"', b"[" * levels + b"]" * levels)


def write(path: Path, *lines: bytes) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


GOOD = [orjson.dumps(filed("L1")), orjson.dumps(training(people=3))]
DEEP = nested_note(1000)  # about the depth of the probe's RecursionError
DEEPER_THAN_JSON_PARSERS_GO = b"[" * 2000 + b"]" * 2000
LONGER_THAN_A_REQUEST = orjson.dumps(training(note="x" * MAX_BODY_BYTES))


def stored_positions(env, monkeypatch, capsys) -> int:
    code, out, err = run(env, monkeypatch, capsys, "replay", "--json")
    assert code == 0, err
    return orjson.loads(out)["position"]


def test_a_line_nested_a_thousand_levels_deep_is_a_problem_of_its_line_and_nothing_is_recorded(
    store_env, tmp_path, monkeypatch, capsys
):
    source = write(tmp_path / "events.jsonl", GOOD[0], DEEP, GOOD[1])
    code, out, err = run(store_env, monkeypatch, capsys, "import", str(source))
    assert code == 1, err
    assert "line 2 " in err and "more than 32 levels deep" in err and "Traceback" not in err
    assert "1 problem(s)" in err and "nothing was recorded" in err
    assert stored_positions(store_env, monkeypatch, capsys) == 0


def test_skip_invalid_rejects_deep_and_over_long_lines_and_records_the_rest(store_env, tmp_path, monkeypatch, capsys):
    source = write(
        tmp_path / "events.jsonl", GOOD[0], DEEP, DEEPER_THAN_JSON_PARSERS_GO, LONGER_THAN_A_REQUEST, GOOD[1]
    )
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = run(store_env, monkeypatch, capsys, "import", "--skip-invalid", str(rejects), str(source))
    assert code == 0, err
    assert "recorded 2 event(s) from 5 line(s)" in out and "3 line(s) rejected" in out
    rejected = [orjson.loads(line) for line in rejects.read_bytes().splitlines()]
    assert [(r["line"], r["message"]) for r in rejected] == [
        (2, "the event nests arrays and objects more than 32 levels deep; no event nests so deep"),
        (3, "the line nests arrays and objects more than 32 levels deep; no event nests so deep"),
        (
            4,
            f"the line is longer than {MAX_BODY_BYTES:,} bytes, the most the API takes in one request; "
            "one line holds one event",
        ),
    ]
    assert len(rejected[2]["text"]) < 1000, "an over-long line is not copied whole into the rejects file"
    assert stored_positions(store_env, monkeypatch, capsys) == 2
