"""The whole pipeline against Apache Kafka, on SQLite: events recorded in the store, published by
`tuoyu relay`, folded by a worker; the worker's figures end equal to a replay of the store, also
when the broker is SIGKILLed and restarted mid-stream, and when the relay and the worker start
before the broker does."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.integration.test_relay import TUOYU, relay_position
from tests.integration.test_worker import (  # noqa: F401 (store is a fixture)
    NOW,
    Store,
    Worker,
    assert_equal,
    equal_to,
    history,
    markers,
    store,
    wait_for,
)
from tests.support.kafka import KafkaNames
from tests.support.processes import LoggedProcess
from tuoyu.demo.synthetic import synthetic_events
from tuoyu.streams.relay import PARTITIONS, ensure_topic

BATCH = 250


class Relay(LoggedProcess):
    """`tuoyu relay` following the store, as deployed."""

    def __init__(self, recorded: Store, kafka: KafkaNames, root: Path) -> None:
        env = {
            **os.environ,
            "TUOYU_DATA_DIR": str(recorded.settings.data_dir),
            "TUOYU_STORE": recorded.settings.store,
            "TUOYU_KAFKA": kafka.bootstrap,
        }
        super().__init__(
            [TUOYU, "relay", "--quiet", "--topic", kafka.topic, "--batch", "200", "--poll", "0.1"],
            root / "relay.log",
            env,
        )

    def check_alive(self) -> None:
        assert self.process.poll() is None, f"relay exited with {self.process.returncode}:\n{self.tail()}"


def record_in_batches(recorded: Store, events: list[dict], size: int = BATCH, pause: float = 0.0) -> None:
    for start in range(0, len(events), size):
        recorded.record(events[start : start + size])
        if pause:
            time.sleep(pause)


def settle(recorded: Store, relay: Relay, workers: list[Worker], tag: str, timeout: float = 120.0) -> dict:
    """Markers last on every partition, then wait until the worker serves the replay of the store."""
    recorded.record(markers(tag))
    facts = recorded.facts()
    relay.check_alive()
    scraped = wait_for(workers, equal_to(facts, NOW, len(workers)), timeout=timeout)
    relay.check_alive()
    assert_equal(scraped, facts)
    return scraped[0]


def test_the_whole_pipeline_ends_equal_to_a_replay(kafka, store, tmp_path):  # noqa: F811
    ensure_topic([kafka.bootstrap], kafka.topic, PARTITIONS)
    record_in_batches(store, history())
    relay = Relay(store, kafka, tmp_path)
    worker = Worker(kafka, tmp_path, "w1")
    try:
        settle(store, relay, [worker], "a")
        # More while both run: recorded in batches, the relay follows, the worker folds.
        record_in_batches(store, list(synthetic_events(1000, seed=23)), size=100, pause=0.05)
        settle(store, relay, [worker], "b")
        assert relay_position(store.settings) == store.facts()[-1]["position"]
    finally:
        relay.stop()
        worker.stop()
    assert worker.process.returncode == 0, worker.tail()


def test_the_broker_killed_mid_stream_and_restarted_loses_nothing_and_counts_nothing_twice(
    killable_kafka,
    store,  # noqa: F811
    tmp_path,
):
    broker = killable_kafka.broker
    ensure_topic([broker.bootstrap], killable_kafka.topic, PARTITIONS)
    record_in_batches(store, history())
    relay = Relay(store, killable_kafka, tmp_path)
    worker = Worker(killable_kafka, tmp_path, "w1")
    try:
        settle(store, relay, [worker], "a")
        more = list(synthetic_events(1500, seed=29))
        record_in_batches(store, more[:500], size=50)
        deadline = time.monotonic() + 60
        before = store.facts()[-1]["position"]
        while relay_position(store.settings) < before - 400:  # the relay mid-way through them
            assert time.monotonic() < deadline, relay.tail()
            time.sleep(0.02)
        broker.kill()  # SIGKILL: relay and worker lose their connections mid-stream
        record_in_batches(store, more[500:], size=50, pause=0.1)
        relay.check_alive()
        broker.start()  # same data directory, same port
        settle(store, relay, [worker], "b", timeout=180)
        # Stays equal: nothing delivered late counts twice.
        time.sleep(2)
        settle(store, relay, [worker], "c")
    finally:
        relay.stop()
        worker.stop()


def test_a_relay_and_a_worker_started_before_the_broker_wait_and_then_proceed(killable_kafka, store, tmp_path):  # noqa: F811
    broker = killable_kafka.broker
    record_in_batches(store, history())
    broker.kill()
    relay = Relay(store, killable_kafka, tmp_path)
    worker = Worker(killable_kafka, tmp_path, "w1")
    try:
        time.sleep(5)  # both up, the broker not
        relay.check_alive()
        assert worker.process.poll() is None, worker.tail()
        broker.start()
        settle(store, relay, [worker], "a", timeout=180)
    finally:
        relay.stop()
        worker.stop()
