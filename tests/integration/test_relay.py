"""The relay to Kafka, against Apache Kafka and both stores: every stored event is published once,
keyed by township and in order per key, one message per township per round; a relay killed
mid-run resumes with no gap; its position survives restarts; a broker SIGKILLed and restarted
is ridden out."""

from __future__ import annotations

import collections
import dataclasses
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import psycopg

from tests.support.kafka import Consumed, KafkaNames, consume_all
from tests.support.stores import POSTGRES_URL
from tuoyu.demo.synthetic import synthetic_events
from tuoyu.domain.catalogue import TOWNSHIP_IDS
from tuoyu.projections.facts import fact_from_stored, partition_of
from tuoyu.projections.fold import apply
from tuoyu.projections.snapshot import new_view
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_registry, open_relay, open_view_recorder
from tuoyu.streams.messages import facts_of
from tuoyu.streams.relay import KEEP_EVERYTHING, TRACKING_NAME
from tuoyu.streams.relay_metrics import RelayCollector
from tuoyu.views.replay import fold_all

TUOYU = str(Path(sys.executable).parent / "tuoyu")


def district_events(seed: int, count: int = 6) -> list[dict]:
    """Events without a township: they travel under the key "district"."""
    events = []
    for n in range(count):
        day = f"2025-0{1 + n % 9}-1{n % 10}T10:00:00+08:00"
        if n % 2:
            events.append(
                {
                    "event_id": f"d-{seed}-{n}",
                    "type": "TrainingCompleted",
                    "occurred_at": day,
                    "course": "caregiver",
                    "people": 10 + n,
                }
            )
        else:
            events.append(
                {
                    "event_id": f"d-{seed}-{n}",
                    "type": "TargetSet",
                    "occurred_at": day,
                    "scope": "district",
                    "kpi": "slots_total",
                    "value": 1000 + n,
                    "start": "2024-01-01",
                    "due": "2025-12-31",
                }
            )
    return events


def record(settings: Settings, count: int, seed: int = 7) -> int:
    """Record a synthetic history with a few district events in it; returns the store position."""
    app = open_registry(settings)
    try:
        events = list(synthetic_events(count, seed=seed))
        middle = len(events) // 2
        events = events[:middle] + district_events(seed) + events[middle:]
        # In parts: one transaction of 12,000 events outlasts PostgreSQL's idle-in-transaction
        # timeout (eventsourcing's default) on a machine busy with other work.
        for start in range(0, len(events), 1000):
            app.record(events[start : start + 1000], "relay-test")
        return app.position()
    finally:
        app.close()


def stored_facts(settings: Settings) -> list[dict]:
    """Every stored event as a fact, personal values as the store's digests: what the relay
    publishes (it never puts a personal value back)."""
    app = open_registry(settings)
    try:
        return [fact_from_stored(position, state) for position, state in app.recorder.select_states(0, 10**9)]
    finally:
        app.close()


def relay_position(settings: Settings) -> int:
    recorder = open_view_recorder(settings)
    try:
        return recorder.max_tracking_id(TRACKING_NAME) or 0
    finally:
        recorder.datastore.close()


@dataclasses.dataclass(frozen=True)
class Delivered:
    """One fact as a consumer gets it: the message that carried it, and the fact."""

    record: Consumed
    fact: dict

    @property
    def position(self) -> int:
        return self.fact["position"]


def delivered(records: list[Consumed]) -> list[Delivered]:
    """Every fact of every message, in consumption order (partition by partition, by offset)."""
    return [Delivered(record, fact) for record in records for fact in facts_of(orjson.loads(record.value))]


def check_messages(records: list[Consumed], facts: list[dict]) -> None:
    """Each message carries stored events of its key in recorded order, each the stored fact,
    with first/last/count headers."""
    by_position = {fact["position"]: fact for fact in facts}
    for record in records:
        body = orjson.loads(record.value)
        assert record.key == body["key"].encode()
        positions = body["positions"]
        assert positions == sorted(positions) and (body["first"], body["last"]) == (positions[0], positions[-1])
        assert record.headers == {
            "first": str(positions[0]).encode(),
            "last": str(positions[-1]).encode(),
            "count": str(len(positions)).encode(),
        }
        for fact in facts_of(body):
            assert fact == by_position[fact["position"]]
            assert partition_of(fact) == body["key"]


def check_order_and_fold(records: list[Consumed], facts: list[dict]) -> None:
    """Per key: one partition, first deliveries in increasing position; folding fact by fact in
    consumption order (duplicates skipped by position, as the worker does) equals a replay."""
    partitions: dict[str, set[int]] = collections.defaultdict(set)
    seen: dict[str, list[int]] = collections.defaultdict(list)
    view = new_view()
    for one in delivered(records):
        key = partition_of(one.fact)
        partitions[key].add(one.record.partition)
        before = seen[key]
        # Either the next position of this key, or a resend of one already delivered (a restart).
        assert not before or one.position > max(before) or one.position in before, (key, one.position)
        before.append(one.position)
        apply(view[key], one.fact)
    assert all(len(p) == 1 for p in partitions.values()), partitions
    replayed, position = fold_all(facts)
    assert view == replayed
    assert position == len(facts)


