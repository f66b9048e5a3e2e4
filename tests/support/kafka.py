"""Apache Kafka for tests and benches: a single-node broker in KRaft mode (one process, broker
and controller), run from the jars `make services` assembled into build/kafka/libs
(scripts/ensure-kafka.sh, deploy/kafka/pom.xml).

`KafkaBroker` owns one broker: its data directory, its two ports (clients, controller) and its
process. `start()` formats the data directory the first time and waits until the broker
answers; `kill()` is a SIGKILL; `start()` again brings it back on the same data and port.

The fixtures (imported by tests/integration/conftest.py):
- `kafka_broker`: one broker per pytest process (under pytest-xdist, one per xdist worker),
  started on first use and stopped at the end of the session.
- `kafka`: per test, the broker's address and names no other test uses (`topic`, `app_id`),
  so tests share the broker without seeing each other's records or consumer groups.
- `killable_kafka`: the same, for a test that kills and restarts the broker; after the test
  the broker is running again, whatever the test left.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import pytest

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
LIBS = ROOT / "build" / "kafka" / "libs"
READY_LINE = b"Kafka Server started"

# Settings for a fast single-node broker: one partition and one replica for Kafka's own topics,
# no delay before the first rebalance of a group, short session timeouts allowed (the tests'
# workers take over a killed one's partitions after 4 s), a small log cleaner (the changelogs are
# compacted) and every record kept, as the platform's topic asks.
SERVER_SETTINGS = """\
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.quorum.voters=1@127.0.0.1:{controller_port}
log.dirs={data}
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
log.cleaner.dedupe.buffer.size=4194304
log.cleaner.threads=1
num.network.threads=2
num.io.threads=2
"""

# Warnings only, but the line that says the broker is up.
LOGGING = """\
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = OUT
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = INFO
"""

JVM = ["-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-Djava.awt.headless=true"]
# Only the quick JIT compiler: the broker starts in about half the CPU time (tests start and
# restart it often). The bench leaves it out, for the broker's full speed.
QUICK_START = ["-XX:TieredStopAtLevel=1"]


def kafka_libs() -> Path:
    if not any(LIBS.glob("kafka_2.13-*.jar")):
        raise RuntimeError(
            f"Apache Kafka is not assembled in {LIBS}: run `make services` (scripts/ensure-kafka.sh) first"
        )
    return LIBS


@dataclass
class KafkaBroker:
    """One broker on 127.0.0.1 with its data under `home`; `bootstrap` is what clients are given."""

    home: Path
    port: int = 0
    controller_port: int = 0
    quick_start: bool = True
    process: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        while not self.controller_port or self.controller_port == self.port:
            self.controller_port = free_port()
        self.data = self.home / "data"
        self.log = self.home / "broker.log"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _java(self, main: str, *args: str) -> list[str]:
        classpath = f"{kafka_libs()}/*"
        logging = f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}"
        return ["java", *JVM, *(QUICK_START if self.quick_start else []), logging, "-cp", classpath, main, *args]

    def _configure(self) -> Path:
        """Write the settings and format the data directory, once per broker."""
        config = self.home / "server.properties"
        if (self.data / "meta.properties").exists():
            return config
        self.home.mkdir(parents=True, exist_ok=True)
        config.write_text(
            SERVER_SETTINGS.format(port=self.port, controller_port=self.controller_port, data=self.data),
            encoding="utf-8",
        )
        (self.home / "log4j2.properties").write_text(LOGGING, encoding="utf-8")
        # A cluster id is 16 random bytes in URL-safe base64 (what `StorageTool random-uuid` prints).
        cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        # `--cluster-id=ID`, not `-t ID`: an id may start with "-", which argparse takes for an option.
        formatted = subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster}",
                "--config",
                str(config),
                "--ignore-formatted",
            ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if formatted.returncode != 0:
            raise RuntimeError(f"formatting {self.data} failed:\n{formatted.stdout}\n{formatted.stderr}")
        return config

    def start(self, timeout: float = 120.0) -> None:
        """Start the broker (formatting its data the first time) and wait until it serves clients."""
        if self.running:
            return
        config = self._configure()
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self._java("kafka.Kafka", str(config)),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not self._logged_ready(offset):
            if self.process.poll() is not None:
                raise RuntimeError(f"Kafka exited with {self.process.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"Kafka did not start within {timeout:g} s:\n{self.tail()}")
            time.sleep(0.1)
        self.wait_ready(deadline - time.monotonic())

    def _logged_ready(self, offset: int) -> bool:
        with self.log.open("rb") as log:
            log.seek(offset)
            return READY_LINE in log.read()

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until a client's metadata request is answered (the broker is up and leads its partitions)."""
        from kafka import KafkaAdminClient

        deadline = time.monotonic() + max(timeout, 1.0)
        while True:
            try:
                admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5000)
            except Exception as error:  # not answering yet
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kafka at {self.bootstrap} is not answering:\n{self.tail()}") from error
                time.sleep(0.1)
                continue
            try:
                admin.list_topics()
                return
            finally:
                admin.close()

    def kill(self) -> None:
        """SIGKILL: the broker dies mid-whatever, as a crashed machine would; its data stays."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)

    def stop(self) -> None:
        """A clean shutdown (SIGTERM), a SIGKILL after 30 s."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)

    def restart(self) -> None:
        """SIGKILL, then start again on the same data and port."""
        self.kill()
        self.start()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


