"""Benchmarks: ingest and replay, each beside a raw baseline measured in the same run.

    .venv/bin/python bench/run.py [--sizes 100000,1000000] [--stores sqlite,postgres]

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
import uuid
from datetime import datetime, timezone
from pathlib import Path

import orjson
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tuoyu.demo.synthetic import synthetic_events  # noqa: E402
from tuoyu.service.config import Settings  # noqa: E402
from tuoyu.service.wiring import open_registry  # noqa: E402
from tuoyu.views.reading import read_facts  # noqa: E402
from tuoyu.views.replay import replay_snapshot  # noqa: E402

POSTGRES = "postgresql://tuoyu_test:tuoyu_test@127.0.0.1:5432/tuoyu_test"
PAGE = 1000


def new_store(kind: str, workdir: Path, name: str) -> tuple[Settings, callable]:
    if kind == "sqlite":
        return Settings(data_dir=workdir, store=f"sqlite:///{workdir / name}.db"), lambda: None
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

    return Settings(data_dir=workdir, store=f"{POSTGRES}?schema={schema}"), drop


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


def bench(kind: str, size: int, workdir: Path) -> dict[str, float]:
    source = workdir / f"events-{size}.jsonl"
    if not source.exists():
        with source.open("wb") as out:
            for event in synthetic_events(size):
                out.write(orjson.dumps(event) + b"\n")

    domain_settings, drop_domain = new_store(kind, workdir, f"domain{size}")
    raw_settings, drop_raw = new_store(kind, workdir, f"raw{size}")
    try:
        # The real user path: `tuoyu import` in its own process, so its peak memory is its own.
        env = {**os.environ, "TUOYU_DATA_DIR": str(workdir), "TUOYU_STORE": domain_settings.store}
        started = time.perf_counter()
        child = subprocess.Popen([str(Path(sys.executable).parent / "tuoyu"), "import", str(source)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        ingest_s = time.perf_counter() - started
        if status != 0:
            sys.exit(f"import failed: {child.stderr.read().decode()[-2000:]}")
        import_peak_mb = usage.ru_maxrss / 1024
        app = open_registry(domain_settings)
        assert app.position() == size

        # The same stored events, read back, inserted by the bare recorder in pages.
        notifications = []
        after = 0
        while True:
            page = app.recorder.select_notifications(start=after + 1, limit=10000)
            notifications.extend(page)
            if len(page) < 10000:
                break
            after = page[-1].id
        raw_app = open_registry(raw_settings)  # keep it: it owns the connection pool
        raw_recorder = raw_app.recorder
        raw_ingest_s, _ = _timed(lambda: [raw_recorder.insert_events(notifications[i:i + PAGE])
                                          for i in range(0, len(notifications), PAGE)])
        notifications = []  # let the copies go before the replay

        now = datetime.now(timezone.utc)
        replay_s, snapshot = _timed(lambda: replay_snapshot(read_facts(app.recorder), now))
        assert snapshot["position"] == size
        scan_s, rows = _timed(lambda: _raw_scan(kind, domain_settings, app.recorder.events_table_name))
        assert rows == size
    finally:
        drop_domain()
        drop_raw()
    return {"store": kind, "events": size,
            "ingest_per_s": size / ingest_s, "import_peak_rss_mb": import_peak_mb, "raw_insert_per_s": size / raw_ingest_s,
            "ingest_ratio": raw_ingest_s / ingest_s,
            "replay_per_s": size / replay_s, "raw_scan_per_s": size / scan_s, "replay_ratio": scan_s / replay_s}


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
    print("| store | events | ingest (events/s) | raw recorder insert (events/s) | ingest ratio "
          "| replay (events/s) | raw scan + JSON decode (events/s) | replay ratio | import peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['store']} | {r['events']:,} | {r['ingest_per_s']:,.0f} | {r['raw_insert_per_s']:,.0f} | "
              f"{r['ingest_ratio']:.2f} | {r['replay_per_s']:,.0f} | {r['raw_scan_per_s']:,.0f} | "
              f"{r['replay_ratio']:.2f} | {r['import_peak_rss_mb']:,.0f} MB |")


if __name__ == "__main__":
    main()
