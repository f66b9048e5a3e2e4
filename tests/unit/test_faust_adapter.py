"""The contract between tuoyu/streams/faust_adapter.py and the pinned faust-streaming: each
internal the adapter relies on is still there and still does what the adapter assumes. A
failure here means faust-streaming changed: read faust_adapter's docstring before re-pinning."""

from __future__ import annotations

import inspect
from importlib.metadata import version

import faust
import orjson
from faust.tables.base import Collection
from faust.transport import consumer as base_consumer
from faust.transport.drivers import aiokafka as driver
from faust.types import TP

from tuoyu.streams import faust_adapter as adapter
from tuoyu.streams.worker import FactBatch, KpiWorker, WorkerConfig


def source(function) -> str:
    return inspect.getsource(function)


def test_the_adapter_is_written_against_the_installed_faust_streaming():
    assert version("faust-streaming") == adapter.FAUST_VERSION


def test_faust_seeks_stream_partitions_through_seek_to_committed_after_recovery():
    """perform_seek (called by Recovery after every rebalance) asks seek_to_committed, which the
    adapter answers from the worker's tables, and takes its answer as the read offsets."""
    perform_seek = source(base_consumer.Consumer.perform_seek)
    assert "await self.seek_to_committed()" in perform_seek
    assert "read_offset.update" in perform_seek


def test_the_fetch_loop_drops_records_by_the_read_offset_mapping_the_adapter_replaces():
    drain = source(base_consumer.Consumer._drain_messages)
    assert "get_read_offset = self._read_offset.__getitem__" in drain
    assert "if r_offset is None or offset >= r_offset" in drain
    assert "await self._add_gap(tp, r_offset + 1, offset)" in drain


def test_the_consumer_thread_hands_calls_to_aiokafka_in_its_own_thread():
    assert hasattr(driver.AIOKafkaConsumerThread, "_ensure_consumer")
    assert inspect.iscoroutinefunction(driver.AIOKafkaConsumerThread.call_thread)
    assert "_new_consumer_thread" in source(driver.Consumer)
    assert inspect.signature(driver.Consumer._add_gap).parameters.keys() >= {"tp", "offset_from", "offset_to"}


def test_send_changelog_returns_a_future_and_data_is_the_store():
    assert "send_soon" in source(Collection.send_changelog)
    assert "apply_changelog_batch" in dir(faust.Table)


def test_the_worker_app_uses_the_adapted_transport_consumer_and_read_offsets():
    worker = KpiWorker(WorkerConfig("127.0.0.1:1", topic="t"))
    consumer = worker.app.consumer
    assert isinstance(consumer, adapter._Consumer)
    assert worker.app.positions is worker
    consumer._read_offset[TP("t", 0)] = 5
    assert consumer._read_offset[TP("t", 0)] is None  # a source topic: Faust drops nothing
    changelog = TP(worker.parts.changelog_topic.get_topic_name(), 0)
    consumer._read_offset[changelog] = 5
    assert consumer._read_offset[changelog] == 5  # a changelog keeps Faust's own check
    assert consumer._new_consumer_thread().__class__ is adapter._ConsumerThread


def test_the_typed_record_decodes_the_relays_messages_with_the_orjson_codec():
    from tuoyu.streams.messages import encode

    states = [{"schema": 2, "event": {"type": "X", "name": "门头沟"}, "context": {}}, {"schema": 2, "context": {}}]
    _, value, _ = encode("district", [(7, orjson.dumps(states[0])), (9, orjson.dumps(states[1]))])
    batch = FactBatch.loads(value, serializer=adapter.ORJSON)
    assert (batch.key, batch.first, batch.last, batch.positions, batch.states) == ("district", 7, 9, [7, 9], states)
    assert FactBatch._options.include_metadata is False  # the relay writes no Faust metadata


def test_every_worker_keeps_reading_the_summaries_that_every_worker_writes():
    """Faust's assignor makes a global table's partition a standby (read continuously) on every
    worker but the one it is active on, unless synchronize_all_active_partitions is set; the
    summaries are written by every worker, so without it one worker never saw the others'."""
    from faust.assignor.partition_assignor import PartitionAssignor

    worker = KpiWorker(WorkerConfig("127.0.0.1:1", topic="t"))
    assert worker.summaries.is_global and worker.summaries.synchronize_all_active_partitions
    assert "table.synchronize_all_active_partitions or table.use_partitioner" in source(PartitionAssignor)
