"""The Faust worker (`tuoyu worker`): the KPI view kept from the Kafka topic, in tables by township.

The relay publishes each township's stored events in batches to `childcare.events`, keyed by
township ("district" for events without one): the typed record FactBatch. The agent folds them
into the table "kpi-parts" with the very same pure fold as the embedded projector
(batches.fold_batch over projections.fold.apply, each stored state read as every reader of the
store reads it); the table is keyed and partitioned like the topic, so a
township's part lives with the partition that carries its facts, and its changelog lets
another worker take the partition over.

Exactly-once views over at-least-once delivery: a part records the position (store
notification id) of the last fact applied to it, and a fact at or below it is dropped. Where
to read on is state too: after each batch the table "kpi-read-to" holds, per source
partition, the offset of the last message folded, written once the brokers have the batch's
parts (progress.py). A worker killed at any moment, or taking a partition over, resumes from
it; a jump in offsets (records skipped) makes it read again; a fact whose fold raises stops
its partition there (exported as childcare_projection_stuck) and is tried again with backoff.

District targets need every township, which no single worker holds: each worker publishes a
small summary of the townships it owns (worker_metrics.summary_of) to the global table
"kpi-summaries", which every worker reads, and the worker that owns the "district" partition
evaluates the targets. A summary is stale when its position differs from its part's: the
timer republishes those, read from the tables each time, so a worker killed between a batch
and the timer republishes them when it (or the partition's next owner) comes back.

Each worker serves the contract metrics of its own partitions on --metrics-port; Prometheus
sums the per-township series across workers.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import faust
from faust.types import TP, EventT

from tuoyu import clock
from tuoyu.domain.catalogue import DISTRICT, TOWNSHIP_IDS
from tuoyu.projections.fold import Part, new_part
from tuoyu.streams import faust_adapter as adapter
from tuoyu.streams.batches import Folded, Read, Stuck, fold_batch
from tuoyu.streams.progress import Rewinds, Verdict, resume_offset
from tuoyu.streams.relay import PARTITIONS, TOPIC
from tuoyu.streams.worker_export import Export

log = logging.getLogger(__name__)

APP_ID = "tuoyu-kpi"
PARTS_TABLE = "kpi-parts"
READ_TO_TABLE = "kpi-read-to"
SUMMARIES_TABLE = "kpi-summaries"
KEYS = (DISTRICT, *TOWNSHIP_IDS)


class FactBatch(faust.Record, serializer=adapter.ORJSON, include_metadata=False):
    """One message of the relay (streams.messages): consecutive stored events of one key, in
    order, as the store holds them, with their positions."""

    key: str
    first: int
    last: int
    positions: list
    states: list


def key_partition(key: str, partitions: int) -> int:
    """The partition the relay's producer (kafka-python's default partitioner, murmur2 like
    Java's and aiokafka's) sends a key to."""
    from kafka.partitioner.default import murmur2

    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


@dataclass(frozen=True)
class WorkerConfig:
    brokers: str  # "host:port[,host:port]"
    partitions: int = PARTITIONS  # the source topic's: the tables are co-partitioned with it
    topic: str = TOPIC
    app_id: str = APP_ID
    datadir: str | Path | None = None
    clock: Callable[[], datetime] = clock.now
    refresh_seconds: float = 30.0  # rebuild the export at least this often (the clock moves)
    flush_seconds: float = 1.0  # longest wait for a batch, and between two looks for seeks due
    refresh_interval: float = 1.0  # how often stale summaries are republished and the export looked at
    session_timeout: float = 10.0
    batch_size: int = 100  # messages per batch (a message holds up to messages.MAX_FACTS facts)
    faust_settings: dict[str, Any] = field(default_factory=dict)


def faust_settings(config: WorkerConfig) -> dict[str, Any]:
    return {
        "broker": [f"kafka://{b.strip()}" for b in config.brokers.split(",") if b.strip()],
        "store": "memory://",
        "datadir": str(config.datadir or Path(tempfile.gettempdir()) / f"{config.app_id}-data"),
        "table_standby_replicas": 0,
        "topic_partitions": config.partitions,
        "topic_replication_factor": 1,
        "consumer_auto_offset_reset": "earliest",
        "web_enabled": False,  # metrics: prometheus_client
        "producer_acks": -1,
        "broker_session_timeout": config.session_timeout,
        "broker_heartbeat_interval": min(3.0, config.session_timeout / 5),
        "stream_buffer_maxsize": 4 * config.batch_size,
        "consumer_max_fetch_size": 4 << 20,
        # The changelog topics are created as the worker starts; a group member whose metadata
        # predates one leaves it out of the assignment (faust's assignor: "Ignoring missing
        # topic") until its metadata is refreshed, after 5 minutes by default.
        "consumer_metadata_max_age_ms": 5000,
        **config.faust_settings,
    }


class KpiWorker:
    """The app, the source topic, the tables, the agent and the timers, in that order."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.app = adapter.App(config.app_id, positions=self, **faust_settings(config))
        self.source = self.app.topic(config.topic, key_type=str, value_type=FactBatch, partitions=config.partitions)
        self.parts = self.app.tables.add(
            adapter.PartsTable(
                self.app,
                name=PARTS_TABLE,
                key_type=str,
                partitions=config.partitions,
                beacon=self.app.tables.beacon,
                help="the KPI view state of each township (and the district), as projections.fold keeps it",
            )
        )
        self.read_to = self.app.Table(
            READ_TO_TABLE,
            key_type=int,
            value_type=int,
            partitions=config.partitions,
            help="per source partition, the offset of the last message folded",
        )
        # One partition, which every worker reads; written by the timer, to partition 0.
        # Every worker writes it, so every worker must also keep reading it: without
        # synchronize_all_active_partitions, Faust's assignor makes partition 0 active (not a
        # standby) on one worker, which then never reads the others' summaries after its
        # recovery; when that worker owned the district, its targets stayed stale for good.
        self.summaries = self.app.GlobalTable(
            SUMMARIES_TABLE,
            key_type=str,
            partitions=1,
            synchronize_all_active_partitions=True,
            recovery_buffer_size=1,
            help="per-township summaries the district owner evaluates targets from",
        )
        self.app.agent(self.source, name="fold")(self.fold)
        self.app.timer(config.flush_seconds, name="reread")(self.reread)
        self.app.timer(config.refresh_interval, name="refresh")(self.refresh)
        self.rewinds = Rewinds()
        # Per source partition, the offset of the last message folded, ahead of the read-to table
        # while the batch's parts are on their way to the brokers (keep).
        self.folded_to: dict[int, int] = {}
        self.offsets_kept: asyncio.Future | None = None
        self.stuck: dict[int, Stuck] = {}
        self.export = Export(config.clock, config.refresh_seconds)

    # -- the agent -------------------------------------------------------------------------------

    async def fold(self, stream: Any) -> None:
        """Fold each batch, keep its parts and then the offsets read to; stop where a fold raised."""
        async for events in stream.take_events(self.config.batch_size, within=self.config.flush_seconds):
            reads = await self.admit(events)
            folded = fold_batch(adapter.held(self.parts), reads)
            await self.keep(folded, {read.key: read.partition for read in reads})
            self.export.counted(folded.applied, folded.duplicates)
            self.note_stuck(folded)

    async def admit(self, events: Sequence[EventT]) -> list[Read]:
        """The messages to fold: the next of their partition, or one read again (duplicates are
        dropped by position). A jump in offsets (messages skipped) is read again (progress.Rewinds)."""
        reads: list[Read] = []
        last_read: dict[int, int | None] = {}
        for event in events:
            tp, offset = event.message.tp, event.message.offset
            if tp.partition not in last_read:
                last_read[tp.partition] = self.last_folded(tp.partition)
            verdict = self.rewinds.check(tp.partition, offset, last_read[tp.partition])
            if verdict is Verdict.SEEK:
                log.warning(
                    "%s: offset %d read where %s was next",
                    tp,
                    offset,
                    self.rewinds.next_offset(tp.partition, last_read[tp.partition]),
                )
                given_up = await self.seek_back(tp, last_read[tp.partition])
                if given_up is not None and offset == given_up + 1:
                    last_read[tp.partition] = given_up
                    verdict = Verdict.FOLD
            if verdict is Verdict.FOLD:
                batch = cast(FactBatch, event.value)
                reads.append(Read(tp.partition, offset, batch.key, batch.positions, batch.states))
                last_read[tp.partition] = offset
        return reads

    def last_folded(self, partition: int) -> int | None:
        folded = self.folded_to.get(partition)
        return folded if folded is not None else adapter.held(self.read_to).get(partition)

    async def keep(self, folded: Folded, partition_of: dict[str, int]) -> None:
        """The changed parts to the table and their changelog partitions; once the brokers have
        them (and the offsets of every batch before), the offsets, while the next batch is folded."""
        if self.offsets_kept is not None and self.offsets_kept.done():
            self.offsets_kept.result()  # a changelog write failed: the agent stops (and restarts)
        sent = adapter.write(self.parts, {key: (partition_of[key], part) for key, part in folded.changed.items()})
        if folded.read_to:
            self.folded_to.update(folded.read_to)
            self.offsets_kept = asyncio.ensure_future(self.keep_offsets(self.offsets_kept, sent, folded.read_to))

    async def keep_offsets(
        self, before: asyncio.Future | None, sent: list[asyncio.Future], read_to: dict[int, int]
    ) -> None:
        try:
            if before is not None:
                await before
            await asyncio.gather(*sent)
        except BaseException:
            self.folded_to.clear()  # read on from what the table holds
            raise
        adapter.write(self.read_to, {p: (p, offset) for p, offset in read_to.items()})

    def note_stuck(self, folded: Folded) -> None:
        for partition, stuck in folded.stuck.items():
            wait = self.rewinds.hold(partition, stuck.offset)
            if partition not in self.stuck:
                log.error(
                    "partition %d stopped at the fact at position %d (key %s, message offset %d): %s; "
                    "nothing after it in this partition is folded until it goes through "
                    "(tried again in %.0f s, then less and less often)",
                    partition,
                    stuck.position,
                    stuck.key,
                    stuck.offset,
                    stuck.error,
                    wait,
                )
            self.stuck[partition] = stuck
        for partition in [p for p, s in self.stuck.items() if folded.read_to.get(p, -1) >= s.offset]:
            log.warning(
                "partition %d goes on: the fact at position %d is folded", partition, self.stuck.pop(partition).position
            )
        self.export.stuck_at(min((s.position for s in self.stuck.values()), default=None))

    # -- seeking back ----------------------------------------------------------------------------

    async def seek_back(self, tp: TP, last: int | None) -> int | None:
        """Seek to where the partition is held, or after `last`; when the broker no longer has
        those offsets, to its earliest, returning the offset to take as the last read (the hole
        is accepted)."""
        target = self.rewinds.seek_target(tp.partition, last)
        if target is None:
            return None
        try:
            earliest = (await self.app.consumer.earliest_offsets(tp)).get(tp)
        except Exception as error:
            log.warning("%s: cannot read the earliest offset (%s); seeking back later", tp, error)
            return None
        missing = None
        if earliest is not None and earliest > target:
            log.error(
                "%s: offsets %d to %d are no longer on the broker; going on without them", tp, target, earliest - 1
            )
            missing, target = (target, earliest - 1), earliest
        log.warning("%s: reading again from %d", tp, target)
        if not await self.app.consumer.rewind(tp, target):  # type: ignore[attr-defined]
            self.rewinds.forget(tp.partition)  # no longer ours: the next owner resumes it from the state
            return None
        self.rewinds.sought(tp.partition)
        if missing is None:
            return None
        self.rewinds.lost()
        await adapter.accept_gap(self.app, tp, *missing)
        return missing[1]

    # -- SourcePositions (faust_adapter asks, after each rebalance) -------------------------------

    def resume_offsets(self, assigned: set[TP]) -> dict[TP, int | None]:
        read_to = adapter.held(self.read_to)
        return {tp: resume_offset(read_to, tp.partition) for tp in assigned if tp.topic == self.config.topic}

    def resumed(self, sought: dict[TP, int]) -> None:
        for tp, offset in sought.items():
            self.folded_to.pop(tp.partition, None)
            self.rewinds.resumed(tp.partition, offset)

    # -- the timers ------------------------------------------------------------------------------

    async def reread(self) -> None:
        """Seek again where a seek back brought nothing, and where a held partition is due."""
        for partition in self.rewinds.overdue():
            tp = TP(self.config.topic, partition)
            given_up = await self.seek_back(tp, self.last_folded(partition))
            if given_up is not None:  # between batches: kept as a batch keeps it
                self.folded_to[partition] = given_up
                await adapter.write_through(self.read_to, {partition: (partition, given_up)})

    async def refresh(self) -> None:
        """Republish the stale summaries of owned townships, and rebuild the export when anything
        it is made of moved (or refresh_seconds passed: pace and overdue follow the clock)."""
        owned_partitions = adapter.owned_partitions(self.app, self.config.topic)
        for partition in [p for p in self.stuck if p not in owned_partitions]:
            self.stuck.pop(partition)  # moved to another worker, which reads it again from the state
            self.export.stuck_at(min((s.position for s in self.stuck.values()), default=None))
        parts = adapter.held(self.parts)
        owned: dict[str, Part] = {
            key: parts.get(key) or new_part()
            for key in KEYS
            if key_partition(key, self.config.partitions) in owned_partitions
        }
        summaries = adapter.held(self.summaries)
        stale = {
            key: (0, self.export.summary(part))
            for key, part in owned.items()
            if key != DISTRICT and (summaries.get(key) or {}).get("position") != part["position"]
        }
        if stale:
            await adapter.write_through(self.summaries, stale)
        self.export.refresh(owned, {t: summaries[t] for t in TOWNSHIP_IDS if t in summaries})


