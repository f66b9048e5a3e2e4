"""The Faust worker against Apache Kafka: facts published as the relay publishes them are folded
into tables by township, and the metrics each worker serves equal a replay of the same facts; a
re-sent history does not count twice; two workers split the partitions and their summed series
equal the replay; partitions move with their state; a worker killed mid-stream, or between a
batch and the next summary refresh, ends equal to the replay; records skipped are read again."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
import requests
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.demo import DEMO_NOW, DEMO_TODAY
from tests.support.kafka import KafkaNames
from tests.support.ports import free_port
from tests.support.processes import LoggedProcess
from tuoyu import clock
from tuoyu.contracts import plan_targets
from tuoyu.demo.loading import record_demo
from tuoyu.demo.synthetic import synthetic_events
from tuoyu.domain.catalogue import DISTRICT, EVENT_TYPES, INSTITUTION_KINDS, TOWNSHIP_IDS
from tuoyu.metrics.collectors import COURSES, PER_TOWNSHIP, KpiCollector
from tuoyu.projections.facts import SHANGHAI
from tuoyu.projections.lists import closures
from tuoyu.projections.snapshot import build_snapshot
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_registry, open_relay
from tuoyu.streams.messages import messages_of
from tuoyu.streams.relay import PARTITIONS, ensure_topic, new_producer
from tuoyu.streams.worker import key_partition
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import fold_all, replay_snapshot

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=SHANGHAI)
EVENTS = 2000
TARGET_FIELDS = {"childcare_target_value": "value", "childcare_target_expected": "expected",
                 "childcare_target_actual": "actual"}

# The worker in its own process, as `tuoyu worker` runs it, on a fixed clock so that overdue
# rectifications and target pace match the replay evaluated at NOW.
# argv: bootstrap, metrics port, now, app id, data dir, batch (messages), topic, refresh interval.
WORKER_SETUP = """
import os, sys
from datetime import datetime
from tuoyu.streams.worker import KpiWorker, WorkerConfig, serve, topic_partitions
now = datetime.fromisoformat(sys.argv[3])
# As run_worker: the topic's partition count from the brokers (waiting for them), then the app.
config = WorkerConfig(sys.argv[1], topic_partitions(sys.argv[1], sys.argv[7]), topic=sys.argv[7],
                      app_id=sys.argv[4], datadir=sys.argv[5],
                      clock=lambda: now, flush_seconds=0.2, refresh_interval=float(sys.argv[8]),
                      session_timeout=4.0, batch_size=int(sys.argv[6]), faust_settings=FAUST)
"""
WORKER = "FAUST = {}\n" + WORKER_SETUP + """
sys.exit(serve(KpiWorker(config), int(sys.argv[2]), metrics_host="127.0.0.1",
               loglevel=os.environ.get("TUOYU_WORKER_LOGLEVEL", "warning")))
"""

# The same worker with one fault: the first time the partition argv[9] is assigned, it resumes
# argv[10] messages past where its state ends, as a committed offset written apart from the state
# (Faust's own) could make it. Faust may already hold records from the group's committed offset
# (the state's end) when the fault seeks: they come first, in order, and would fill the hole if
# they reached past it, so Faust takes one record per fetch here and buffers few. The small
# buffer also keeps its fetch loop mid-batch when the jump is seen: records ahead of the jump
# keep coming after the seek back.
SKIPPING_WORKER = "FAUST = {'stream_buffer_maxsize': 4, 'broker_max_poll_records': 1}\n" + WORKER_SETUP + """
partition, skip = int(sys.argv[9]), int(sys.argv[10])
class Skipping(KpiWorker):
    skipped = False
    def resume_offsets(self, assigned):
        offsets = super().resume_offsets(assigned)
        for tp, offset in offsets.items():
            if tp.partition == partition and offset is not None and not self.skipped:
                offsets[tp], self.skipped = offset + skip, True
        return offsets
