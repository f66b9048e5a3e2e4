"""The audit hash chain on both stores: kept as events are recorded (one at a time, by import,
by concurrent writers), built for older stores only by the explicit migration, and `tuoyu verify`
naming the first position and the kind of every change made behind the platform's back, straight
in the tables."""

from __future__ import annotations

import threading

import orjson
import pytest

from tests.integration.audit_helpers import Tables, rechain, record_history, run, verdict
from tests.support.builders import enrolled, filed, open_app
from tuoyu.audit.store import verify_store
from tuoyu.persistence.chain import GENESIS, ChainBroken, ChainRow, canonical_bytes, link
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_reader, open_registry


@pytest.fixture
def history(store_settings: Settings) -> Tables:
    assert record_history(store_settings) == 8
    return Tables(store_settings)


def chain_table(settings: Settings) -> list[tuple]:
    app = open_registry(settings)
    try:
        return [ChainRow(*row) for row in app.recorder.select_chain_rows(0, 1000)]
    finally:
        app.close()


# ---- the chain as recorded -------------------------------------------------------------


def test_every_recorded_event_is_chained_as_docs_audit_md_defines(history, store_settings):
    rows = chain_table(store_settings)
    assert [r.position for r in rows] == list(range(1, 9))
    previous = GENESIS
    with history.sql() as conn:
        stored = conn.execute(
            f"SELECT {history.position}, originator_id, originator_version, topic, state "
            f"FROM {history.events} ORDER BY {history.position}"
        ).fetchall()
    for row, (position, originator_id, version, topic, state) in zip(rows, stored, strict=True):
        originator = (
            originator_id.hex if hasattr(originator_id, "hex") and not isinstance(originator_id, str) else originator_id
        )
        from hashlib import sha256

        canonical = canonical_bytes(originator, version, topic, bytes(state))
        recorded_at = orjson.loads(bytes(state))["timestamp"]
        assert (row.position, row.recorded_at, row.digest) == (position, recorded_at, sha256(canonical).digest())
        previous = link(previous, position, recorded_at, canonical)
        assert row.link == previous


def test_an_intact_record_verifies_with_exit_0(history, store_env, monkeypatch, capsys):
    code, result = verdict(store_env, monkeypatch, capsys)
    assert code == 0
    assert result["intact"] and result["events"] == 8 and result["head"]["position"] == 8
    code, out, _ = run(store_env, monkeypatch, capsys, "verify")
    assert code == 0 and "记录完整" in out


def test_an_import_is_chained_in_its_transaction(store_settings, store_env, monkeypatch, capsys, tmp_path):
    source = tmp_path / "events.jsonl"
    source.write_bytes(
        b"".join(orjson.dumps(e) + b"\n" for e in [filed("I1"), filed("I2"), enrolled("I1", 2), enrolled("I2", 1)])
    )
    code, out, err = run(store_env, monkeypatch, capsys, "import", str(source))
    assert code == 0, err
    assert [r.position for r in chain_table(store_settings)] == [1, 2, 3, 4]
    assert verdict(store_env, monkeypatch, capsys)[0] == 0


def test_concurrent_writers_leave_a_chain_that_verifies(store_settings):
    writers, batches = 4, 6
    errors: list[BaseException] = []

    # Opened one after the other: eventsourcing's CREATE TYPE is not safe to race on.
    apps = [open_app(store_settings) for _ in range(writers)]

    def write(n: int) -> None:
        app = apps[n]
        try:
            for b in range(batches):
                inst = f"W{n}-{b}"
                app.record([filed(inst), enrolled(inst, 1)], recorded_by=f"writer {n}")
        except BaseException as error:
            errors.append(error)
        finally:
            app.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    app = open_registry(store_settings)
    try:
        result = verify_store(app.recorder)
        assert result.intact, result.finding
        assert result.events == writers * batches * 2
        assert len(app.recorder.select_chain_rows(0, 1000)) == writers * batches * 2
    finally:
        app.close()


def test_a_store_recorded_before_the_chain_is_chained_only_by_the_explicit_logged_migration(
    history, store_settings, store_env, monkeypatch, capsys
):
    before = chain_table(store_settings)
    history.execute("DROP TABLE tuoyu_chain")  # how a store of the previous release looks
    open_registry(store_settings).close()  # opening it chains nothing
    code, result = verdict(store_env, monkeypatch, capsys)
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "inserted", 1)
    app = open_app(store_settings)
    try:
        with pytest.raises(ChainBroken, match="audit migrate"):  # nor does recording into it
            app.record([filed("A9")], recorded_by="before the migration")
    finally:
        app.close()
    code, out, _ = run(store_env, monkeypatch, capsys, "audit", "migrate", "--by", "ops")
    assert code == 0 and "8" in out
    assert chain_table(store_settings) == before
    logged = (store_settings.data_dir / "audit" / "migrations.log").read_text().splitlines()
    assert [orjson.loads(line)["count"] for line in logged] == [8]
    app = open_app(store_settings)
    try:
        app.record([filed("A9")], recorded_by="after the upgrade")
        assert verify_store(app.recorder).intact
    finally:
        app.close()


