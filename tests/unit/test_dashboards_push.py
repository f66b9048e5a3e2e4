"""`tuoyu dashboards push` (and `export`, now an alias of `tuoyu generate`).

Grafana cannot run on these machines, so the push is tested against a stand-in: a local HTTP
server that answers like Grafana's folder and dashboard endpoints and records the requests.
This tests how we build the requests (paths, token, folder, overwrite, the dashboards' JSON)
and how we report failures, not Grafana itself.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.ports import free_port
from tuoyu.dashboards import FOLDER_TITLE, FOLDER_UID, dashboards
from tuoyu.service.cli import main

TOKEN = "glsa_stand_in_token"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class StandIn:
    url: str
    requests: list[tuple[str, str, dict | None, str]] = field(default_factory=list)  # method, path, body, auth
    folders: set[str] = field(default_factory=set)


@contextmanager
def stand_in_grafana(accept_token: str = TOKEN) -> Iterator[StandIn]:
    state = StandIn(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest's output clean
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self) -> dict | None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            state.requests.append((self.command, self.path, body, self.headers.get("Authorization", "")))
            return body

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") != f"Bearer {accept_token}":
                self._answer(401, {"message": "invalid API key"})
                return False
            return True

        def do_GET(self):
            self._record()
            if not self._authorised():
                return
            uid = self.path.removeprefix("/api/folders/")
            if uid in state.folders:
                self._answer(200, {"uid": uid, "title": FOLDER_TITLE})
            else:
                self._answer(404, {"message": "folder not found"})

        def do_POST(self):
            body = self._record()
            if not self._authorised():
                return
            if self.path == "/api/folders":
                state.folders.add(body["uid"])
                self._answer(200, {"uid": body["uid"], "title": body["title"]})
            elif self.path == "/api/dashboards/db":
                self._answer(200, {"status": "success", "uid": body["dashboard"]["uid"], "version": 1})
            else:
                self._answer(404, {"message": "not found"})

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_push_creates_the_folder_and_saves_every_dashboard_with_overwrite(capsys):
    with stand_in_grafana() as grafana:
        assert main(["dashboards", "push", "--url", grafana.url, "--token", TOKEN]) == 0
    calls = [(method, path) for method, path, _, _ in grafana.requests]
    assert calls[:2] == [("GET", f"/api/folders/{FOLDER_UID}"), ("POST", "/api/folders")]
    assert calls[2:] == [("POST", "/api/dashboards/db")] * len(dashboards())
    assert all(auth == f"Bearer {TOKEN}" for *_, auth in grafana.requests)
    assert grafana.requests[1][2] == {"title": FOLDER_TITLE, "uid": FOLDER_UID}
    saved = [body for _, path, body, _ in grafana.requests if path == "/api/dashboards/db"]
    for body, (name, document) in zip(saved, dashboards().items(), strict=True):
        assert body["overwrite"] is True and body["folderUid"] == FOLDER_UID
        assert body["dashboard"] == {**document, "id": None}, name
    assert "saved tuoyu-overview" in capsys.readouterr().out


def test_pushing_again_reuses_the_folder():
    with stand_in_grafana() as grafana:
        grafana.folders.add(FOLDER_UID)
        assert main(["dashboards", "push", "--url", grafana.url, "--token", TOKEN]) == 0
    assert ("POST", "/api/folders") not in [(m, p) for m, p, _, _ in grafana.requests]


def test_a_rejected_token_is_a_clear_error_and_a_non_zero_exit(capsys):
    with stand_in_grafana() as grafana:
        assert main(["dashboards", "push", "--url", grafana.url, "--token", "wrong"]) == 1
    err = capsys.readouterr().err
    assert "rejected the token" in err and "Traceback" not in err


def test_an_unreachable_grafana_is_a_clear_error_and_a_non_zero_exit(capsys):
    assert main(["dashboards", "push", "--url", f"http://127.0.0.1:{free_port()}", "--token", TOKEN]) == 1
    err = capsys.readouterr().err
    assert "cannot reach Grafana" in err and "Traceback" not in err


def test_push_without_a_token_says_how_to_give_one(capsys, monkeypatch):
    monkeypatch.delenv("GRAFANA_TOKEN", raising=False)
    assert main(["dashboards", "push", "--url", "http://127.0.0.1:3000"]) == 2
    assert "--token" in capsys.readouterr().err


def test_export_is_now_generate_and_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no checkout here: generated from the packaged tunables
    assert main(["dashboards", "export"]) == 0
    assert "tuoyu generate" in capsys.readouterr().err
    for name, _document in dashboards().items():
        assert (tmp_path / "dashboards" / "generated" / name).is_file(), name
