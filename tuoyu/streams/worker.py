"""The Faust worker (`tuoyu worker`): the KPI view kept from the Kafka topic, in tables by township.

The relay publishes each recorded fact to `childcare.events`, keyed by township ("district"
for facts without one). An agent folds each fact into the table "kpi-parts" with the very
same pure fold as the embedded projector (projections.fold.apply); the table is keyed and
partitioned like the topic, so a township's part lives with the partition that carries its
events, and its changelog lets another worker take the partition over.

Exactly-once views over at-least-once delivery: a part records the position (store
notification id) of the last fact applied to it, and apply ignores a fact at or below it,
so a re-sent fact or one consumed again after a crash changes nothing and is not even written
back. Where to read on is kept with the state, not only in the group's committed offsets
(progress.py): the agent takes facts in batches, writes the changed parts to the changelog,
then the offset of the last record it folded from each partition; a worker killed at any
moment, or taking a partition over, resumes from that offset (seeking.py), and a jump in
offsets (records skipped) makes it seek back.

District targets need every township, which no single worker holds: each worker publishes a
small summary of the townships it owns (worker_metrics.summary_of) to the global table
"kpi-summaries", which every worker reads, and the worker that owns the "district" partition
evaluates the targets. A timer publishes the summaries of changed parts and rebuilds the
cached metrics, also when only the clock moved (pace and overdue depend on the day).

Each worker serves the contract metrics of its own partitions on --metrics-port; Prometheus
sums the per-township series across workers.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import faust
import orjson
from faust.types import TP, EventT

from tuoyu import clock
from tuoyu.domain.catalogue import DISTRICT, TOWNSHIP_IDS
from tuoyu.projections.facts import partition_of
from tuoyu.projections.fold import Part, apply, new_part
from tuoyu.streams import seeking
from tuoyu.streams.progress import Rewinds, Verdict, keep_newest, offset_key, resume_offset
from tuoyu.streams.relay import PARTITIONS, TOPIC
from tuoyu.streams.worker_metrics import WorkerCollector, open_closures, summary_of, worker_snapshot

log = logging.getLogger(__name__)

APP_ID = "tuoyu-kpi"
# Settings for Tansu (the Kafka-protocol broker of the tests), off on Apache Kafka.
TANSU_COMPAT = {
    # Tansu's ListOffsets(latest) trails the true end of a partition by its last batch, so
    # after a rebalance the offset a worker already read from a changelog can exceed the
    # "highwater" and Faust's check crashes the worker (ConsistencyError ... 89 > 88).
    "recovery_consistency_check": False,
    # ...and a worker taking a partition over stops recovering its changelog at that
    # "highwater", missing the rest of the last batch (lost state: seen as one fact missing).
    # Batches of one record make Tansu's answer exact. Costs throughput.
    "producer_max_batch_size": 1,
}
PARTS_TABLE = "kpi-parts"
SUMMARIES_TABLE = "kpi-summaries"
KEYS = (DISTRICT, *TOWNSHIP_IDS)


def key_partition(key: str, partitions: int) -> int:
    """The partition the relay's producer (kafka-python's default partitioner, murmur2 like
    Java's and aiokafka's) sends a key to."""
    from kafka.partitioner.default import murmur2

    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


class WorkerState:
    """What the timer and the metrics server share: the cached export, rebuilt in the event loop
    and read (whole, never mutated after it is built) by the HTTP thread."""

    def __init__(self, clock: Callable[[], datetime], refresh_seconds: float) -> None:
        self.clock = clock
        self.refresh_seconds = refresh_seconds
        self.changed: set[str] = set()  # keys whose part changed since their summary was published
        self.dirty = True
        self.built_at = float("-inf")
        self.owned_partitions: frozenset[int] = frozenset()
        self.summary_positions: dict[str, int] = {}  # of the global table, as last built from
        self.applied = 0
        self.duplicates = 0
        self.rewinds = Rewinds()
        self.cache: dict[str, Any] = {"pending": True}
        self.lock = threading.Lock()

    def current(self) -> dict[str, Any]:
        with self.lock:
            return self.cache


class _App(faust.App):
    def _new_transport(self) -> seeking.Transport:
        return seeking.Transport(self.conf.broker_consumer, self)

    def resume_offsets(self, assigned: set[TP]) -> dict[TP, int | None]:
        """Where the source partitions among `assigned` resume (seeking.Transport asks)."""
        return {}

    def resumed(self, sought: dict[TP, int]) -> None:
        """Where seeking.Transport sought them."""


class _PartsTable(faust.Table):
    """Recovering from the changelog never takes a part back (progress.keep_newest)."""

    def apply_changelog_batch(self, batch: Iterable[EventT]) -> None:
        super().apply_changelog_batch(list(keep_newest(batch, self.data)))


def create_app(brokers: str, partitions: int = PARTITIONS, *, topic: str = TOPIC, app_id: str = APP_ID,
               datadir: str | Path | None = None, clock: Callable[[], datetime] = clock.now,
               refresh_seconds: float = 30.0, flush_seconds: float = 1.0, session_timeout: float = 10.0,
               tansu_compat: bool = False, batch_size: int = 500, **faust_settings: Any) -> tuple[faust.App, WorkerState]:
    """The Faust app and the state its metrics are served from. `brokers` is "host:port[,host:port]";
    `partitions` must be the source topic's partition count (the table is co-partitioned with it)."""
    state = WorkerState(clock, refresh_seconds)
    app = _App(
        app_id,
        broker=[f"kafka://{b.strip()}" for b in brokers.split(",") if b.strip()],
        store="memory://",
        datadir=str(datadir or Path(tempfile.gettempdir()) / f"{app_id}-data"),
        table_standby_replicas=0,
        topic_partitions=partitions,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,  # metrics are served by prometheus_client on --metrics-port
        producer_acks=-1,
        # Tansu answers a JoinGroup only after half the session timeout (Faust's default 60 s
        # meant 30 s before a worker got its partitions); Kafka itself is not slowed by a shorter one.
        broker_session_timeout=session_timeout,
        broker_heartbeat_interval=min(3.0, session_timeout / 5),
        **(TANSU_COMPAT if tansu_compat else {}),
        **faust_settings,
    )
    source = app.topic(topic, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
                       partitions=partitions)
    parts = app.tables.add(_PartsTable(
        app, name=PARTS_TABLE, key_type=str, partitions=partitions, beacon=app.tables.beacon,
        help="the KPI view state of each township (and the district), as projections.fold keeps it, "
             "and the offset of the last record folded from each source partition"))
    app.resume_offsets = lambda assigned: {tp: resume_offset(parts.data, tp.partition)  # type: ignore[method-assign]
                                           for tp in assigned if tp.topic == topic}
    app.resumed = lambda sought: [state.rewinds.resumed(tp.partition, offset)  # type: ignore[method-assign]
                                  for tp, offset in sought.items()]
    # use_partitioner: summaries are written by the timer (no current event), and every worker
    # then reads every partition of the global table as a standby.
    summaries = app.GlobalTable(SUMMARIES_TABLE, key_type=str, partitions=1,
                                use_partitioner=True, recovery_buffer_size=1,
                                help="per-township summaries the district owner evaluates targets from")

    @app.agent(source)
    async def fold(stream: Any) -> None:
        async for events in stream.take_events(batch_size, within=flush_seconds):
            # The batch is folded into copies and offsets kept apart, and the table takes them only
            # once the changelog holds them: an error half-way leaves the table as the changelog has it.
            working: dict[str, tuple[int, Part]] = {}
            read: dict[int, int] = {}  # source partition: offset of the last record folded (or given up)
            for event in events:
                tp, offset = event.message.tp, event.message.offset
                if not await admit(tp, offset, read):
                    continue
                read[tp.partition] = offset
                fact = orjson.loads(event.value)
                key = event.key.decode() if event.key else partition_of(fact)
                part = working[key][1] if key in working else parts.get(key) or new_part()
                if fact["position"] <= part["position"]:
                    state.duplicates += 1  # re-sent or consumed again after a restart: already applied
                    continue
                if key not in working:
                    part = copy.deepcopy(part)
                apply(part, fact)
                working[key] = (tp.partition, part)
                state.applied += 1
            # The changed parts go to the changelog once per batch, then (once the broker holds
            # them) the offsets they reach: the changelog never has an offset ahead of its parts.
            # Faust's own `table[key] = part` would buffer the write, and its commit gives up
            # waiting for that buffer after 0.1 s. The batch's events are acked after this.
            await asyncio.gather(*(parts.send_changelog(partition, key, part)
                                   for key, (partition, part) in working.items()))
            await keep_offsets(read)
            parts.data.update({key: part for key, (_, part) in working.items()})
            state.changed.update(working)
            state.dirty = state.dirty or bool(working)

    async def keep_offsets(read: dict[int, int]) -> None:
        """Where each source partition has been read to: to its changelog partition, then the table."""
        await asyncio.gather(*(parts.send_changelog(partition, offset_key(partition), offset)
                               for partition, offset in read.items()))
        parts.data.update({offset_key(partition): offset for partition, offset in read.items()})

    async def admit(tp: TP, offset: int, read: dict[int, int]) -> bool:
        """Whether to fold this record: the next of its partition, or one read again. Records
        skipped (a jump in offsets) are read again: seek back, drop what came after (progress.Rewinds)."""
        last = read.get(tp.partition, parts.data.get(offset_key(tp.partition)))
        verdict = state.rewinds.check(tp.partition, offset, last)
        if verdict is Verdict.SEEK:
            log.warning("%s: offset %d read where %s was next", tp, offset,
                        state.rewinds.next_offset(tp.partition, last))
            given_up = await seek_back(tp, last)
            if given_up is not None:
                read[tp.partition] = given_up
                return offset == given_up + 1
        return verdict is Verdict.FOLD

    async def seek_back(tp: TP, last: int | None) -> int | None:
        """Seek to the offset after `last`, or, when the broker no longer has it, to its earliest
        and return the offset to take as the last read (the hole is accepted)."""
        target = state.rewinds.next_offset(tp.partition, last)
        if target is None:
            return None
        try:
            earliest = (await app.consumer.earliest_offsets(tp)).get(tp)
        except Exception as error:  # the broker unreachable for now: the jump stays pending, tried again
            log.warning("%s: cannot read the earliest offset (%s); seeking back later", tp, error)
            return None
        missing = None
        if earliest is not None and earliest > target:
            log.error("%s: offsets %d to %d are no longer on the broker; going on without them", tp, target,
                      earliest - 1)
            missing, target = (target, earliest - 1), earliest
        log.warning("%s: reading again from %d", tp, target)
        if not await app.consumer.rewind(tp, target):
            state.rewinds.forget(tp.partition)  # no longer ours: the next owner resumes it from the state
            return None
        state.rewinds.sought(tp.partition)
        if missing is None:
            return None
        state.rewinds.lost()
        # Faust would otherwise wait for the missing offsets before committing again.
        await app.consumer._add_gap(tp, *missing)
        return missing[1]

    @app.timer(interval=flush_seconds)
    async def reread() -> None:
        """Seek again where a seek back brought nothing (not even a record to check)."""
        for partition in state.rewinds.overdue():
            tp = TP(topic, partition)
            given_up = await seek_back(tp, parts.data.get(offset_key(partition)))
            if given_up is not None:  # between batches: kept as a batch keeps it
                await keep_offsets({partition: given_up})

    @app.timer(interval=flush_seconds)
    async def refresh() -> None:
        owned_partitions = frozenset(tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic)
        if owned_partitions != state.owned_partitions:
            state.owned_partitions = owned_partitions
            state.dirty = True
        owned = {key: parts.get(key) or new_part() for key in KEYS
                 if key_partition(key, partitions) in owned_partitions}
        for key in sorted(state.changed):
            if key in owned and key != DISTRICT:
                summaries[key] = summary_of(owned[key])
        state.changed.clear()
        if DISTRICT in owned:
            # Other workers' summaries arrive through the global table's changelog, not the agent.
            seen = {t: summaries[t]["position"] for t in TOWNSHIP_IDS if t not in owned and t in summaries}
            if seen != state.summary_positions:
                state.summary_positions = seen
                state.dirty = True
        if state.dirty or time.monotonic() - state.built_at >= state.refresh_seconds:
            _rebuild(state, owned, summaries)

    return app, state