def topic_partitions(brokers: str, topic: str = TOPIC, create_with: int = PARTITIONS, timeout: float = 60.0) -> int:
    """The partition count of the source topic, creating it (like the relay does) if missing;
    waits for the brokers to answer (a worker may start before them)."""
    from kafka import KafkaAdminClient

    from tuoyu.streams.relay import ensure_topic

    bootstrap = [b.strip() for b in brokers.split(",") if b.strip()]
    deadline = time.monotonic() + timeout
    while True:
        try:
            ensure_topic(bootstrap, topic, create_with)
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="tuoyu-worker-admin")
            try:
                described = admin.describe_topics([topic])
            finally:
                admin.close()
            found = [d for d in described if (d.get("name") or d.get("topic")) == topic and not d.get("error_code")]
            if found and found[0]["partitions"]:
                return len(found[0]["partitions"])
            problem: object = described
        except Exception as error:
            problem = error
        if time.monotonic() > deadline:
            raise RuntimeError(f"topic {topic} not available at {brokers} within {timeout:g} s: {problem!r}")
        log.warning("waiting for topic %s at %s: %r", topic, brokers, problem)
        time.sleep(1.0)


def run_worker(
    brokers: str,
    metrics_port: int,
    *,
    metrics_host: str = "0.0.0.0",
    topic: str = TOPIC,
    partitions: int | None = None,
    loglevel: str = "warning",
    **config: Any,
) -> int:
    """Run one worker until it is stopped (SIGINT/SIGTERM); returns the exit code.

    `brokers`: "host:port[,host:port]" (TUOYU_KAFKA). `partitions`: the source topic's
    partition count, read from the brokers when None (the topic is created with the relay's
    default count if it does not exist yet). `config`: the rest of WorkerConfig. Must run in
    the main thread (Faust installs signal handlers).
    """
    count = partitions or topic_partitions(brokers, topic)
    worker = KpiWorker(WorkerConfig(brokers, count, topic=topic, **config))
    return serve(worker, metrics_port, metrics_host=metrics_host, loglevel=loglevel)


