"""Every use of faust-streaming's internals, in one place (pinned: faust-streaming==0.15.3;
tests/unit/test_faust_adapter.py checks each assumption against the installed version).

The worker needs four things Faust's public API does not give:

1. Resume each source partition where the worker's tables say, not at the group's committed
   offset. After a rebalance Faust recovers the tables and then "seeks stream partitions to
   committed offsets" (Consumer.perform_seek -> seek_to_committed); the committed offset is
   written apart from the state, and aiokafka's seek_to_committed leaves a partition without a
   commit wherever the fetcher had read ahead during recovery (a worker killed before its first
   commit came back with the facts in between never applied). `Consumer.seek_to_committed`
   here asks the app's `positions` (SourcePositions) instead, in the event loop that owns the
   tables, and seeks in the consumer's own thread like every other call on aiokafka's consumer.

2. See every source record, also one below what Faust has read. Faust's fetch loop
   (Consumer._drain_messages) drops a record at or below its partition's read offset and
   moves that offset as it hands records over, also from a fetch it already held when the
   worker sought back: a re-read was dropped for as long as the backlog lasted. The worker
   checks offsets itself (progress.Rewinds), so for source topics `_read_offset` answers None
   ("nothing read yet"); changelogs keep Faust's own check. Faust's skips around rebalances:
   faust-streaming issues #216, #221, #606.

3. Write a batch's parts to the changelog partition they belong to and wait until the brokers
   have them, then put them in the table. `table[key] = value` would send to the partition
   of the stream's current event (one event of a batch of many partitions) and buffer the
   write, which Faust's commit stops waiting for after 0.1 s.

4. Accept a hole the broker no longer has (records deleted by retention), which Faust would
   otherwise wait for before committing again (Consumer._add_gap).

Also here: recovering the parts table never takes a part back (progress.keep_newest), and which
partitions of a topic this worker actively owns (the assignor's view).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import faust
import orjson
from aiokafka import TopicPartition
from aiokafka.errors import IllegalStateError
from faust.serializers import codecs
from faust.transport.drivers import aiokafka as driver
from faust.types import TP, EventT
from faust.types.tables import CollectionT

from tuoyu.streams.progress import keep_newest

log = logging.getLogger(__name__)

FAUST_VERSION = "0.15.3"
ORJSON = "orjson"


class _Orjson(codecs.Codec):
    """JSON straight from and to bytes. Faust's own "json" codec decodes the bytes to a str first
    (codecs.json._loads: want_str), which costs as much as parsing a message of facts again."""

    def _loads(self, s: bytes) -> Any:
        return orjson.loads(s)

    def _dumps(self, s: Any) -> bytes:
        return orjson.dumps(s)


codecs.register(ORJSON, _Orjson())  # Faust's public registry of serializers, by name


class SourcePositions(Protocol):
    """What the worker tells the consumer about its source partitions."""

    def resume_offsets(self, assigned: set[TP]) -> dict[TP, int | None]:
        """Where the source partitions among `assigned` resume (None: from the beginning)."""

    def resumed(self, sought: dict[TP, int]) -> None:
        """Where each was sought to (the beginning's offset for None)."""


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    async def seek_to_resume(self, offsets: Mapping[TP, int | None]) -> dict[TP, int]:
        return await self.call_thread(self._seek_to_resume, offsets)

    async def _seek_to_resume(self, offsets: Mapping[TP, int | None]) -> dict[TP, int]:
        consumer = self._ensure_consumer()
        sought: dict[TP, int] = {}
        for tp, offset in offsets.items():
            partition = TopicPartition(tp.topic, tp.partition)
            try:
                if offset is None:
                    await consumer.seek_to_beginning(partition)
                    offset = (await consumer.beginning_offsets([partition]))[partition]
                else:
                    consumer.seek(partition, offset)
            except IllegalStateError:
                # Revoked while seeking (a rebalance began): its next owner seeks it after recovery.
                log.info("not seeking %s: no longer assigned", tp)
                continue
            sought[tp] = offset
        return sought

    async def seek_one(self, tp: TP, offset: int) -> None:
        await self.call_thread(self._seek_one, tp, offset)

    async def _seek_one(self, tp: TP, offset: int) -> None:
        self._ensure_consumer().seek(TopicPartition(tp.topic, tp.partition), offset)


class _SourcesUnread(defaultdict):
    """Faust's read offsets, answering None ("nothing read yet") for every topic but changelogs."""

    def __init__(self, changelog_topics: Callable[[], set[str]]) -> None:
        super().__init__(lambda: None)
        self._changelog_topics = changelog_topics
        self._known: frozenset[str] | None = None  # read at first use: the tables exist by then

    def __getitem__(self, tp: TP) -> int | None:
        if self._known is None:
            self._known = frozenset(self._changelog_topics())
        if tp.topic not in self._known:
            return None
        return super().__getitem__(tp)


class _Consumer(driver.Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_offset = _SourcesUnread(lambda: self.app.tables.changelog_topics)

    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def seek_to_committed(self) -> Mapping[TP, int]:
        # Faust calls this after every recovery (and when records came while flow was stopped).
        positions: SourcePositions = self.app.positions  # type: ignore[attr-defined]
        sought = await self._thread.seek_to_resume(positions.resume_offsets(self.assignment()))  # type: ignore[attr-defined]
        positions.resumed(sought)
        return sought

    async def rewind(self, tp: TP, offset: int) -> bool:
        """Seek one source partition back to `offset`; False if it is no longer assigned."""
        try:
            await self._thread.seek_one(tp, offset)  # type: ignore[attr-defined]
        except (IllegalStateError, AssertionError):  # aiokafka asserts when there is no assignment at all
            log.info("not seeking %s back: no longer assigned", tp)  # its next owner resumes it from the state
            return False
        return True


class _Transport(driver.Transport):
    Consumer = _Consumer


class App(faust.App):
    """A Faust app whose consumer resumes source partitions from `positions` (SourcePositions)."""

    def __init__(self, app_id: str, *, positions: SourcePositions, **settings: Any) -> None:
        super().__init__(app_id, **settings)
        self.positions = positions

    def _new_transport(self) -> _Transport:
        return _Transport(self.conf.broker_consumer, self)


class PartsTable(faust.Table):
    """Recovering from the changelog never takes a part back (progress.keep_newest)."""

    def apply_changelog_batch(self, batch: Iterable[EventT]) -> None:
        super().apply_changelog_batch(list(keep_newest(batch, self.data)))


def write(table: CollectionT, items: Mapping[Any, tuple[int, Any]]) -> list[Any]:
    """Put {key: (partition, value)} in the table and send each to its changelog partition;
    returns the sends, each done when the brokers acknowledged the record (FutureMessage)."""
    sent = [table.send_changelog(partition, key, value) for key, (partition, value) in items.items()]
    table.data.update({key: value for key, (_, value) in items.items()})  # type: ignore[attr-defined]
    return sent


async def write_through(table: CollectionT, items: Mapping[Any, tuple[int, Any]]) -> None:
    """`write`, and wait until the brokers acknowledged every record."""
    await asyncio.gather(*write(table, items))


def held(table: CollectionT) -> Mapping[Any, Any]:
    """What the table holds on this worker, read without Faust's per-key bookkeeping."""
    return table.data  # type: ignore[attr-defined]


async def accept_gap(app: faust.App, tp: TP, first: int, last: int) -> None:
    """Let Faust commit past offsets first..last, which the broker no longer has."""
    await app.consumer._add_gap(tp, first, last)  # type: ignore[attr-defined]


def owned_partitions(app: faust.App, topic: str) -> frozenset[int]:
    """The partitions of `topic` this worker actively owns (standbys excluded)."""
    return frozenset(tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic)
