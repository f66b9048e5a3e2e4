"""Streams bench: the relay and the Faust worker, each beside a raw client baseline in the same run.

    .venv/bin/python -m bench.streams [--events 100000]

On an Apache Kafka broker started here (tests/support/kafka.py, the broker of the tests):

- Relay: `Relay.publish_pending` from a SQLite store (read the notification log, build one
  message per township per round, send with the idempotent acks=all producer, track the
  acknowledged rounds) against kafka-python sending the very same messages, prepared
  beforehand, with the same producer settings to another topic, flushed once at the end.
- Worker: a `tuoyu worker` process folding the topic into its tables, measured by its own
  counter of applied facts (from the first applied fact to the last, so start-up and group
  join are left out) against aiokafka reading the same topic without a group and folding each
  fact with the same pure fold in one plain loop, and against aiokafka reading it alone.

Prints a Markdown table (docs/streams.md shows the latest). TUOYU_BENCH_PYSPY=FILE records the
worker with py-spy into FILE (raw format).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.kafka import KafkaBroker
from tests.support.ports import free_port
from tuoyu.demo.synthetic import synthetic_events
from tuoyu.projections.facts import fact_from_state
from tuoyu.projections.fold import apply, new_part
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_registry, open_view_recorder
from tuoyu.streams.messages import Stored, messages_of
from tuoyu.streams.relay import DEFAULT_BATCH, PARTITIONS, Relay, ensure_topic, new_producer

TOPIC = "bench.events"
RAW_TOPIC = "bench.raw"


def record_history(settings: Settings, count: int) -> list[Stored]:
    """Record `count` synthetic events; returns them as the relay reads them: (position, state)."""
    registry = open_registry(settings)
    try:
        events = list(synthetic_events(count, seed=5))
        for start in range(0, len(events), 1000):
            registry.record(events[start : start + 1000], "bench")
        stored: list[Stored] = []
        while page := registry.recorder.select_states(stored[-1][0] if stored else 0, 10_000):
            stored.extend(page)
        return stored
    finally:
        registry.close()


def raw_production(bootstrap: str, stored: list[Stored]) -> float:
    """kafka-python sending the relay's messages (the same rounds), prepared before the clock starts."""
    messages = [
        m for start in range(0, len(stored), DEFAULT_BATCH) for m in messages_of(stored[start : start + DEFAULT_BATCH])
    ]
    ensure_topic([bootstrap], RAW_TOPIC, PARTITIONS)
    producer = new_producer([bootstrap])
    try:
        producer.partitions_for(RAW_TOPIC)  # metadata fetched before the clock starts
        started = time.perf_counter()
        for key, value, headers in messages:
            producer.send(RAW_TOPIC, key=key, value=value, headers=headers)
        producer.flush()
        return time.perf_counter() - started
    finally:
        producer.close()


def relay_publishing(bootstrap: str, settings: Settings) -> tuple[float, int]:
    registry = open_registry(settings)
    relay = Relay(registry.recorder, open_view_recorder(settings), lambda: new_producer([bootstrap]), topic=TOPIC)
    relay.owner = registry
    try:
        ensure_topic([bootstrap], TOPIC, PARTITIONS)
        relay.producer = new_producer([bootstrap])  # connected before the clock starts, like the baseline's
        relay.producer.partitions_for(TOPIC)
        started = time.perf_counter()
        published = relay.publish_pending()
        return time.perf_counter() - started, published
    finally:
        relay.close()