def topic_config(bootstrap: str, topic: str) -> dict[str, str]:
    from kafka import KafkaAdminClient
    from kafka.admin import ConfigResource, ConfigResourceType

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        admin.close()
    [configs] = [found for by_name in described.values() for found in by_name.values()]
    return {name: entry["value"] if isinstance(entry, dict) else entry for name, entry in configs.items()}


def test_the_relay_publishes_every_stored_event_keyed_by_township_in_order(store_settings, kafka: KafkaNames):
    settings = dataclasses.replace(store_settings, kafka=kafka.bootstrap)
    total = record(settings, 2000)
    relay = open_relay(settings, topic=kafka.topic, batch=500)
    try:
        assert relay.publish_pending() == total
        assert relay.position == total
    finally:
        relay.close()

    records = consume_all(kafka.bootstrap, kafka.topic)
    facts = stored_facts(settings)
    assert sorted(one.position for one in delivered(records)) == list(range(1, total + 1))  # each exactly once
    check_messages(records, facts)
    keys = {r.key.decode() for r in records}
    assert "district" in keys and keys - {"district"} <= set(TOWNSHIP_IDS) and len(keys) > 5
    # One message per key per round of 500 facts (2,006 facts: 5 rounds).
    assert len(records) <= 5 * len(keys) and len(records) < total / 20
    for key in keys:  # within a key, consumption order is recorded order
        positions = [one.position for one in delivered(records) if one.record.key == key.encode()]
        assert positions == sorted(positions)
    assert {r.partition for r in records} == {0, 1, 2, 3}  # created with 4 partitions, all in use
    config = topic_config(kafka.bootstrap, kafka.topic)
    assert {name: config[name] for name in KEEP_EVERYTHING} == KEEP_EVERYTHING  # the topic keeps its history
    replayed, _ = fold_all(facts)
    assert fold_all(sorted((one.fact for one in delivered(records)), key=lambda f: f["position"]))[0] == replayed
    check_order_and_fold(records, facts)


