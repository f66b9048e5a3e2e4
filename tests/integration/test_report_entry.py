"""`tuoyu report` and GET /api/report: exit codes and errors for bad input (nothing written),
roles, formats, and the same bytes from both."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
import pytest

from tests.integration.api_helpers import ROLES, recorded
from tests.integration.audit_helpers import Tables, run
from tests.support.builders import CST, enrolled, filed, open_app, record, target
from tests.support.report import read_report
from tuoyu.service.config import Settings

K0 = datetime(2025, 1, 10, 9, 0, tzinfo=CST)
EVENTS = (
    target("district", "slots_total", 100, start="2024-01-01", due="2024-12-31"),
    filed("A1", slots=30, occurred_at="2024-03-01T09:00:00+08:00"),
    enrolled("A1", 4),
)


@pytest.fixture
def stored(store_settings: Settings) -> Settings:
    app = open_app(store_settings, now=K0)
    try:
        record(app, *EVENTS)
    finally:
        app.close()
    return store_settings


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    """A folder of its own for the reports (the SQLite store lives in tmp_path)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def report(env, monkeypatch, capsys, *argv: str) -> tuple[int, str, str]:
    return run(env, monkeypatch, capsys, "report", *argv)


# ---- the command -------------------------------------------------------------------------


def test_the_command_writes_html_or_pdf_by_the_extension_of_out(stored, store_env, monkeypatch, capsys, outputs):
    code, out, err = report(store_env, monkeypatch, capsys, "--as-of", "2025-01-10", "--out", str(outputs / "r.html"))
    assert code == 0, err
    assert "已生成监测报告" in out and read_report((outputs / "r.html").read_bytes()).facts["托位总数"] == "30个"
    assert [p.name for p in outputs.iterdir()] == ["r.html"]  # no temporary file left behind


# The PDF does not depend on the kind of store: once, on SQLite.
@pytest.mark.slow
@pytest.mark.parametrize("store_settings", ["sqlite"], indirect=True)
def test_the_command_writes_a_pdf_for_a_pdf_out(stored, store_env, monkeypatch, capsys, outputs):
    code, _, err = report(store_env, monkeypatch, capsys, "--as-of", "2025-01-10", "--out", str(outputs / "r.PDF"))
    assert code == 0, err
    assert (outputs / "r.PDF").read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--as-of", "2024-13-01"], "--as-of '2024-13-01' is not a date"),
        (["--as-of", "yesterday"], "--as-of 'yesterday' is not a date"),
        (["--as-of", "2025-01-10", "--known-at", "2025-02-30"], "--known-at '2025-02-30' is not a date"),
        (["--as-of", "0001-01-01T00:00:00+14:00"], "out of range"),
    ],
)
def test_a_bad_date_is_a_usage_error_that_names_the_option_and_writes_nothing(
    stored, store_env, monkeypatch, capsys, outputs, argv, says
):
    code, out, err = report(store_env, monkeypatch, capsys, *argv, "--out", str(outputs / "r.html"))
    assert code == 2 and says in err and out == ""
    assert list(outputs.iterdir()) == []


@pytest.mark.parametrize("name", ["r.docx", "r", "r.html.txt"])
def test_an_out_that_is_neither_html_nor_pdf_is_a_usage_error(stored, store_env, monkeypatch, capsys, outputs, name):
    code, _, err = report(store_env, monkeypatch, capsys, "--as-of", "2025-01-10", "--out", str(outputs / name))
    assert code == 2 and ".html" in err and ".pdf" in err and name in err
    assert list(outputs.iterdir()) == []


def test_an_out_that_cannot_be_written_is_a_usage_error_that_names_it(stored, store_env, monkeypatch, capsys, outputs):
    (outputs / "folder.html").mkdir()
    for out in (outputs / "missing" / "r.html", outputs / "folder.html", Path("/proc/r.html")):
        code, _, err = report(store_env, monkeypatch, capsys, "--as-of", "2025-01-10", "--out", str(out))
        assert code == 2 and str(out) in err and "无法写入" in err, err
    assert [p.name for p in outputs.iterdir()] == ["folder.html"]


def test_an_altered_record_gets_no_report_exit_1_and_an_older_report_stays(
    stored, store_env, monkeypatch, capsys, outputs
):
    out = outputs / "r.html"
    out.write_bytes(b"the report of last month")
    tables = Tables(stored)
    state = orjson.loads(tables.state(2))
    state["event"]["slots"] = 31
    tables.set_state(2, orjson.dumps(state))
    code, _, err = report(store_env, monkeypatch, capsys, "--as-of", "2025-01-10", "--out", str(out))
    assert code == 1 and "记录未通过校验" in err and "position 2" in err
    assert out.read_bytes() == b"the report of last month" and [p.name for p in outputs.iterdir()] == ["r.html"]