def create_changelogs(worker: KpiWorker) -> None:
    """Create the tables' changelog topics (compacted) before Faust starts, if missing.

    Faust creates them as it starts, and its consumer may join the group with metadata from
    before: its assignor then leaves the new topic out ("Ignoring missing topic") and the
    worker waits for a table partition nobody was given (seen with the first worker on a new
    broker, the worker never ready)."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    tables = (worker.parts, worker.read_to, worker.summaries)
    wanted = {table.changelog_topic.get_topic_name(): table.partitions or worker.config.partitions for table in tables}
    bootstrap = [b.strip() for b in worker.config.brokers.split(",") if b.strip()]
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="tuoyu-worker-admin")
    try:
        missing = [name for name in wanted if name not in set(admin.list_topics())]
        for name in missing:
            try:
                admin.create_topics([NewTopic(name, wanted[name], 1, topic_configs={"cleanup.policy": "compact"})])
            except TopicAlreadyExistsError:  # another worker created it meanwhile
                pass
    finally:
        admin.close()


def serve(worker: KpiWorker, metrics_port: int, *, metrics_host: str = "0.0.0.0", loglevel: str = "warning") -> int:
    """Serve the worker's metrics and run it until it is stopped; the exit code."""
    from prometheus_client import start_http_server

    from tuoyu.metrics.collectors import metrics_registry

    registry = metrics_registry(worker.export.collector(worker.rewinds))
    server, _thread = start_http_server(metrics_port, metrics_host, registry)
    create_changelogs(worker)
    runner = faust.Worker(worker.app, loglevel=loglevel, quiet=True, redirect_stdouts=False)
    try:
        runner.execute_from_commandline()
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 0
    finally:
        server.shutdown()
    return 0
