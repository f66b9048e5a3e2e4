"""A worker whose fold raises on a fact (tuoyu.streams.worker.KpiWorker.note_stuck), without Kafka:
the partition is held there and read again later, the stuck gauges say where, and both clear once
the partition is folded past it."""

from __future__ import annotations

from tuoyu.metrics.collectors import metrics_registry
from tuoyu.streams.batches import Folded, Read, Stuck, fold_batch
from tuoyu.streams.worker import KpiWorker, WorkerConfig


def gauges(worker: KpiWorker) -> dict[str, float]:
    registry = metrics_registry(worker.export.collector(worker.rewinds))
    return {
        sample.name: sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name.startswith("childcare_projection_stuck")
    }


def state(township: str) -> dict:
    """A stored state as a message carries it (decoded): only what reading it as a fact needs."""
    return {
        "schema": 2,
        "timestamp": "2026-01-01T00:00:00+00:00",
        "personal": {},
        "context": {"township": township},
        "event": {"type": "TrainingCompleted", "occurred_at": "2025-01-01T10:00:00+08:00"},
    }


def raising_on(position: int):
    def fold(part, fact):
        if fact["position"] == position:
            raise ValueError(f"cannot fold {position}")
        part["position"] = fact["position"]

    return fold


def test_a_fold_that_raises_holds_the_partition_and_sets_the_stuck_gauges_until_it_goes_through(caplog):
    worker = KpiWorker(WorkerConfig("127.0.0.1:1", topic="t"))
    assert gauges(worker) == {"childcare_projection_stuck": 0, "childcare_projection_stuck_position": 0}
    reads = [
        Read(0, 10, "a", [5, 9], [state("a"), state("a")]),
        Read(0, 11, "a", [12], [state("a")]),
        Read(1, 3, "b", [6], [state("b")]),
    ]
    folded = fold_batch({}, reads, raising_on(9))
    worker.note_stuck(folded)
    assert gauges(worker) == {"childcare_projection_stuck": 1, "childcare_projection_stuck_position": 9}
    assert "stopped at the fact at position 9" in caplog.text and "ValueError: cannot fold 9" in caplog.text
    assert worker.rewinds.holds[0].offset == 10 and 1 not in worker.rewinds.holds
    # Read again, still raising: held again, for longer.
    worker.note_stuck(fold_batch({}, reads[:2], raising_on(9)))
    assert worker.rewinds.holds[0].attempts == 2 and gauges(worker)["childcare_projection_stuck"] == 1
    # Fixed: folded past it, the partition goes on and the gauges clear.
    worker.note_stuck(fold_batch({}, reads[:2], raising_on(-1)))
    assert gauges(worker) == {"childcare_projection_stuck": 0, "childcare_projection_stuck_position": 0}


def test_the_earliest_stuck_fact_is_the_one_exported():
    worker = KpiWorker(WorkerConfig("127.0.0.1:1", topic="t"))
    worker.note_stuck(Folded(stuck={2: Stuck(2, 40, 700, "x", "E: 1"), 0: Stuck(0, 4, 300, "y", "E: 2")}))
    assert gauges(worker)["childcare_projection_stuck_position"] == 300
