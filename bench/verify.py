"""Bench: verifying the audit chain and replaying, beside a raw SHA-256 over the same bytes.

    .venv/bin/python -m bench.verify [--events 1000000] [--stores sqlite,postgres] [--workdir DIR]

For each store: `tuoyu import` of synthetic events (the chain is written as they are recorded),
then, in the same run on the same rows:
- raw scan: a plain SQL scan (sqlite3 / a psycopg server-side cursor) of the four columns the
  chain covers (originator_id, originator_version, topic, state), in position order;
- raw SHA-256: the same scan feeding every byte into one hashlib.sha256 (the floor for reading
  and hashing those bytes); and, second baseline, the same plus the chain table's rows (every
  byte the verifier reads);
- verify: `verify_store` as `tuoyu verify` runs it (ranges of positions checked by one worker
  process per core, from 200,000 events): events and chain rows read through the recorder,
  each link recomputed over the event's canonical bytes and compared; and the same in one
  process (the figure to compare per core);
- verify against a signed checkpoint (as `tuoyu verify` runs once a checkpoint is published):
  the same ranges, then the RFC 9162 root of the verified links compared with the checkpoint's;
- replay: the snapshot from event zero (as bench/run.py measures it).
The verify ratio is the raw SHA-256 time divided by the verify time (goal: at least 0.5).
Each figure is the best of two runs, measured one after the other in the same process.
With --workdir the generated SQLite store is kept there and reused by the next run.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import orjson
import psycopg

from tests.support.stores import POSTGRES_URL as POSTGRES
from tests.support.stores import fresh_store
from tuoyu.audit.keys import log_signer
from tuoyu.audit.log import signed_checkpoint
from tuoyu.audit.store import verify_store
from tuoyu.demo.synthetic import synthetic_events
from tuoyu.domain.importing import import_all_or_nothing
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_reader, open_registry
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import replay_snapshot


def _timed(work, runs: int = 2) -> tuple[float, object]:
    """The best of `runs` (the machine is shared: the first run also warms the page cache)."""
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def _source(workdir: Path, size: int) -> Path:
    source = workdir / f"events-{size}.jsonl"
    if not source.exists():
        with source.open("wb") as out:
            for event in synthetic_events(size):
                out.write(orjson.dumps(event) + b"\n")
    return source


def _store(kind: str, workdir: Path, size: int) -> tuple[Settings, Callable[[], None], bool]:
    """(settings, drop, already filled): a SQLite file is kept between runs (recording a million
    events takes minutes); a PostgreSQL schema of its own (tests.support.stores) is dropped."""
    if kind == "sqlite":
        path = workdir / f"verify{size}.db"
        return Settings(data_dir=workdir, store=f"sqlite:///{path}"), lambda: None, path.exists()
    resources = ExitStack()
    settings = resources.enter_context(fresh_store(kind, workdir, f"verify{size}"))
    return settings, resources.close, False


def _raw(kind: str, settings: Settings, table: str, hashing: bool, chain: bool = False) -> int:
    """Scan the chained columns in position order; with `hashing`, one SHA-256 over every byte;
    with `chain`, the chain table's rows too (everything the verifier reads)."""
    digest = hashlib.sha256()
    update = digest.update if hashing else (lambda data: None)
    rows = 0
    if kind == "sqlite":
        conn = sqlite3.connect(settings.store.removeprefix("sqlite:///"))
        for originator_id, version, topic, state in conn.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {table} ORDER BY rowid"
        ):
            update(originator_id.encode())
            update(str(version).encode())
            update(topic.encode())
            update(state)
            rows += 1
        if chain:
            for _, recorded_at, chained, link in conn.execute("SELECT * FROM tuoyu_chain ORDER BY position"):
                update(recorded_at.encode())
                update(chained)
                update(link)
        conn.close()
        return rows
    schema = settings.store.split("schema=")[1]
    with psycopg.connect(POSTGRES) as conn, conn.cursor(name="scan") as cursor:
        cursor.itersize = 5000
        cursor.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {schema}.{table} ORDER BY notification_id"
        )
        for originator_id, version, topic, state in cursor:
            update(originator_id.hex.encode())
            update(str(version).encode())
            update(topic.encode())
            update(state)
            rows += 1
    if chain:
        with psycopg.connect(POSTGRES) as conn, conn.cursor(name="chain") as cursor:
            cursor.itersize = 5000
            cursor.execute(f"SELECT * FROM {schema}.tuoyu_chain ORDER BY position")
            for _, recorded_at, chained, link in cursor:
                update(recorded_at.encode())
                update(chained)
                update(link)
    return rows


