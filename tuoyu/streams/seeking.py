"""A Faust transport whose consumer rewinds uncommitted partitions after recovery.

After a rebalance Faust recovers the tables from their changelogs and then "seeks stream
partitions to committed offsets". aiokafka's seek_to_committed only seeks partitions that
have a committed offset above zero, and while the tables were recovering the fetcher may
already have read ahead on the source topic (those records are dropped while flow is
suspended). A partition with nothing committed yet (a worker killed before its first commit)
was thus left at the end of what had been fetched: the worker came back ready, and the facts
in between were never applied. Here such partitions go back to the beginning, which is what
`consumer_auto_offset_reset="earliest"` means; facts already in the recovered state are then
dropped by their position.
"""

from __future__ import annotations

from collections.abc import Mapping

from faust.transport.drivers import aiokafka as driver
from faust.types import TP


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    async def seek_to_committed(self) -> Mapping[TP, int]:
        return await self.call_thread(self._seek_to_committed_or_beginning)

    async def _seek_to_committed_or_beginning(self) -> Mapping[TP, int]:
        consumer = self._ensure_consumer()
        committed = await consumer.seek_to_committed()
        uncommitted = [tp for tp, offset in committed.items() if not offset]
        if uncommitted:
            await consumer.seek_to_beginning(*uncommitted)
        return committed


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(driver.Transport):
    Consumer = _Consumer