def _rebuild(state: WorkerState, owned: dict[str, Part], summaries: Any) -> None:
    now = state.clock()
    snapshot = worker_snapshot(owned, {t: summaries[t] for t in TOWNSHIP_IDS if t in summaries}, now)
    snapshot["open_closures"] = open_closures(owned)
    with state.lock:
        state.cache = snapshot
    state.dirty = False
    state.built_at = time.monotonic()


def topic_partitions(brokers: str, topic: str = TOPIC, create_with: int = PARTITIONS, timeout: float = 30.0) -> int:
    """The partition count of the source topic, creating it (like the relay does) if missing."""
    from kafka import KafkaAdminClient

    from tuoyu.streams.relay import ensure_topic

    bootstrap = [b.strip() for b in brokers.split(",") if b.strip()]
    ensure_topic(bootstrap, topic, create_with)
    deadline = time.monotonic() + timeout
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="tuoyu-worker-admin")
    try:
        while True:
            described = admin.describe_topics([topic])
            found = [d for d in described if (d.get("name") or d.get("topic")) == topic and not d.get("error_code")]
            if found and found[0]["partitions"]:
                return len(found[0]["partitions"])
            if time.monotonic() > deadline:
                raise RuntimeError(f"topic {topic} has no partitions at {brokers}: {described!r}")
            time.sleep(0.2)
    finally:
        admin.close()


