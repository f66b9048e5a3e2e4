"""The worker's bookkeeping of where it has read each source partition (tuoyu.streams.progress):
jumps in offsets, partitions held where a fold raised, changelog recovery that never takes a
part back, where to resume."""

from __future__ import annotations

from types import SimpleNamespace

from tuoyu.streams.progress import Rewinds, Verdict, keep_newest, resume_offset


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def fold_all(
    rewinds: Rewinds, partition: int, offsets: list[int], last: int | None
) -> tuple[list[Verdict], int | None]:
    """Feed offsets as the agent does: `last` moves on each record folded, and each SEEK is done."""
    verdicts = []
    for offset in offsets:
        verdict = rewinds.check(partition, offset, last)
        verdicts.append(verdict)
        if verdict is Verdict.FOLD:
            last = offset
        elif verdict is Verdict.SEEK:
            rewinds.sought(partition)
    return verdicts, last


F, SEEK, SKIP = Verdict.FOLD, Verdict.SEEK, Verdict.SKIP


def sought_back(to: int) -> tuple[Clock, Rewinds]:
    """Rewinds (retry 1 s, on a clock at 0) that saw partition 0 jump from 10 to `to` and sought back."""
    clock = Clock()
    rewinds = Rewinds(retry=1, clock=clock)
    assert rewinds.check(0, to, 10) is SEEK
    rewinds.sought(0)
    return clock, rewinds


def test_records_in_order_and_records_read_again_are_folded():
    rewinds = Rewinds()
    verdicts, last = fold_all(rewinds, 0, [0, 1, 2, 1, 2, 3], None)
    assert verdicts == [F] * 6 and last == 3
    assert rewinds.found == 0


def test_without_state_or_resume_point_the_first_record_is_folded_wherever_it_starts():
    assert Rewinds().check(0, 500, None) is F


def test_a_partition_resumed_from_the_beginning_expects_the_beginning():
    rewinds = Rewinds()
    rewinds.resumed(0, 0)
    assert rewinds.check(0, 3, None) is SEEK
    assert rewinds.next_offset(0, None) == 0
    rewinds.resumed(1, 0)
    assert rewinds.check(1, 0, None) is F


def test_a_jump_is_sought_back_and_what_was_read_ahead_is_skipped_until_the_reread_passes_it():
    rewinds = Rewinds()
    # 10 was last; 14 comes (11-13 skipped): seek. 15 was already delivered: skip. Then the
    # re-read 11.., and the stale 15 again after 11 (delivered before the seek): still skipped.
    verdicts, last = fold_all(rewinds, 0, [14, 15, 11, 15, 12, 13, 14, 15, 16], 10)
    assert verdicts == [SEEK, SKIP, F, SKIP, F, F, F, F, F]
    assert last == 16 and rewinds.found == 1 and rewinds.unrecovered == 0
    assert not rewinds.pending


def test_a_new_jump_after_the_reread_passed_the_first_is_counted_again():
    rewinds = Rewinds()
    verdicts, _ = fold_all(rewinds, 0, [12, 11, 12, 20], 10)
    assert verdicts == [SEEK, F, F, SEEK]
    assert rewinds.found == 2


def test_partitions_are_checked_apart():
    rewinds = Rewinds()
    assert rewinds.check(0, 14, 10) is SEEK
    rewinds.sought(0)
    assert rewinds.check(1, 11, 10) is F
    assert rewinds.check(0, 15, 10) is SKIP


def test_a_seek_that_did_not_take_is_made_again_after_retry_seconds_without_progress():
    clock, rewinds = sought_back(to=14)
    clock.now = 0.5
    assert rewinds.check(0, 600, 10) is SKIP
    clock.now = 1.5  # Faust's fetch loop moved on past the re-read: seek again
    assert rewinds.check(0, 601, 10) is SEEK
    rewinds.sought(0)
    clock.now = 2.0
    assert rewinds.check(0, 602, 10) is SKIP
    assert rewinds.found == 1  # one jump, sought twice


def test_no_new_seek_while_the_reread_makes_progress():
    clock, rewinds = sought_back(to=1000)
    for step, offset in enumerate(range(11, 200)):
        clock.now = 0.1 * step
        assert rewinds.check(0, offset, offset - 1) is F
        assert rewinds.check(0, 1001 + step, offset) is SKIP  # stale records in between


def test_a_reread_that_makes_no_progress_is_never_given_up():
    """No hole is accepted for lack of progress (a slow consumer is not a missing record): the
    worker keeps seeking back, ever less often."""
    clock, rewinds = sought_back(to=14)
    for _ in range(100):
        clock.now += 0.5
        verdict = rewinds.check(0, 15, 10)
        assert verdict in (SEEK, SKIP)
        if verdict is SEEK:
            rewinds.sought(0)
    assert rewinds.unrecovered == 0 and rewinds.pending


def test_a_seek_finished_after_a_rebalance_settled_the_partition_is_harmless():
    rewinds = Rewinds()
    assert rewinds.check(0, 14, 10) is SEEK
    rewinds.resumed(0, 11)  # a rebalance while the worker was seeking
    rewinds.sought(0)
    assert not rewinds.pending