@contextmanager
def tracking_held(settings: Settings) -> Iterator[None]:
    """A write lock on the store's tracking table, held here: a relay goes on reading and sending
    but cannot record how far the brokers acknowledged, so it stays mid-run while it is held."""
    if settings.store.startswith("sqlite:///"):
        conn = sqlite3.connect(settings.store.removeprefix("sqlite:///"), isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield
        finally:
            conn.close()
        return
    schema = settings.store.split("schema=")[1]
    with psycopg.connect(POSTGRES_URL) as conn:
        conn.execute(f"LOCK TABLE {schema}.notification_tracking IN SHARE ROW EXCLUSIVE MODE")
        yield
        conn.rollback()


def wait_for_sent_after(kafka: KafkaNames, position: int, relay: subprocess.Popen) -> None:
    """Until the topic carries facts after `position` (sent, not tracked)."""
    deadline = time.monotonic() + 60
    while not any(one.position > position for one in delivered(consume_all(kafka.bootstrap, kafka.topic))):
        assert relay.poll() is None and time.monotonic() < deadline, "the relay sent nothing after its position"
        time.sleep(0.1)


def test_a_relay_killed_mid_run_resumes_with_no_gap(store_settings, store_env, kafka: KafkaNames):
    settings = dataclasses.replace(store_settings, kafka=kafka.bootstrap)
    env = {**store_env, "TUOYU_KAFKA": kafka.bootstrap}
    published = record(settings, 3000, seed=11)
    follower = subprocess.Popen(
        [TUOYU, "relay", "--quiet", "--topic", kafka.topic, "--batch", "200", "--poll", "0.1"], env=env
    )
    try:
        deadline = time.monotonic() + 60
        while relay_position(settings) < published:
            assert follower.poll() is None and time.monotonic() < deadline, "the relay did not publish the history"
            time.sleep(0.05)
        # More history while it waits; then it runs with its position held where it is, and is
        # killed once it has sent some of them: mid-run, whatever the speed of the machine.
        follower.send_signal(signal.SIGSTOP)
        total = record(settings, 9000, seed=12)
        with tracking_held(settings):
            follower.send_signal(signal.SIGCONT)
            wait_for_sent_after(kafka, published, follower)
            follower.send_signal(signal.SIGKILL)
            follower.wait(10)
    finally:
        if follower.poll() is None:
            follower.kill()
    killed_at = relay_position(settings)
    assert killed_at == published < total, f"the relay was not caught mid-run (position {killed_at} of {total})"

    subprocess.run([TUOYU, "relay", "--once", "--quiet", "--topic", kafka.topic], env=env, check=True, timeout=120)
    assert relay_position(settings) == total

    records = consume_all(kafka.bootstrap, kafka.topic)
    facts = stored_facts(settings)
    counts = collections.Counter(one.position for one in delivered(records))
    assert set(counts) == set(range(1, total + 1))  # no gap
    duplicates = {p: n for p, n in counts.items() if n > 1}
    # (A round whose position could not be recorded is sent again: more than twice is possible.)
    # Only what was sent after the last tracked position can have gone out twice.
    assert all(p > killed_at for p in duplicates), killed_at
    print(f"killed at position {killed_at} of {total}: {len(duplicates)} duplicate(s)")
    first = {}
    for one in delivered(records):
        first.setdefault(one.position, one.fact)
    assert [first[p] for p in sorted(first)] == facts  # deduplicated by position: the store
    check_messages(records, facts)
    check_order_and_fold(records, facts)


def test_the_relay_keeps_its_position_across_restarts(store_settings, store_env, kafka: KafkaNames):
    settings = dataclasses.replace(store_settings, kafka=kafka.bootstrap)
    env = {**store_env, "TUOYU_KAFKA": kafka.bootstrap}

    def relay_once() -> str:
        done = subprocess.run(
            [TUOYU, "relay", "--once", "--topic", kafka.topic],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout

    first = record(settings, 300, seed=3)
    assert f"published {first} event(s) to {kafka.topic}" in relay_once()
    assert "published 0 event(s)" in relay_once()
    total = record(settings, 120, seed=5)
    assert f"published {total - first} event(s)" in relay_once()
    assert "published 0 event(s)" in relay_once()
    assert relay_position(settings) == total

    records = consume_all(kafka.bootstrap, kafka.topic)
    assert sorted(one.position for one in delivered(records)) == list(range(1, total + 1))
    check_messages(records, stored_facts(settings))


def test_the_relay_rides_out_a_broker_killed_and_restarted(tmp_path, killable_kafka: KafkaNames):
    broker = killable_kafka.broker
    settings = Settings(data_dir=tmp_path, store=f"sqlite:///{tmp_path / 'tuoyu.db'}", kafka=broker.bootstrap)
    first = record(settings, 500, seed=1)
    relay = open_relay(settings, topic=killable_kafka.topic, batch=100)
    stop = threading.Event()
    follower = threading.Thread(target=relay.run, args=(stop, 0.05), daemon=True)
    follower.start()

    def served() -> dict[str, float]:
        return {f.name: f.samples[0].value for f in RelayCollector(relay).collect()}

    def wait_for(position: int, timeout: float) -> None:
        """Until the tracked position and the served one (set just after it is tracked) reach it."""
        deadline = time.monotonic() + timeout
        while relay.position < position or served()["tuoyu_relay_position"] < position:
            assert time.monotonic() < deadline, f"the relay is at {relay.position}, not {position}"
            time.sleep(0.02)

    try:
        wait_for(first, 30)
        assert served()["tuoyu_relay_position"] == first
        assert served()["tuoyu_relay_failed_rounds"] == 0
        broker.kill()  # SIGKILL: connections gone mid-whatever; the data stays on disk
        total = record(settings, 300, seed=2)
        time.sleep(3)
        assert relay.position == first  # nothing is acknowledged, so nothing is tracked
        assert served()["tuoyu_relay_position"] == first
        broker.start()  # same data, same port
        wait_for(total, 90)
        metrics = served()
        assert metrics["tuoyu_relay_position"] == total
        assert metrics["tuoyu_relay_published"] >= total - first
        assert metrics["tuoyu_relay_last_success_timestamp_seconds"] > time.time() - 120
    finally:
        stop.set()
        relay.wake()
        follower.join(30)
        relay.close()
    records = consume_all(broker.bootstrap, killable_kafka.topic)
    assert {one.position for one in delivered(records)} == set(range(1, total + 1))
    check_messages(records, stored_facts(settings))
    check_order_and_fold(records, stored_facts(settings))


def test_kafka_settings_are_read_and_checked():
    from tuoyu.service.config import ConfigError, kafka_bootstrap, settings_from_env

    assert settings_from_env({}).kafka == "127.0.0.1:9092"
    settings = settings_from_env({"TUOYU_KAFKA": "k1:9092, k2:19092"})
    assert kafka_bootstrap(settings) == ["k1:9092", "k2:19092"]
    for bad in ("k1", "k1:port", ":9092", "k1:0"):
        try:
            kafka_bootstrap(dataclasses.replace(settings, kafka=bad))
        except ConfigError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
