"""A Faust transport whose consumer resumes source partitions where the tables' state ends.

After a rebalance Faust recovers the tables from their changelogs and then "seeks stream
partitions to committed offsets". The committed offset is not written with the state, and
aiokafka's seek_to_committed leaves a partition without a commit wherever the fetcher had
read ahead while the tables recovered (a worker killed before its first commit came back
ready with the facts in between never applied). Here every source partition is sought to the
offset the app's state says comes next (progress.resume_offset, recovered from the same
changelog as the parts), or to the beginning when the state has none; facts already in the
state are then dropped by their position.

The app says which partitions are sources and where they resume: `app.resume_offsets(assigned)`
returns {TP: next offset or None} for the source partitions among `assigned`, and
`app.resumed(sought)` hears where each was sought to (the beginning's offset for None). The
consumer also seeks one partition back on the app's behalf (`rewind`), in the consumer's
own thread like every other call on the aiokafka consumer, and hands over every source record
it fetches, also one below what Faust has read (the app checks offsets itself).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import IllegalStateError
from faust.transport.drivers import aiokafka as driver
from faust.types import TP

log = logging.getLogger(__name__)


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
    """Faust's read offsets, answering None ("nothing read yet") for the source topics.

    Faust's fetch loop drops a record below the read offset of its partition, and sets that
    offset as it hands records over, also from a fetch it already held when the worker sought
    back: the re-read was then dropped for as long as the backlog lasted. The worker checks
    every source record against the offset kept with its state (progress.Rewinds), so here
    Faust delivers them all; changelogs keep Faust's own check."""

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

    async def seek_to_committed(self) -> Mapping[TP, int | None]:
        # Faust calls this after every recovery (and when records came while flow was stopped);
        # the offsets are read here, in the event loop that owns the tables.
        offsets = self.app.resume_offsets(self.assignment())  # type: ignore[attr-defined]
        sought = await self._thread.seek_to_resume(offsets)  # type: ignore[attr-defined]
        self.app.resumed(sought)  # type: ignore[attr-defined]
        return sought

    async def rewind(self, tp: TP, offset: int) -> bool:
        """Seek one source partition back to `offset`; False if it is no longer assigned."""
        try:
            await self._thread.seek_one(tp, offset)  # type: ignore[attr-defined]
        except (IllegalStateError, AssertionError):  # aiokafka asserts when there is no assignment at all
            log.info("not seeking %s back: no longer assigned", tp)  # its next owner resumes it from the state
            return False
        return True


class Transport(driver.Transport):
    Consumer = _Consumer