sys.exit(serve(Skipping(config), int(sys.argv[2]), metrics_host="127.0.0.1"))
"""

# The same worker whose summary timer does nothing once the file argv[9] exists: killed then, it
# has folded facts whose summaries it never published.
FROZEN_SUMMARIES_WORKER = "FAUST = {}\n" + WORKER_SETUP + """
flag = sys.argv[9]
class Frozen(KpiWorker):
    async def refresh(self):
        if not os.path.exists(flag):
            await super().refresh()
sys.exit(serve(Frozen(config), int(sys.argv[2]), metrics_host="127.0.0.1"))
"""


class Store:
    """A temp SQLite store with a recorded history; its facts read in recorded order."""

    def __init__(self, root: Path) -> None:
        self.settings = Settings(data_dir=root, store=f"sqlite:///{root / 'tuoyu.db'}")
        self.registry = open_registry(self.settings)  # kept referenced while its facts are read

    def record(self, events: list[dict]) -> None:
        self.registry.record(events, "worker-test")

    def facts(self) -> list[dict]:
        return list(read_facts(self.registry.recorder))

    def close(self) -> None:
        self.registry.close()


def history(count: int = EVENTS) -> list[dict]:
    events = list(synthetic_events(count, seed=11))
    district = [{"event_id": f"train-{n}", "type": "TrainingCompleted",
                 "occurred_at": f"2025-0{1 + n}-10T10:00:00+08:00",
                 "course": ("head", "caregiver", "health")[n % 3], "people": 5 + n} for n in range(6)]
    return [*plan_targets(), *events[: count // 2], *district, *events[count // 2:]]


def markers(tag: str, course: str = "health") -> list[dict]:
    """One small fact for every key (hence every partition): when a worker has applied these,
    it has read everything sent before them."""
    return [{"event_id": f"marker-{tag}-{key}", "type": "TrainingCompleted", "occurred_at": "2025-12-01T10:00:00+08:00",
             "course": course, "people": 1, **({} if key == DISTRICT else {"township": key})}
            for key in (DISTRICT, *TOWNSHIP_IDS)]


def publish(kafka: KafkaNames, facts: list[dict], round_size: int = 100) -> None:
    """As the relay publishes: rounds of `round_size` facts, one message per township per round."""
    ensure_topic([kafka.bootstrap], kafka.topic, PARTITIONS)
    producer = new_producer([kafka.bootstrap])
    try:
        for start in range(0, len(facts), round_size):
            for key, value, headers in messages_of(facts[start:start + round_size]):
                producer.send(kafka.topic, key=key, value=value, headers=headers)
        producer.flush()
    finally:
        producer.close()


def record_and_publish_markers(store: Store, kafka: KafkaNames, tag: str) -> list[dict]:
    """Record one marker per key and publish them, as the relay would; returns every stored fact."""
    store.record(markers(tag))
    facts = store.facts()
    publish(kafka, facts[-len(markers(tag)):])
    return facts


class Worker(LoggedProcess):
    def __init__(self, kafka: KafkaNames, root: Path, name: str, batch: int = 20, script: str = WORKER,
                 *args: object, refresh: float = 0.2, now: datetime = NOW) -> None:
        self.port = free_port()
        super().__init__([sys.executable, "-c", script, kafka.bootstrap, str(self.port), now.isoformat(),
                          kafka.app_id, str(root / name), str(batch), kafka.topic, str(refresh), *map(str, args)],
                         root / f"{name}.log")

    def scrape(self, prefix: str = "childcare_") -> dict[str, dict[tuple, float]]:
        """{metric: {label values (sorted by label name): value}} of the series named prefix*."""
        text = requests.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5).text
        found: dict[str, dict[tuple, float]] = defaultdict(dict)
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name.startswith(prefix):
                    found[sample.name][tuple(sorted(sample.labels.items()))] = sample.value
        return found

    def counter(self, name: str) -> float:
        return self.scrape(name)[name][()]


def townships_served(scraped: dict) -> set[str]:
    return {dict(labels)["township"] for labels in scraped.get("childcare_slots", {})}


def wait_for(workers: list[Worker], ready, timeout: float = 90.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        for worker in workers:
            if worker.process.poll() is not None:
                raise AssertionError(f"worker exited with {worker.process.returncode}:\n{worker.tail()}")
        try:
            scraped = [w.scrape() for w in workers]
            if ready(scraped):
                return scraped
            last = getattr(ready, "differs", None) or [s.get("childcare_projection_position") for s in scraped]
        except requests.RequestException as error:
            last = error
        time.sleep(0.3)
    raise AssertionError(f"workers not ready in {timeout} s (last: {last!r}):\n" + "\n".join(w.tail() for w in workers))


def summed(scraped: list[dict]) -> dict[str, dict[tuple, float]]:
    """What Prometheus sums across workers (sum by the series' own labels)."""
    total: dict[str, dict[tuple, float]] = defaultdict(lambda: defaultdict(float))
    for one in scraped:
        for name, series in one.items():
            for labels, value in series.items():
                total[name][labels] += value
    return total


def expected_series(snapshot: dict) -> dict[str, dict[tuple, float]]:
    """The contract series of a replay snapshot, as KpiCollector names them."""
    series: dict[str, dict[tuple, float]] = defaultdict(dict)
    for township, figures in snapshot["townships"].items():
        for metric, figure, _ in PER_TOWNSHIP:
            series[metric][(("township", township),)] = figures[figure]
        for kind in INSTITUTION_KINDS:
            series["childcare_institutions"][(("kind", kind), ("township", township))] = (
                figures["institutions_by_kind"].get(kind, 0))
    for course, figure in COURSES:
        series["childcare_trained_people"][(("course", course),)] = snapshot["district"][figure]
    for target in snapshot["targets"]:
        labels = (("kpi", target["kpi"]), ("scope", target["scope"]))
        for metric, field in TARGET_FIELDS.items():
            series[metric][labels] = target[field]
        series["childcare_target_behind"][labels] = 1 if target["status"] in ("behind", "missed") else 0
    return series


def check_equal(served: dict, snapshot: dict) -> None:
    expected = expected_series(snapshot)
    assert snapshot["targets"], "the history should set targets"
    for metric, series in expected.items():
        got = {labels: value for labels, value in served.get(metric, {}).items()}
        assert got == pytest.approx(dict(series)), metric


def matches(snapshot: dict, workers: int = 1):
    """Ready when `workers` workers serve and their summed series equal the replay's: markers
    (one per partition, recorded last) make the replay differ from any earlier state."""
    expected = expected_series(snapshot)

    def ready(scraped: list[dict]) -> bool:
        if len(scraped) != workers or not all(townships_served(s) for s in scraped):
            return False
        total = summed(scraped)
        ready.differs = {metric: sorted(set(total.get(metric, {}).items()) ^ set(series.items()))[:6]
                         for metric, series in expected.items()
                         if dict(total.get(metric, {})) != pytest.approx(dict(series))}
        return not ready.differs
    return ready


@pytest.fixture
def store(tmp_path: Path):
    store = Store(tmp_path)
    try:
        yield store
    finally:
        store.close()


def test_worker_serves_the_replayed_figures_and_ignores_a_resent_history(kafka, store, tmp_path):
    store.record(history())
    facts = store.facts()
    publish(kafka, facts)
    worker = Worker(kafka, tmp_path, "w1")
    try:
        # Markers last on every partition: once the worker applied them it applied everything.
        facts = record_and_publish_markers(store, kafka, "a")
        snapshot = replay_snapshot(facts, NOW)
        [served] = wait_for([worker], matches(snapshot))
        check_equal(served, snapshot)
        assert served["childcare_projection_position"] == {(("view", "faust"),): facts[-1]["position"]}
        assert served["childcare_projection_stuck"] == {(("view", "faust"),): 0}
        assert "childcare_events_recorded" not in served

        # The whole history again (a relay that lost its position), then new markers: nothing counts twice.
        publish(kafka, facts)
        facts = record_and_publish_markers(store, kafka, "b")
        snapshot = replay_snapshot(facts, NOW)
        [served] = wait_for([worker], matches(snapshot))
        check_equal(served, snapshot)
        assert worker.counter("tuoyu_worker_duplicates_dropped_total") >= len(facts) - len(markers("b"))
    finally:
        worker.stop()
    assert worker.process.returncode == 0, worker.tail()


@pytest.mark.parametrize("kill_after", ["first facts", "half the backlog"])
def test_a_worker_killed_mid_stream_and_restarted_ends_equal_to_the_replay(kafka, store, tmp_path, kill_after):
    """SIGKILL while the backlog is being folded (small batches, so the kill lands between
    changelog writes; early, before any offset was kept, or later), then the same worker again:
    its state recovered from the changelogs and the messages after its kept offsets give exactly
    the replay."""
    store.record(history())
    store.record(markers("a"))
    facts = store.facts()
    publish(kafka, facts, round_size=20)
    # By facts applied, not by the position served (the newest of any partition's: a short
    # partition reaches the last markers long before the others are through).
    kill_at = 1 if kill_after == "first facts" else len(facts) // 2
    worker = Worker(kafka, tmp_path, "w1", batch=2)
    killed_at = None
    try:
        deadline = time.monotonic() + 90
        while killed_at is None and time.monotonic() < deadline:
            assert worker.process.poll() is None, worker.tail()
            try:
                applied = worker.counter("tuoyu_worker_facts_applied_total")
            except requests.RequestException:
                applied = 0
            if applied >= kill_at:
                worker.kill()
                killed_at = applied
            time.sleep(0.02)
        assert killed_at is not None, "the worker applied nothing in 90 s:\n" + worker.tail()
        assert killed_at < len(facts), f"the kill came after the whole backlog ({killed_at} of {len(facts)})"
        worker = Worker(kafka, tmp_path, "w1")
        snapshot = replay_snapshot(facts, NOW)
        [served] = wait_for([worker], matches(snapshot))
        check_equal(served, snapshot)
    finally:
        worker.stop()


def test_two_workers_split_the_partitions_and_sum_to_the_replay(kafka, store, tmp_path):
    ensure_topic([kafka.bootstrap], kafka.topic, PARTITIONS)
    workers = [Worker(kafka, tmp_path, f"w{n}") for n in (1, 2)]
    try:
        # Both in the group before any fact arrives, so neither takes over the other's state.
        wait_for(workers, lambda scraped: all(townships_served(s) for s in scraped))
        store.record(history())
        store.record(markers("a"))
        facts = store.facts()
        publish(kafka, facts)
        snapshot = replay_snapshot(facts, NOW)
        scraped = wait_for(workers, matches(snapshot, workers=2))
        served = [townships_served(s) for s in scraped]
        assert not served[0] & served[1], "a township is served by both workers"
        owners = {worker: {key_partition(t, PARTITIONS) for t in s} for worker, s in enumerate(served)}
        assert not owners[0] & owners[1], owners
        assert sum(1 for s in scraped if s.get("childcare_target_value")) == 1, "targets from one worker only"
        check_equal(summed(scraped), snapshot)
    finally:
        for worker in workers:
            worker.stop()


def test_partitions_move_between_workers_with_their_state(kafka, store, tmp_path):
    """A worker joining takes partitions over (their parts recovered from the changelog); a
    worker leaving hands them back; the figures stay those of the replay throughout."""
    store.record(history())
    store.record(markers("a"))
    facts = store.facts()
    publish(kafka, facts)
    first = Worker(kafka, tmp_path, "w1")
    second = None
    try:
        wait_for([first], matches(replay_snapshot(facts, NOW)))
        second = Worker(kafka, tmp_path, "w2")
        wait_for([first, second], matches(replay_snapshot(facts, NOW), workers=2))
        facts = record_and_publish_markers(store, kafka, "b")
        scraped = wait_for([first, second], matches(replay_snapshot(facts, NOW), workers=2))
        assert all(townships_served(s) for s in scraped)
        second.stop()
        facts = record_and_publish_markers(store, kafka, "c")
        snapshot = replay_snapshot(facts, NOW)
        [served] = wait_for([first], matches(snapshot))
        check_equal(served, snapshot)
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop()


def test_a_worker_killed_between_a_batch_and_the_next_summary_refresh_republishes_what_is_stale(
        kafka, store, tmp_path):
    """Two workers; the one without the district has folded new facts of its townships but not
    yet published their summaries when it is killed. Which summaries are stale is read from the
    tables (a summary's position against its part's), so the worker started again publishes them
    at its first refresh, and the district targets equal the replay."""
    ensure_topic([kafka.bootstrap], kafka.topic, PARTITIONS)
    flags = {name: tmp_path / f"freeze-{name}" for name in ("w1", "w2")}
    workers = {name: Worker(kafka, tmp_path, name, 20, FROZEN_SUMMARIES_WORKER, flags[name]) for name in flags}
    try:
        store.record(history())
        store.record(markers("a"))
        facts = store.facts()
        publish(kafka, facts)
        wait_for(list(workers.values()), matches(replay_snapshot(facts, NOW), workers=2))
        [owner] = [name for name, w in workers.items() if w.scrape().get("childcare_target_value")]
        [other] = [name for name in workers if name != owner]
        mine = townships_served(workers[other].scrape())
        # New facts for every township; the other worker folds its own and publishes no summary.
        flags[other].touch()
        applied = workers[other].counter("tuoyu_worker_facts_applied_total")
        store.record(markers("b", course="caregiver"))  # a district target counts these
        facts = store.facts()
        publish(kafka, facts[-len(markers("b")):])
        deadline = time.monotonic() + 60
        while workers[other].counter("tuoyu_worker_facts_applied_total") < applied + len(mine):
            assert time.monotonic() < deadline, workers[other].tail()
            time.sleep(0.05)
        workers[other].kill()
        snapshot = replay_snapshot(facts, NOW)
        expected = expected_series(snapshot)["childcare_target_actual"]
        served = workers[owner].scrape()["childcare_target_actual"]
        assert served != pytest.approx(dict(expected)), "the district's targets should read stale summaries"
        started = time.monotonic()
        workers[other] = Worker(kafka, tmp_path, other)
        scraped = wait_for(list(workers.values()), matches(snapshot, workers=2))
        print(f"equal to the replay {time.monotonic() - started:.1f} s after the restart")
        check_equal(summed(scraped), snapshot)
    finally:
        for worker in workers.values():
            worker.stop()


def test_records_skipped_by_the_consumer_are_seen_and_read_again(kafka, store, tmp_path):
    """A worker that resumes past where its state ends (records skipped, as Faust lets a jump in
    offsets pass) sees the jump against the offset kept with its state, seeks back and reads
    them: the figures equal the replay, and the jump is counted."""
    store.record(history())
    store.record(markers("a"))
    facts = store.facts()
    publish(kafka, facts)
    worker = Worker(kafka, tmp_path, "w1")
    try:
        wait_for([worker], matches(replay_snapshot(facts, NOW)))
    finally:
        worker.stop()
    # A backlog after the state's offsets on every partition: more history, then markers.
    before = len(facts)
    store.record(list(synthetic_events(1500, seed=12)))
    store.record(markers("b"))
    facts = store.facts()
    publish(kafka, facts[before:], round_size=20)
    partition = key_partition(TOWNSHIP_IDS[0], PARTITIONS)
    worker = Worker(kafka, tmp_path, "w1", 5, SKIPPING_WORKER, partition, 20)
    try:
        snapshot = replay_snapshot(facts, NOW)
        [served] = wait_for([worker], matches(snapshot))
        check_equal(served, snapshot)
        # At least the one made here: Faust also skips a record now and then by itself (seen in
        # 1 run of 8 under load, on another partition), and that is read again the same way.
        assert worker.counter("tuoyu_worker_offset_jumps_total") >= 1
        assert worker.counter("tuoyu_worker_offset_jumps_unrecovered_total") == 0
    finally:
        worker.stop()


# -- every contract figure of the demo district, through Kafka ------------------------------------

# Series about the view itself, not figures: the workers export their own (view="faust") and
# leave the newest recorded position to the API.
VIEW_SERIES = frozenset({"childcare_events_recorded", "childcare_projection_position",
                         "childcare_projection_stuck", "childcare_projection_stuck_position"})


def parsed(text: str, prefix: str = "childcare_") -> dict[str, dict[tuple, float]]:
    """{metric: {label values (sorted by label name): value}} of the series named prefix*."""
    found: dict[str, dict[tuple, float]] = defaultdict(dict)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith(prefix):
                found[sample.name][tuple(sorted(sample.labels.items()))] = sample.value
    return dict(found)


def service_series(facts: list[dict], now: datetime) -> dict[str, dict[tuple, float]]:
    """Every childcare_* series the service's own collector exports from a replay of `facts`
    evaluated at `now` (the snapshot and open closures /metrics serves), as a scrape parses them."""
    view, position = fold_all(facts)
    snapshot = build_snapshot(view, now, now, position)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(KpiCollector(lambda: snapshot, lambda: (position, {}), lambda: closures(view, "open")))
    return {name: series for name, series in parsed(generate_latest(registry).decode()).items()
            if name not in VIEW_SERIES}


def is_info(metric: str) -> bool:
    return metric.endswith("_info")


def differences(expected: dict[str, dict[tuple, float]], scraped: list[dict]) -> dict[str, list]:
    """Where the workers' export differs from the service's: the figures summed across workers
    (as Prometheus sums them), the info series (names to look up) on each worker as they are."""
    got = {name: dict(series) for name, series in summed(scraped).items()
           if name not in VIEW_SERIES and not is_info(name)}
    want = {name: series for name, series in expected.items() if not is_info(name)}
    differ = {}
    for name in sorted(set(got) | set(want)):
        mine, theirs = got.get(name, {}), want.get(name, {})
        if mine.keys() != theirs.keys() or mine != pytest.approx(theirs):
            differ[name] = sorted(set(mine.items()) ^ set(theirs.items()))[:6]
    for index, one in enumerate(scraped):
        for name in [n for n in expected if is_info(n)]:
            if one.get(name) != expected[name]:
                differ[f"{name} (worker {index + 1})"] = sorted(set(one.get(name, {}).items()) ^
                                                               set(expected[name].items()))[:6]
    return differ


def equal_to(expected: dict[str, dict[tuple, float]], workers: int):
    def ready(scraped: list[dict]) -> bool:
        if len(scraped) != workers or not all(townships_served(s) for s in scraped):
            return False
        ready.differs = differences(expected, scraped)
        return not ready.differs
    return ready


@pytest.mark.parametrize("workers", [1, 2])
def test_every_contract_series_of_the_demo_district_equals_the_services_own_export(kafka, store, tmp_path,
                                                                                 workers):
    """The demo district (every event type of the contract, its revision included) published by
    the relay and folded by one worker, or by two splitting the partitions: every childcare_*
    series they export, summed as Prometheus sums them, equals what the service's own collector
    exports from a replay of the same store at the same evaluation time; every worker names
    the townships and kpis as the service does."""
    with clock.set_to(DEMO_NOW):
        record_demo(store.registry, today=DEMO_TODAY)
    facts = store.facts()
    assert {fact["event"]["type"] for fact in facts} == set(EVENT_TYPES), "the demo should have every event type"
    relay = open_relay(replace(store.settings, kafka=kafka.bootstrap), topic=kafka.topic)
    try:
        assert relay.publish_pending() == len(facts)
    finally:
        relay.close()
    expected = service_series(facts, DEMO_NOW)
    running = [Worker(kafka, tmp_path, f"w{n}", now=DEMO_NOW) for n in range(1, workers + 1)]
    try:
        scraped = wait_for(running, equal_to(expected, workers))
    finally:
        for worker in running:
            worker.stop()
    assert not differences(expected, scraped)
    for one in scraped:
        assert one["childcare_projection_stuck"] == {(("view", "faust"),): 0}
    assert max(one["childcare_projection_position"][(("view", "faust"),)] for one in scraped) == facts[-1]["position"]