def test_the_migration_refuses_a_store_whose_log_was_published(history, store_settings, store_env, monkeypatch, capsys):
    assert run(store_env, monkeypatch, capsys, "audit", "publish")[0] == 0
    history.execute("DROP TABLE tuoyu_chain")  # not an old store: one whose chain was removed
    code, out, _ = run(store_env, monkeypatch, capsys, "audit", "migrate", "--by", "intruder")
    assert code == 1 and "拒绝迁移" in out
    assert verdict(store_env, monkeypatch, capsys)[0] == 1


def test_an_emptied_chain_is_not_refilled_and_its_events_are_reported(history, store_env, monkeypatch, capsys):
    history.set_state(3, history.state(3).replace(b'"children":3', b'"children":13'))
    history.execute("DELETE FROM tuoyu_chain")  # an intruder hoping the platform vouches for the edit
    open_registry(history.settings).close()
    code, result = verdict(store_env, monkeypatch, capsys)
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "inserted", 1)


def test_a_failed_chain_write_records_nothing(history, store_settings):
    """The chain refuses to extend (a reset sequence on PostgreSQL, a reused rowid on SQLite):
    the events and their claims are rolled back with it, not committed without links."""
    history.execute(f"DELETE FROM {history.events} WHERE {history.position} = 8")
    if history.postgres:  # a sequence set back, so that 8 is handed out again
        history.execute(f"SELECT setval(pg_get_serial_sequence('{history.events}', 'notification_id'), 7)")
    events_before = history.execute(f"SELECT COUNT(*) FROM {history.events}")
    claims_before = history.execute("SELECT COUNT(*) FROM tuoyu_claims")
    app = open_app(store_settings)
    try:
        with pytest.raises(Exception, match="altered outside the platform"):
            app.record([filed("REFUSED")], recorded_by="test")
    finally:
        app.close()
    assert history.execute(f"SELECT COUNT(*) FROM {history.events}") == events_before
    assert history.execute("SELECT COUNT(*) FROM tuoyu_claims") == claims_before


# ---- tampering with the events table ---------------------------------------------------


def test_a_modified_event_is_reported_at_its_position(history, store_env, monkeypatch, capsys):
    state = history.state(3)
    history.set_state(3, state.replace(b'"children":3', b'"children":13'))
    code, result = verdict(store_env, monkeypatch, capsys)
    assert code == 1
    assert (result["finding"]["kind"], result["finding"]["position"]) == ("modified", 3)
    code, out, err = run(store_env, monkeypatch, capsys, "verify")
    assert code == 1 and "位置 3" in err and "modified" in err


def test_a_modified_recording_time_is_reported(history, store_env, monkeypatch, capsys):
    state = orjson.loads(history.state(5))
    state["timestamp"] = "2025-01-14T10:00:00+08:00"
    history.set_state(5, orjson.dumps(state))
    code, result = verdict(store_env, monkeypatch, capsys)
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "modified", 5)


def test_a_modified_topic_is_reported(history, store_env, monkeypatch, capsys):
    history.execute(f"UPDATE {history.events} SET topic = topic || 'x' WHERE {history.position} = 2")
    code, result = verdict(store_env, monkeypatch, capsys)
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "modified", 2)


def test_a_deleted_event_is_reported_at_its_position(history, store_env, monkeypatch, capsys):
    history.execute(f"DELETE FROM {history.events} WHERE {history.position} = 4")
    code, result = verdict(store_env, monkeypatch, capsys)
    assert code == 1
    assert (result["finding"]["kind"], result["finding"]["position"]) == ("deleted", 4)


def test_deleting_the_newest_event_is_reported_and_recording_goes_on_after_it(history, store_env, monkeypatch, capsys):
    history.execute(f"DELETE FROM {history.events} WHERE {history.position} = 8")
    code, result = verdict(store_env, monkeypatch, capsys)
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "deleted", 8)
    app = open_app(history.settings)
    try:
        if history.postgres:  # sequences never hand out an id twice: position 9, still reported
            app.record([filed("NEXT")], recorded_by="test")
        else:  # SQLite would reuse rowid 8: refused, naming the cause
            with pytest.raises(Exception, match="altered outside the platform"):
                app.record([filed("NEXT")], recorded_by="test")
    finally:
        app.close()
    code, result = verdict(store_env, monkeypatch, capsys)
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "deleted", 8)