def test_a_rebalance_forgets_a_pending_jump():
    """The partition is sought from the state after recovery: a jump pending from before (maybe
    under another owner meanwhile) is moot, and a new jump is seen as new."""
    clock = Clock()
    rewinds = Rewinds(clock=clock)
    assert rewinds.check(0, 14, 10) is SEEK
    clock.now = 100
    rewinds.resumed(0, 11)
    assert not rewinds.pending
    assert rewinds.check(0, 20, 10) is SEEK and rewinds.found == 2


def event(key, value):
    return SimpleNamespace(key=key, value=value)


def test_recovery_never_takes_a_part_back():
    held = {"a": {"position": 50}, "b": {"position": 10}}
    batch = [
        event("a", {"position": 40}),
        event("b", {"position": 20}),
        event("c", {"position": 5}),
        event("a", {"position": 50}),
    ]
    kept = list(keep_newest(batch, held))
    assert [(e.key, e.value["position"]) for e in kept] == [("b", 20), ("c", 5), ("a", 50)]


def test_recovery_within_one_batch_keeps_the_newest_of_a_key():
    kept = list(keep_newest([event("a", {"position": 30}), event("a", {"position": 20})], {}))
    assert [e.value["position"] for e in kept] == [30]


def test_resume_after_the_last_offset_folded_or_from_the_beginning():
    read_to = {0: 41, 3: 0}
    assert resume_offset(read_to, 0) == 42
    assert resume_offset(read_to, 3) == 1
    assert resume_offset(read_to, 1) is None


def test_the_worker_parts_table_recovers_through_keep_newest():
    """The glue: the worker's parts table (Faust's memory store underneath) keeps a part further
    than its changelog record and takes newer ones."""
    from tuoyu.streams.worker import KpiWorker, WorkerConfig

    parts = KpiWorker(WorkerConfig("127.0.0.1:1")).parts
    parts.data["a"] = {"position": 50}

    def changelog(key, value, partition=1):
        return SimpleNamespace(key=key, value=value, message=SimpleNamespace(partition=partition, value=b"x"))

    parts.apply_changelog_batch([changelog("a", {"position": 40}), changelog("b", {"position": 7})])
    assert parts.data["a"] == {"position": 50}
    assert parts.data["b"] == {"position": 7}
    parts.apply_changelog_batch([changelog("a", {"position": 60})])
    assert parts.data["a"] == {"position": 60}


def test_a_held_partition_skips_everything_until_sought_back_then_folds_from_where_it_stopped():
    clock = Clock()
    rewinds = Rewinds(retry=1, clock=clock)
    assert rewinds.hold(0, 11) == 1
    assert rewinds.check(0, 12, 10) is SKIP  # read ahead before the hold: not folded
    assert rewinds.overdue() == []
    clock.now = 1
    assert rewinds.overdue() == [0] and rewinds.seek_target(0, 10) == 11
    rewinds.sought(0)
    assert rewinds.overdue() == []
    assert rewinds.check(0, 13, 10) is SKIP  # delivered before the seek took effect
    assert rewinds.check(0, 11, 10) is F
    assert rewinds.check(0, 12, 11) is F and not rewinds.holds  # past where it stopped: released


def test_a_partition_held_again_at_the_same_place_waits_twice_as_long_up_to_a_minute():
    rewinds = Rewinds(retry=1, clock=Clock())
    assert [rewinds.hold(0, 11) for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert rewinds.hold(0, 20) == 1  # stopped somewhere else: from the start


def test_a_held_partition_resumed_after_a_rebalance_is_tried_again_at_once():
    rewinds = Rewinds(retry=1, clock=Clock())
    rewinds.hold(0, 11)
    rewinds.resumed(0, 11)
    assert rewinds.check(0, 11, 10) is F


def test_a_seek_back_that_brought_nothing_is_due_again_from_the_timer():
    clock, rewinds = sought_back(to=14)
    clock.now = 0.5
    assert rewinds.overdue() == []
    clock.now = 1.0
    assert rewinds.overdue() == [0]
    rewinds.sought(0)
    assert rewinds.overdue() == []
    rewinds.forget(0)
    clock.now = 10
    assert rewinds.overdue() == []


def test_seeking_again_backs_off_until_the_reread_progresses():
    clock, rewinds = sought_back(to=14)
    waits = []
    for _ in range(7):
        start = clock.now
        while rewinds.overdue() != [0]:
            clock.now += 0.25
        waits.append(clock.now - start)
        rewinds.sought(0)
    assert waits == [1, 2, 4, 8, 16, 16, 16]
    assert rewinds.check(0, 11, 10) is F  # progress: back to `retry`
    clock.now += 1
    assert rewinds.overdue() == [0]


def test_the_relay_creates_the_topic_keeping_every_record(monkeypatch):
    """A worker without state reads the topic from its beginning: the topic must keep the whole
    history, not the broker's default week (what is asked of the broker; tests/integration/
    test_relay.py reads the created topic's configuration back from Apache Kafka)."""
    import kafka

    from tuoyu.streams.relay import ensure_topic

    created = []

    class Admin:
        def __init__(self, **_):
            pass

        def list_topics(self):
            return []

        def create_topics(self, topics):
            created.extend(topics)

        def close(self):
            pass

    monkeypatch.setattr(kafka, "KafkaAdminClient", Admin)
    assert ensure_topic(["127.0.0.1:1"], "childcare.events", 4)
    [topic] = created
    assert (topic.name, topic.num_partitions) == ("childcare.events", 4)
    assert topic.topic_configs == {"retention.ms": "-1", "retention.bytes": "-1"}