@dataclass(frozen=True)
class KafkaNames:
    """A broker's address and names only one test uses."""

    broker: KafkaBroker
    topic: str
    app_id: str

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap


def unique_names(broker: KafkaBroker) -> KafkaNames:
    tag = uuid.uuid4().hex[:10]
    return KafkaNames(broker, topic=f"childcare.events.{tag}", app_id=f"tuoyu-kpi-{tag}")


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    with KafkaBroker(tmp_path_factory.mktemp("kafka")) as broker:
        yield broker


@pytest.fixture
def kafka(kafka_broker: KafkaBroker) -> KafkaNames:
    kafka_broker.start()  # a no-op unless an earlier test left it down
    return unique_names(kafka_broker)


@pytest.fixture
def killable_kafka(kafka_broker: KafkaBroker) -> Iterator[KafkaNames]:
    kafka_broker.start()
    try:
        yield unique_names(kafka_broker)
    finally:
        kafka_broker.start()


@dataclass(frozen=True)
class Consumed:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]


def consume_all(bootstrap: str, topic: str, timeout: float = 60.0) -> list[Consumed]:
    """Every record of a topic, partition by partition in offset order, read with aiokafka
    without a consumer group, up to the end each partition had when reading began."""
    return asyncio.run(_consume_all(bootstrap, topic, timeout))


def partitions_of(bootstrap: str, topic: str) -> list[int]:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        [described] = admin.describe_topics([topic])
    finally:
        admin.close()
    if described.get("error_code") or not described.get("partitions"):
        raise AssertionError(f"topic {topic} not found at {bootstrap}: {described!r}")
    return [p["partition_index"] if "partition_index" in p else p["partition"] for p in described["partitions"]]


async def _consume_all(bootstrap: str, topic: str, timeout: float) -> list[Consumed]:
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
        deadline = time.monotonic() + timeout
        partitions = partitions_of(bootstrap, topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: dict[int, list[Consumed]] = {tp.partition: [] for tp in tps}
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            if time.monotonic() > deadline:
                raise AssertionError(f"did not reach the end of {topic} in {timeout} s")
            batch = await consumer.getmany(*tps, timeout_ms=200, max_records=20000)
            for tp, messages in batch.items():
                records[tp.partition] += [
                    Consumed(m.partition, m.offset, m.key, m.value, dict(m.headers))
                    for m in messages
                    if m.offset < ends[tp]
                ]
        return [record for p in sorted(records) for record in records[p]]
    finally:
        await consumer.stop()