def test_an_inserted_event_is_reported_at_its_position(history, store_env, monkeypatch, capsys):
    history.copy_event_to(source=3, position=9, version=99)
    code, result = verdict(store_env, monkeypatch, capsys)
    assert code == 1
    assert (result["finding"]["kind"], result["finding"]["position"]) == ("inserted", 9)


def test_an_event_inserted_into_a_gap_is_reported(history, store_env, monkeypatch, capsys):
    history.move([(8, 20)])  # a gap 8..19, as PostgreSQL leaves after rolled-back inserts...
    history.execute("UPDATE tuoyu_chain SET position = 20 WHERE position = 8")
    history.execute("DROP TABLE tuoyu_chain")  # ...then chained again from scratch
    rechain(history.settings)
    assert verdict(store_env, monkeypatch, capsys)[0] == 0
    history.copy_event_to(source=3, position=12, version=99)  # the intruder fills the gap
    code, result = verdict(store_env, monkeypatch, capsys)
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "inserted", 12)


def test_swapped_events_are_reported_as_reordered(history, store_env, monkeypatch, capsys):
    history.move([(2, 100), (6, 2), (100, 6)])
    code, result = verdict(store_env, monkeypatch, capsys)
    assert code == 1
    assert (result["finding"]["kind"], result["finding"]["position"]) == ("reordered", 2)
    assert "position 6" in result["finding"]["detail"]


def test_an_event_moved_to_a_later_position_is_reported_as_reordered(history, store_env, monkeypatch, capsys):
    history.move([(3, 20)])
    code, result = verdict(store_env, monkeypatch, capsys)
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "reordered", 3)
    assert "position 20" in result["finding"]["detail"]


# ---- tampering with the chain table too: only a checkpoint tells -----------------------


def test_a_checkpoint_catches_a_change_whose_chain_was_rewritten(history, store_env, monkeypatch, capsys, tmp_path):
    code, out, _ = run(store_env, monkeypatch, capsys, "audit", "checkpoint", "--out", str(tmp_path / "cp.json"))
    assert code == 0 and "\n8\n" in out and "tuoyu-head 8 " in out  # a signed note: 8 events, head at 8
    history.set_state(3, history.state(3).replace(b'"children":3', b'"children":13'))
    history.execute("DROP TABLE tuoyu_chain")  # looks like a store older than the chain...
    rechain(history.settings)  # ...so the intruder runs the migration over the altered record
    assert verdict(store_env, monkeypatch, capsys)[0] == 0  # self-consistent: only the outside record knows
    code, result = verdict(store_env, monkeypatch, capsys, "--checkpoint", str(tmp_path / "cp.json"))
    assert code == 1
    finding = result["finding"]
    assert (finding["kind"], finding["position"], finding["at_or_before"]) == ("modified", 8, True)
    code, _, err = run(store_env, monkeypatch, capsys, "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert code == 1 and "位置 8 或之前" in err


def test_a_checkpoint_catches_a_deletion_whose_chain_was_rewritten(history, store_env, monkeypatch, capsys, tmp_path):
    run(store_env, monkeypatch, capsys, "audit", "checkpoint", "--out", str(tmp_path / "cp.json"))
    history.execute(f"DELETE FROM {history.events} WHERE {history.position} = 2")
    history.execute("DROP TABLE tuoyu_chain")
    rechain(history.settings)
    code, result = verdict(store_env, monkeypatch, capsys, "--checkpoint", str(tmp_path / "cp.json"))
    assert (code, result["finding"]["kind"], result["finding"]["at_or_before"]) == (1, "deleted", True)


def test_a_truncated_record_is_reported_against_the_checkpoint(history, store_env, monkeypatch, capsys, tmp_path):
    run(store_env, monkeypatch, capsys, "audit", "checkpoint", "--out", str(tmp_path / "cp.json"))
    history.execute(f"DELETE FROM {history.events} WHERE {history.position} > 6")
    history.execute("DELETE FROM tuoyu_chain WHERE position > 6")
    assert verdict(store_env, monkeypatch, capsys)[0] == 0
    code, result = verdict(store_env, monkeypatch, capsys, "--checkpoint", str(tmp_path / "cp.json"))
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "deleted", 7)


def test_a_rewritten_chain_link_is_reported(history, store_env, monkeypatch, capsys):
    history.execute("UPDATE tuoyu_chain SET link = digest WHERE position = 5")
    code, result = verdict(store_env, monkeypatch, capsys)
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "modified", 5)


def test_an_extra_chain_link_is_reported_as_inserted(history, store_env, monkeypatch, capsys):
    history.execute("INSERT INTO tuoyu_chain SELECT 9, recorded_at, digest, link FROM tuoyu_chain WHERE position = 8")
    code, result = verdict(store_env, monkeypatch, capsys)
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "inserted", 9)


