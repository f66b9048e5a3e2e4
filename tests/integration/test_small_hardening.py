"""The small things of issue 12, item 7: stores and secrets are their owner's only, a request
body must arrive in time, and a compact date means the same day as its dashed form."""

from __future__ import annotations

import http.client
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.integration.audit_helpers import run
from tests.support.builders import filed
from tests.support.ports import free_port, wait_for_port
from tests.support.processes import LoggedProcess
from tuoyu.service.alerting import ensure_webhook_secret
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_platform

TUOYU = str(Path(sys.executable).parent / "tuoyu")


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The usual umask (022), under which files are created readable by everyone."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


# ---- stores and secrets: 0600 -----------------------------------------------------------------
# PostgreSQL keeps its own files; only the SQLite store is files of the platform's.


def test_a_new_sqlite_store_and_its_wal_and_shm_files_are_readable_by_their_owner_only(tmp_path, permissive_umask):
    settings = Settings(data_dir=tmp_path, store=f"sqlite:///{tmp_path / 'data' / 'tuoyu.db'}")
    platform = open_platform(settings)
    try:
        platform.registry.record([filed("P1")], recorded_by="test")
        platform.projector.catch_up()  # the view's tables and rows too
        files = sorted((tmp_path / "data").iterdir())
        assert [f.name for f in files] == ["tuoyu.db", "tuoyu.db-shm", "tuoyu.db-wal"]
        assert {f.name: oct(mode(f)) for f in files} == {f.name: "0o600" for f in files}
        assert mode(tmp_path / "data") == 0o700
    finally:
        platform.close()


@pytest.fixture
def modes_of_files_renamed_or_chmodded(tmp_path: Path) -> Iterator[list[tuple[str, int]]]:
    """(path, mode) of every file under tmp_path at the moment it is chmodded or renamed: the
    moments a file written first and protected afterwards is seen with its first mode."""
    seen: list[tuple[str, int]] = []
    watching = [True]

    def hook(event: str, args: tuple) -> None:
        if watching[0] and event in ("os.chmod", "os.rename") and isinstance(args[0], (str, Path)):
            path = Path(args[0])
            if path.is_relative_to(tmp_path) and path.is_file():
                seen.append((path.name, path.stat().st_mode & 0o777))

    sys.addaudithook(hook)  # audit hooks cannot be removed: this one is switched off instead
    try:
        yield seen
    finally:
        watching[0] = False


def test_the_webhook_secret_is_never_on_disk_readable_by_others(
    tmp_path, permissive_umask, modes_of_files_renamed_or_chmodded
):
    secret = ensure_webhook_secret(tmp_path / "data")
    written = tmp_path / "data" / "alert-webhook-secret"
    assert written.read_text() == secret and len(secret) >= 32
    assert mode(written) == 0o600
    assert modes_of_files_renamed_or_chmodded, "the secret was written without a chmod or a rename"
    assert all(seen_mode & 0o077 == 0 for _, seen_mode in modes_of_files_renamed_or_chmodded), (
        modes_of_files_renamed_or_chmodded
    )
    assert ensure_webhook_secret(tmp_path / "data") == secret  # kept, not rewritten
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["alert-webhook-secret"]


# ---- a body that does not arrive --------------------------------------------------------------


def admin_token(settings: Settings) -> str:
    from tuoyu.service.tokens import create_token

    platform = open_platform(settings)
    try:
        return create_token(platform.tokens, "admin")[1]
    finally:
        platform.close()


def test_a_client_sending_less_than_its_content_length_gets_a_408_when_the_read_times_out(tmp_path):
    settings = Settings(data_dir=tmp_path, store=f"sqlite:///{tmp_path / 'tuoyu.db'}")
    token = admin_token(settings)
    port = free_port()
    env = {**os.environ, "TUOYU_DATA_DIR": str(tmp_path), "TUOYU_STORE": settings.store, "TUOYU_BODY_READ_TIMEOUT": "1"}
    server = LoggedProcess([TUOYU, "serve", "--port", str(port)], tmp_path / "serve.log", env=env)
    try:
        wait_for_port(port, timeout=60)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
            client.sendall(
                f"POST /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{"event'.encode()
            )
            # The whole answer, head and body (which may come in more than one segment); the
            # socket's timeout (30 s) fails the test if nothing comes.
            answer = http.client.HTTPResponse(client)
            answer.begin()
            body = answer.read()
        assert answer.status == 408, (answer.status, body[:300])
        assert "did not arrive within 1 s" in orjson.loads(body)["error"], body
        with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            served = http.client.HTTPResponse(client)
            served.begin()
            assert served.status == 200  # and the server serves on
    finally:
        server.stop()


# ---- compact dates ----------------------------------------------------------------------------


def test_a_compact_date_means_the_same_day_as_its_dashed_form_in_the_api_and_on_the_command_line(
    api, store_env, monkeypatch, capsys
):
    late_that_day = filed("D1", slots=25, occurred_at="2024-09-30T20:00:00+08:00")
    response = api.client.post(
        "/api/events",
        content=orjson.dumps(late_that_day),
        headers={**api.headers("admin"), "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    snapshots = {}
    for written in ("2024-09-30", "20240930"):
        answer = api.client.get("/api/kpi", params={"as_of": written}, headers=api.headers("auditor"))
        assert answer.status_code == 200, answer.text
        snapshots[written] = answer.json()
        code, out, err = run(store_env, monkeypatch, capsys, "replay", "--json", "--as-of", written)
        assert code == 0, err
        assert orjson.loads(out)["as_of"] == snapshots[written]["as_of"] == "2024-09-30T23:59:59+08:00"
        assert snapshots[written]["district"]["slots_total"] == 25


@pytest.mark.parametrize("written", ["20240930T1200", "2024-W40-1", "2024-274", "2024-0930"])
def test_other_compact_or_week_forms_are_refused_rather_than_read_otherwise(
    api, store_env, monkeypatch, capsys, written
):
    answer = api.client.get("/api/kpi", params={"as_of": written}, headers=api.headers("auditor"))
    assert answer.status_code == 422 and "20241231" in answer.json()["errors"][0]["message"], answer.text
    code, out, err = run(store_env, monkeypatch, capsys, "replay", "--as-of", written)
    assert code == 2 and "is not a date" in err