def bench(kind: str, size: int, workdir: Path) -> dict[str, object]:
    settings, drop, filled = _store(kind, workdir, size)
    try:
        app = open_registry(settings)
        if not filled:
            source = _source(workdir, size)
            report = import_all_or_nothing(app, lambda: source.open("rb"), "bench", lambda p, line: None)
            assert report.recorded == size, report
        assert app.position() == size
        table = app.recorder.events_table_name
        scan_s, rows = _timed(lambda: _raw(kind, settings, table, hashing=False))
        raw_s, rows = _timed(lambda: _raw(kind, settings, table, hashing=True))
        assert rows == size
        raw_all_s, _ = _timed(lambda: _raw(kind, settings, table, hashing=True, chain=True))
        # As `tuoyu verify` runs it: ranges checked by one worker process per core.
        verify_s, verdict = _timed(lambda: verify_store(app.recorder, parallel=partial(open_reader, settings)))
        serial_s, _ = _timed(lambda: verify_store(app.recorder), runs=1)
        assert verdict.intact and verdict.events == size, verdict
        checkpoint = signed_checkpoint(app.recorder, log_signer("bench.tuoyu/log", workdir / f"{kind}.key"))
        signed_s, against = _timed(
            lambda: verify_store(app.recorder, checkpoint, parallel=partial(open_reader, settings))
        )
        assert against.intact and against.checkpoint_checked, against
        now = datetime.now(UTC)
        replay_s, snapshot = _timed(lambda: replay_snapshot(read_facts(app.recorder), now))
        assert snapshot["position"] == size
        app.close()
    finally:
        drop()
    return {
        "store": kind,
        "events": size,
        "scan_per_s": size / scan_s,
        "raw_sha256_per_s": size / raw_s,
        "raw_sha256_all_per_s": size / raw_all_s,
        "verify_per_s": size / verify_s,
        "verify_one_process_per_s": size / serial_s,
        "verify_one_process_ratio": raw_s / serial_s,
        "verify_ratio": raw_s / verify_s,
        "verify_ratio_all": raw_all_s / verify_s,
        "verify_checkpoint_per_s": size / signed_s,
        "verify_checkpoint_ratio": raw_s / signed_s,
        "replay_per_s": size / replay_s,
        "replay_ratio": raw_s / replay_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--workdir", type=Path, help="keep the generated events and SQLite store here")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="tuoyu-verify-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for kind in args.stores.split(","):
            result = bench(kind, args.events, workdir)
            results.append(result)
            print(orjson.dumps(result).decode(), file=sys.stderr, flush=True)
    print(
        "| store | events | raw scan (events/s) | raw SHA-256 over the events (events/s) | verify (events/s) "
        "| verify ratio | verify in one process (events/s) | its ratio "
        "| raw SHA-256 over events + chain rows (events/s) | verify ratio (same bytes read) "
        "| replay (events/s) | replay / raw SHA-256 | verify against a signed checkpoint (events/s) | its ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['store']} | {r['events']:,} | {r['scan_per_s']:,.0f} | {r['raw_sha256_per_s']:,.0f} | "
            f"{r['verify_per_s']:,.0f} | {r['verify_ratio']:.2f} | {r['verify_one_process_per_s']:,.0f} | "
            f"{r['verify_one_process_ratio']:.2f} | {r['raw_sha256_all_per_s']:,.0f} | "
            f"{r['verify_ratio_all']:.2f} | {r['replay_per_s']:,.0f} | {r['replay_ratio']:.2f} | "
            f"{r['verify_checkpoint_per_s']:,.0f} | {r['verify_checkpoint_ratio']:.2f} |"
        )


if __name__ == "__main__":
    main()