async def _raw_consumption(bootstrap: str, count: int, fold: bool) -> float:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 << 20,
    )
    await consumer.start()
    try:
        tps = [TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        parts: dict[str, dict] = {}
        seen = 0
        started = time.perf_counter()
        while seen < count:
            batch = await consumer.getmany(*tps, timeout_ms=500, max_records=5000)
            for records in batch.values():
                for record in records:
                    message = orjson.loads(record.value)
                    seen += len(message["positions"])
                    if fold:
                        part = parts.get(message["key"]) or parts.setdefault(message["key"], new_part())
                        for position, state in zip(message["positions"], message["states"], strict=True):
                            if position > part["position"]:
                                apply(part, fact_from_state(position, state))
        return time.perf_counter() - started
    finally:
        await consumer.stop()


WORKER = (
    "import sys\nfrom tuoyu.streams.worker import run_worker\n"
    "sys.exit(run_worker(sys.argv[1], int(sys.argv[2]), metrics_host='127.0.0.1', topic=sys.argv[3],"
    " app_id='tuoyu-bench', datadir=sys.argv[4], flush_seconds=0.5))"
)


def worker_folding(bootstrap: str, count: int, workdir: Path) -> float:
    port = free_port()
    log = workdir / "worker.log"
    with log.open("wb") as out:
        profile = os.environ.get("TUOYU_BENCH_PYSPY")  # a file: record the worker with py-spy there
        spy = (
            [str(Path(sys.executable).parent / "py-spy"), "record", "-r", "200", "-o", profile, "-f", "raw", "--"]
            if profile
            else []
        )
        process = subprocess.Popen(
            [*spy, sys.executable, "-c", WORKER, bootstrap, str(port), TOPIC, str(workdir / "faust")],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        first: tuple[float, float] | None = None
        none_yet = time.perf_counter()  # the last scrape that saw nothing applied
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"worker exited:\n{log.read_text(errors='replace')[-3000:]}")
            applied = _applied(port)
            now = time.perf_counter()
            if not applied:
                none_yet = now
            elif first is None:
                first = (now, applied)
            if applied >= count and first is not None:
                if first[1] < count:  # from the first scrape that saw facts applied, scaled to all
                    return (now - first[0]) * count / (count - first[1])
                return now - none_yet  # all of them between two scrapes: at most this long
            time.sleep(0.2)  # each scrape costs the worker a little (renders every series): not too often
        raise RuntimeError("the worker did not apply every fact in 600 s")
    finally:
        # SIGINT: the worker stops on it, and py-spy (when profiling) writes its profile; then the
        # whole group goes, so that no worker outlives the bench.
        try:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(60)
        except ProcessLookupError:
            pass
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _applied(port: int) -> int:
    try:
        # Uncompressed: gzip on every poll would take the worker's interpreter from its work.
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2, headers={"Accept-Encoding": "identity"}).text
    except requests.RequestException:
        return 0
    for family in text_string_to_metric_families(text):
        if family.name == "tuoyu_worker_facts_applied":
            return int(family.samples[0].value)
    return 0


def kafka_version() -> str:
    from tests.support.kafka import kafka_libs

    jar = next(kafka_libs().glob("kafka_2.13-*.jar"))
    return jar.stem.removeprefix("kafka_2.13-")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tuoyu-streams-bench-") as tmp:
        workdir = Path(tmp)
        settings = Settings(data_dir=workdir, store=f"sqlite:///{workdir / 'tuoyu.db'}")
        stored = record_history(settings, args.events)
        count = len(stored)
        with KafkaBroker(workdir / "kafka", quick_start=False) as broker:
            raw_seconds = raw_production(broker.bootstrap, stored)
            relay_seconds, published = relay_publishing(broker.bootstrap, settings)
            assert published == count, (published, count)
            consume_seconds = asyncio.run(_raw_consumption(broker.bootstrap, count, fold=False))
            fold_seconds = asyncio.run(_raw_consumption(broker.bootstrap, count, fold=True))
            worker_seconds = worker_folding(broker.bootstrap, count, workdir)

    def rate(seconds: float) -> float:
        return count / seconds

    print(
        f"{count:,} facts, Apache Kafka {kafka_version()} (one node), {PARTITIONS} partitions, "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| part | rate (facts/s) | baseline | baseline rate | ratio |")
    print("|---|---:|---|---:|---:|")
    print(
        f"| relay (store → topic) | {rate(relay_seconds):,.0f} | kafka-python sending the same messages"
        f" | {rate(raw_seconds):,.0f} | {raw_seconds / relay_seconds:.2f} |"
    )
    print(
        f"| Faust worker (topic → tables) | {rate(worker_seconds):,.0f} | aiokafka reading and folding"
        f" | {rate(fold_seconds):,.0f} | {fold_seconds / worker_seconds:.2f} |"
    )
    print(
        f"| Faust worker (topic → tables) | {rate(worker_seconds):,.0f} | aiokafka reading alone"
        f" | {rate(consume_seconds):,.0f} | {consume_seconds / worker_seconds:.2f} |"
    )


if __name__ == "__main__":
    main()