# ---- usage errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, says",
    [
        (None, "no such file"),
        (b"{oops", "not JSON"),
        (
            b'{"format": "tuoyu-checkpoint/1", "position": "8", "link": "00", "events": 8, "recorded_at": ""}',
            "field position",
        ),
        (
            b'{"format": "tuoyu-checkpoint/1", "position": 8, "link": "xyz", "events": 8, "recorded_at": ""}',
            "field link",
        ),
        (b'{"position": 8}', "field format"),
    ],
)
def test_a_bad_checkpoint_file_is_a_usage_error_naming_file_and_field(
    store_env, monkeypatch, capsys, tmp_path, content, says
):
    path = tmp_path / "cp.json"
    if content is not None:
        path.write_bytes(content)
    code, _, err = run(store_env, monkeypatch, capsys, "verify", "--checkpoint", str(path))
    assert code == 2
    assert str(path) in err and says in err


def test_a_checkpoint_position_deleted_with_its_chain_row_is_reported(
    history, store_env, monkeypatch, capsys, tmp_path
):
    run(store_env, monkeypatch, capsys, "audit", "checkpoint", "--out", str(tmp_path / "cp.json"))
    app = open_app(history.settings)
    try:
        app.record([filed("LATER")], recorded_by="test")  # position 9, after the checkpoint
    finally:
        app.close()
    history.execute(f"DELETE FROM {history.events} WHERE {history.position} = 8")
    history.execute("DROP TABLE tuoyu_chain")
    rechain(history.settings)  # rechained without position 8
    assert verdict(store_env, monkeypatch, capsys)[0] == 0
    code, result = verdict(store_env, monkeypatch, capsys, "--checkpoint", str(tmp_path / "cp.json"))
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "deleted", 8)
    assert result["finding"]["at_or_before"] is True


# ---- verification in ranges, by worker processes ------------------------------------------


def test_ranges_verified_by_worker_processes_agree_with_one_walk(history, store_settings):
    from functools import partial

    from tuoyu.audit.store import _verify_in_parallel

    opener = partial(open_reader, store_settings)
    app = open_registry(store_settings)
    try:
        walked = verify_store(app.recorder)
        # Ranges (0, 2] (checked by this process), (2, 5] and (5, 8] (by worker processes).
        in_ranges = _verify_in_parallel(opener, app.recorder, 8, workers=3)
        assert in_ranges is not None and walked.intact
        assert (in_ranges.events, in_ranges.head) == (walked.events, walked.head)
        history.set_state(4, history.state(4).replace(b'"children":2', b'"children":12'))
        assert _verify_in_parallel(opener, app.recorder, 8, workers=3) is None  # the range (2, 5] fails
        found = verify_store(app.recorder, parallel=opener, min_parallel=1)  # so one walk says where
        assert (found.finding.kind, found.finding.position) == ("modified", 4)
        history.set_state(4, history.state(4).replace(b'"children":12', b'"children":2'))
        assert _verify_in_parallel(opener, app.recorder, 8, workers=3) is not None
        history.set_state(2, history.state(2).replace(b'"longquan"', b'"dayu"'))
        assert _verify_in_parallel(opener, app.recorder, 8, workers=3) is None  # this process's range fails
        found = verify_store(app.recorder, parallel=opener, min_parallel=1)
        assert (found.finding.kind, found.finding.position) == ("modified", 2)
    finally:
        app.close()


def test_ranges_verified_in_parallel_are_checked_against_a_signed_checkpoint_too(history, store_settings):
    """With a published checkpoint `tuoyu verify` still checks ranges in worker processes, then
    the link and the Merkle root of the verified links against the checkpoint."""
    from functools import partial

    from tuoyu.audit.keys import log_signer
    from tuoyu.audit.log import signed_checkpoint

    opener = partial(open_reader, store_settings)
    app = open_registry(store_settings)
    try:
        checkpoint = signed_checkpoint(app.recorder, log_signer("test/log", store_settings.data_dir / "k.key"))
        agreed = verify_store(app.recorder, checkpoint, parallel=opener, min_parallel=1)
        assert agreed.intact and agreed.checkpoint_checked and agreed.events == 8
        history.set_state(3, history.state(3).replace(b'"children":3', b'"children":13'))
        history.execute("DROP TABLE tuoyu_chain")
        rechain(store_settings)  # relinked: every range verifies, only the checkpoint disagrees
        found = verify_store(app.recorder, checkpoint, parallel=opener, min_parallel=1)
        assert (found.finding.kind, found.finding.at_or_before) == ("modified", True)
    finally:
        app.close()
