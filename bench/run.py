"""Benchmarks: ingest and replay, each beside a raw baseline measured in the same run.

    .venv/bin/python -m bench.run [--sizes 100000,1000000] [--stores sqlite,postgres]

Ingest: `tuoyu import` (schema, rules, aggregates, claims, one transaction) against
eventsourcing's recorder inserting the very same stored events (copied from the first
store) in pages of 1,000. Replay: the snapshot from event zero (read, decode, fold,
figures, targets) against a plain SQL scan of the same rows with JSON decoding.
Prints rates and ratios as a Markdown table; the README shows the latest one.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import psycopg

from tests.support.stores import POSTGRES_URL as POSTGRES
from tests.support.stores import fresh_store, store_env
from tuoyu import clock
from tuoyu.demo.synthetic import synthetic_events
from tuoyu.domain.application import Registry
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_registry
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import replay_snapshot

PAGE = 1000


def _timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def _raw_scan(kind: str, settings: Settings, table: str) -> int:
    """The baseline read: every row's state decoded from JSON, nothing else."""
    rows = 0
    if kind == "sqlite":
        conn = sqlite3.connect(settings.store.removeprefix("sqlite:///"))
        for (state,) in conn.execute(f"SELECT state FROM {table} ORDER BY rowid"):
            orjson.loads(state)
            rows += 1
        conn.close()
        return rows
    schema = settings.store.split("schema=")[1]
    with psycopg.connect(POSTGRES) as conn, conn.cursor(name="scan") as cursor:
        cursor.itersize = 5000
        cursor.execute(f"SELECT state FROM {schema}.{table} ORDER BY notification_id")
        for (state,) in cursor:
            orjson.loads(state)
            rows += 1
    return rows


def _import(source: Path, settings: Settings) -> tuple[float, float]:
    """The real user path: `tuoyu import` in its own process, so its peak memory is its own.
    Returns the seconds it took and its peak RSS in MB."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [str(Path(sys.executable).parent / "tuoyu"), "import", str(source)],
        env=store_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        sys.exit(f"import failed: {child.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def _raw_insert(app: Registry, raw_recorder: Any) -> float:
    """The same stored events, read back, inserted by the bare recorder in pages: the seconds it took."""
    notifications: list[Any] = []
    after = 0
    while True:
        page = app.recorder.select_notifications(start=after + 1, limit=10000)
        notifications.extend(page)
        if len(page) < 10000:
            break
        after = page[-1].id
    seconds, _ = _timed(
        lambda: [raw_recorder.insert_events(notifications[i : i + PAGE]) for i in range(0, len(notifications), PAGE)]
    )
    return seconds


def bench(kind: str, size: int, workdir: Path) -> dict[str, float]:
    source = workdir / f"events-{size}.jsonl"
    if not source.exists():
        with source.open("wb") as out:
            for event in synthetic_events(size):
                out.write(orjson.dumps(event) + b"\n")

    with (
        fresh_store(kind, workdir, f"domain{size}") as domain_settings,
        fresh_store(kind, workdir, f"raw{size}") as raw_settings,
    ):
        ingest_s, import_peak_mb = _import(source, domain_settings)
        with open_registry(domain_settings) as app, open_registry(raw_settings) as raw_app:
            assert app.position() == size
            raw_ingest_s = _raw_insert(app, raw_app.recorder)
            now = clock.now()
            replay_s, snapshot = _timed(lambda: replay_snapshot(read_facts(app.recorder), now))
            assert snapshot["position"] == size
            scan_s, rows = _timed(lambda: _raw_scan(kind, domain_settings, app.recorder.events_table_name))
            assert rows == size
    return {
        "store": kind,
        "events": size,
        "ingest_per_s": size / ingest_s,
        "import_peak_rss_mb": import_peak_mb,
        "raw_insert_per_s": size / raw_ingest_s,
        "ingest_ratio": raw_ingest_s / ingest_s,
        "replay_per_s": size / replay_s,
        "raw_scan_per_s": size / scan_s,
        "replay_ratio": scan_s / replay_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="tuoyu-bench-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            for kind in args.stores.split(","):
                result = bench(kind, size, Path(tmp))
                results.append(result)
                print(orjson.dumps(result).decode(), file=sys.stderr, flush=True)
    print(
        "| store | events | ingest (events/s) | raw recorder insert (events/s) | ingest ratio "
        "| replay (events/s) | raw scan + JSON decode (events/s) | replay ratio | import peak RSS |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['store']} | {r['events']:,} | {r['ingest_per_s']:,.0f} | {r['raw_insert_per_s']:,.0f} | "
            f"{r['ingest_ratio']:.2f} | {r['replay_per_s']:,.0f} | {r['raw_scan_per_s']:,.0f} | "
            f"{r['replay_ratio']:.2f} | {r['import_peak_rss_mb']:,.0f} MB |"
        )


if __name__ == "__main__":
    main()