# ---- the route ---------------------------------------------------------------------------


@pytest.fixture
def served(api):
    api.platform.registry.clock = lambda: K0
    recorded(api, "admin", *EVENTS)
    return api


def test_only_auditors_and_admins_read_the_report(served):
    for role in ROLES:
        response = served.client.get("/api/report?as_of=2025-01-10", headers=served.headers(role))
        if role in ("auditor", "admin"):
            assert response.status_code == 200, (role, response.text)
            assert response.headers["content-type"] == "text/html; charset=utf-8"
        else:
            assert response.status_code == 403, (role, response.text)
            assert "auditor" in response.json()["error"] and role in response.json()["error"]
    assert served.client.get("/api/report?as_of=2025-01-10").status_code == 401


def test_the_route_gives_the_bytes_the_command_writes(served, monkeypatch, capsys, tmp_path):
    env = {"TUOYU_STORE": served.settings.store, "TUOYU_DATA_DIR": str(served.settings.data_dir)}
    out = tmp_path / "r.html"
    code, _, err = report(
        env, monkeypatch, capsys, "--as-of", "2025-01-10", "--known-at", "2025-01-12", "--out", str(out)
    )
    assert code == 0, err
    response = served.client.get(
        "/api/report", params={"as_of": "2025-01-10", "known_at": "2025-01-12"}, headers=served.headers("auditor")
    )
    assert response.content == out.read_bytes()
    assert response.headers["content-disposition"] == 'inline; filename="tuoyu-report-2025-01-10.html"'


@pytest.mark.slow
@pytest.mark.parametrize("store_settings", ["sqlite"], indirect=True)
def test_the_route_gives_a_pdf_for_format_pdf_or_an_accept_that_prefers_it(served):
    auditor = served.headers("auditor")
    by_format = served.client.get("/api/report?as_of=2025-01-10&format=pdf", headers=auditor)
    assert by_format.status_code == 200 and by_format.headers["content-type"] == "application/pdf"
    assert by_format.content.startswith(b"%PDF-")
    by_accept = served.client.get("/api/report?as_of=2025-01-10", headers={**auditor, "Accept": "application/pdf"})
    assert by_accept.headers["content-type"] == "application/pdf" and by_accept.content == by_format.content
    browser = served.client.get(
        "/api/report?as_of=2025-01-10",
        headers={**auditor, "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8"},
    )
    assert browser.headers["content-type"] == "text/html; charset=utf-8"
    html_wins = served.client.get(
        "/api/report?as_of=2025-01-10&format=html", headers={**auditor, "Accept": "application/pdf"}
    )
    assert html_wins.headers["content-type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    "query, field",
    [
        ("", "as_of"),
        ("as_of=2024-13-01", "as_of"),
        ("as_of=%20", "as_of"),
        ("as_of=2025-01-10&known_at=soon", "known_at"),
    ],
)
def test_a_missing_or_bad_time_is_a_400_that_names_the_field(served, query, field):
    response = served.client.get(f"/api/report?{query}", headers=served.headers("admin"))
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    "as_of, known_at",
    [
        ("0001-01-01", None),
        ("9999-12-31", "9999-12-31"),
        ("0001-01-01T08:00:00+08:00", "2025-01-12"),
        ("9999-12-31T23:59:59.999999+08:00", None),
        ("2025-01-10", "0001-01-02"),
    ],
)
def test_the_first_and_last_days_of_the_calendar_get_a_report(served, as_of, known_at):
    params = {"as_of": as_of, **({"known_at": known_at} if known_at else {})}
    response = served.client.get("/api/report", params=params, headers=served.headers("auditor"))
    assert response.status_code == 200, response.text
    assert "门头沟区托育服务工作监测报告" in response.text


def test_an_unknown_format_is_a_422_that_names_the_allowed_ones(served):
    response = served.client.get("/api/report?as_of=2025-01-10&format=docx", headers=served.headers("admin"))
    assert response.status_code == 422 and "html" in response.text and "pdf" in response.text


def test_an_altered_record_gets_a_409_and_no_report(served):
    tables = Tables(served.settings)
    state = orjson.loads(tables.state(2))
    state["event"]["slots"] = 31
    tables.set_state(2, orjson.dumps(state))
    response = served.client.get("/api/report?as_of=2025-01-10", headers=served.headers("auditor"))
    assert response.status_code == 409 and response.json()["verification"]["finding"]["position"] == 2