def run_worker(brokers: str, metrics_port: int, *, metrics_host: str = "0.0.0.0", topic: str = TOPIC,
               app_id: str = APP_ID, datadir: str | Path | None = None, partitions: int | None = None,
               clock: Callable[[], datetime] = clock.now, refresh_seconds: float = 30.0,
               flush_seconds: float = 1.0, session_timeout: float = 10.0, loglevel: str = "warning",
               tansu_compat: bool = False, batch_size: int = 500) -> int:
    """Run one worker until it is stopped (SIGINT/SIGTERM); returns the exit code.

    `brokers`: "host:port[,host:port]" (TUOYU_KAFKA). `partitions`: the source topic's
    partition count, read from the brokers when None (the topic is created with the relay's
    default count if it does not exist yet). Must run in the main thread (Faust installs
    signal handlers).
    """
    count = partitions or topic_partitions(brokers, topic)
    app, state = create_app(brokers, count, topic=topic, app_id=app_id, datadir=datadir, clock=clock,
                            refresh_seconds=refresh_seconds, flush_seconds=flush_seconds,
                            session_timeout=session_timeout, tansu_compat=tansu_compat, batch_size=batch_size)
    return serve(app, state, metrics_port, metrics_host=metrics_host, loglevel=loglevel)


def serve(app: faust.App, state: WorkerState, metrics_port: int, *, metrics_host: str = "0.0.0.0",
          loglevel: str = "warning") -> int:
    """Serve the metrics of an app made by create_app and run it until it is stopped; the exit code."""
    from prometheus_client import start_http_server

    from tuoyu.metrics.collectors import metrics_registry

    registry = metrics_registry(WorkerCollector(state.current, lambda: state.current()["open_closures"],
                                                lambda: (state.applied, state.duplicates),
                                                lambda: (state.rewinds.found, state.rewinds.unrecovered)))
    server, _thread = start_http_server(metrics_port, metrics_host, registry)
    worker = faust.Worker(app, loglevel=loglevel, quiet=True, redirect_stdouts=False)
    try:
        worker.execute_from_commandline()
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 0
    finally:
        server.shutdown()
    return 0
