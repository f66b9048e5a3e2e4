"""The record as a signed, published log, on both stores: checkpoints published on a schedule to
a directory or a URL, cosigned by a witness; inclusion and consistency proofs checked on another
machine with no store; the truncation and relink attacks caught against the newest published
checkpoint; `tuoyu verify` never writes."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import orjson
import pytest

from tests.integration.audit_helpers import Tables, rechain, record_history, run, verdict
from tests.integration.test_audit_cli import clean_machine, tuoyu
from tests.support.builders import filed, open_app, record
from tests.support.ports import free_port
from tuoyu.audit.checkpoint import parse_signed
from tuoyu.audit.note import parse_vkey
from tuoyu.service.auditing import audit_settings
from tuoyu.service.config import Settings
from tuoyu.service.publishing import scheduled_publication


@pytest.fixture
def history(store_settings: Settings) -> Tables:
    assert record_history(store_settings) == 8
    return Tables(store_settings)


def published(settings: Settings) -> str:
    return (settings.data_dir / "checkpoints" / "checkpoint").read_text()


def log_key(env, monkeypatch, capsys) -> str:
    code, out, _ = run(env, monkeypatch, capsys, "audit", "key")
    assert code == 0
    return out.strip()


def test_a_published_checkpoint_is_a_signed_tlog_checkpoint_with_the_tree_of_the_record(
    history, store_env, monkeypatch, capsys
):
    code, out, err = run(store_env, monkeypatch, capsys, "audit", "publish")
    assert code == 0, err
    note = published(history.settings)
    origin, size, root, head, blank, signature = note.split("\n")[:6]
    assert (origin, size, blank) == ("mentougou.tuoyu/audit-log", "8", "")
    assert head.startswith("tuoyu-head 8 ") and signature.startswith("— mentougou.tuoyu/audit-log ")
    checkpoint = parse_signed(note, "published", parse_vkey(log_key(store_env, monkeypatch, capsys)))
    assert checkpoint.events == 8 and (history.settings.data_dir / "checkpoints" / "checkpoints" / "8").is_file()
    key = history.settings.data_dir / "audit" / "log.key"
    assert key.stat().st_mode & 0o777 == 0o600


def test_checkpoints_are_published_on_a_schedule_and_each_extends_the_last(store_settings):
    audit = audit_settings(store_settings, {"TUOYU_CHECKPOINT_EVERY": "0.2"})
    app = open_app(store_settings)
    try:
        record(app, filed("S1"))
        with scheduled_publication(app.recorder, audit) as attempted:
            assert attempted.wait(30)
            first = parse_signed(published(store_settings), "first", audit.verifier())
            record(app, filed("S2"), filed("S3"))
            attempted.clear()
            assert attempted.wait(30) and attempted.wait(30)
        latest = parse_signed(published(store_settings), "latest", audit.verifier())
    finally:
        app.close()
    assert (first.events, latest.events) == (1, 3)


class _Store(http.server.BaseHTTPRequestHandler):
    """A plain upload endpoint (an object store, a WebDAV share): PUT keeps, GET gives back."""

    files: dict[str, bytes] = {}

    def do_PUT(self) -> None:
        self.files[self.path] = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.end_headers()

    def do_GET(self) -> None:
        body = self.files.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def upload_url():
    _Store.files = {}  # each test's own uploads
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Store)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/tuoyu"
    finally:
        server.shutdown()
        server.server_close()


def test_checkpoints_published_to_a_url_are_cosigned_by_the_witness_and_checked_from_there(
    history, store_env, monkeypatch, capsys, upload_url, tmp_path
):
    env = store_env
    monkeypatch.setenv("TUOYU_CHECKPOINT_URL", upload_url)
    monkeypatch.setenv("TUOYU_WITNESS_KEY", str(tmp_path / "witness.key"))
    assert run(env, monkeypatch, capsys, "audit", "publish")[0] == 0
    note = _Store.files["/tuoyu/checkpoint"].decode()
    assert _Store.files["/tuoyu/checkpoints/8"].decode() == note
    witness = parse_vkey(run(env, monkeypatch, capsys, "audit", "key", "--witness")[1])
    checkpoint = parse_signed(note, "published", parse_vkey(log_key(env, monkeypatch, capsys)))
    assert checkpoint.note.verified_by(witness) > 0  # cosignature/v1, with its time
    history.execute(f"DELETE FROM {history.events} WHERE {history.position} > 6")
    history.execute("DELETE FROM tuoyu_chain WHERE position > 6")
    code, result = verdict(env, monkeypatch, capsys)  # the newest checkpoint is read from the URL
    assert (code, result["finding"]["kind"]) == (1, "deleted")


def test_an_inclusion_proof_and_a_consistency_proof_verify_on_another_machine_with_no_store(
    history, store_env, monkeypatch, capsys, tmp_path
):
    assert run(store_env, monkeypatch, capsys, "audit", "publish")[0] == 0
    old = tmp_path / "cp8"
    old.write_text(published(history.settings))
    app = open_app(history.settings)
    try:
        record(app, filed("LATER1"), filed("LATER2"))
    finally:
        app.close()
    assert run(store_env, monkeypatch, capsys, "audit", "publish")[0] == 0
    new = tmp_path / "cp10"
    new.write_text(published(history.settings))
    inclusion, consistency = tmp_path / "inclusion.json", tmp_path / "consistency.json"
    assert run(store_env, monkeypatch, capsys, "audit", "prove", "3", "--out", str(inclusion))[0] == 0
    assert (
        run(
            store_env,
            monkeypatch,
            capsys,
            "audit",
            "prove",
            "--from",
            str(old),
            "--to",
            str(new),
            "--out",
            str(consistency),
        )[0]
        == 0
    )
    key = log_key(store_env, monkeypatch, capsys)
    elsewhere = clean_machine(tmp_path)
    for proof in (inclusion, consistency):
        checked = tuoyu(elsewhere, "verify", "--proof", str(proof), "--key", key, cwd=tmp_path / "elsewhere")
        assert checked.returncode == 0, checked.stderr
        assert "证明有效" in checked.stdout
    assert list((tmp_path / "elsewhere").iterdir()) == []
    forged = orjson.loads(inclusion.read_bytes())
    forged["event"]["state"] = forged["event"]["state"].replace('"children":3', '"children":30')
    inclusion.write_bytes(orjson.dumps(forged))
    checked = tuoyu(elsewhere, "verify", "--proof", str(inclusion), "--key", key, cwd=tmp_path / "elsewhere")
    assert checked.returncode == 1 and "证明无效" in checked.stderr


def test_the_truncation_attack_is_caught_against_the_newest_published_checkpoint(
    history, store_env, monkeypatch, capsys
):
    assert run(store_env, monkeypatch, capsys, "audit", "publish")[0] == 0
    history.execute(f"DELETE FROM {history.events} WHERE {history.position} > 6")
    history.execute("DELETE FROM tuoyu_chain WHERE position > 6")  # events and links, together
    code, result = verdict(store_env, monkeypatch, capsys)  # no checkpoint named: the published one
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "deleted", 7)
    assert run(store_env, monkeypatch, capsys, "audit", "publish")[0] == 1  # nor is a shorter log published


def test_the_relink_attack_is_caught_against_the_newest_published_checkpoint(history, store_env, monkeypatch, capsys):
    assert run(store_env, monkeypatch, capsys, "audit", "publish")[0] == 0
    history.set_state(3, history.state(3).replace(b'"children":3', b'"children":13'))
    history.execute("DROP TABLE tuoyu_chain")
    rechain(history.settings)  # every link after the edit recomputed: the chain alone is consistent
    code, result = verdict(store_env, monkeypatch, capsys)
    assert (code, result["finding"]["kind"], result["finding"]["at_or_before"]) == (1, "modified", True)
    assert run(store_env, monkeypatch, capsys, "audit", "publish")[0] == 1


def test_verify_on_a_store_with_its_chain_table_dropped_reports_tampering_and_leaves_the_file_unchanged(
    history, store_env, monkeypatch, capsys
):
    history.execute("DROP TABLE tuoyu_chain")
    if history.postgres:
        code, result = verdict(store_env, monkeypatch, capsys)
        assert (code, result["finding"]["kind"]) == (1, "inserted")
        assert history.execute("SELECT to_regclass('tuoyu_chain')")[0][0] is None  # not created again
        return
    store = Path(history.settings.store.removeprefix("sqlite:///"))
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    code, out, err = run(store_env, monkeypatch, capsys, "verify")
    assert code == 1 and "tuoyu_chain" in err and "被插入" in err
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before
