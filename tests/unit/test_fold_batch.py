"""The worker's fold of a batch of messages (tuoyu.streams.batches.fold_batch), without Kafka:
it equals the replay, drops what was applied before, never changes what it is given, and stops
a partition at a fact whose fold raises without moving its offset past it."""

from __future__ import annotations

import copy
from collections import defaultdict

import orjson

from tests.unit.stream_facts import facts_of, stored_of
from tuoyu.projections.fold import apply
from tuoyu.streams.batches import Read, fold_batch
from tuoyu.streams.messages import key_of
from tuoyu.views.replay import fold_all


def reads_of(stored: list[tuple[int, bytes]], per_message: int = 7, partitions: int = 2) -> list[Read]:
    """Messages as the relay cuts them: consecutive stored events of one key, decoded as the worker
    gets them; a key stays on one partition."""
    keys = sorted({key_of(state) for _, state in stored})
    partition = {key: n % partitions for n, key in enumerate(keys)}
    offsets: dict[int, int] = defaultdict(int)
    reads, pending = [], defaultdict(list)

    def flush(key: str) -> None:
        p = partition[key]
        events = pending.pop(key)
        reads.append(
            Read(p, offsets[p], key, [position for position, _ in events], [orjson.loads(state) for _, state in events])
        )
        offsets[p] += 1

    for position, state in stored:
        key = key_of(state)
        pending[key].append((position, state))
        if len(pending[key]) == per_message:
            flush(key)
    for key in list(pending):
        flush(key)
    return reads


def test_a_batch_folded_from_nothing_equals_the_replay_and_reads_to_each_partitions_last_message():
    facts = facts_of(400)
    reads = reads_of(stored_of(400))
    changed, read_to = fold_batch({}, reads)
    replayed, _ = fold_all(facts)
    assert {key: part for key, part in replayed.items() if part["position"]} == changed
    assert read_to == {p: max(r.offset for r in reads if r.partition == p) for p in (0, 1)}


def test_batches_in_turn_equal_one_batch_and_facts_applied_before_are_dropped():
    reads = reads_of(stored_of(400))
    parts: dict = {}
    for start in range(0, len(reads), 9):
        folded = fold_batch(parts, reads[start : start + 9])
        parts.update(folded.changed)
    again = fold_batch(parts, reads[:20])  # read again after a restart: nothing changes
    assert again.changed == {} and again.applied == 0 and again.duplicates == sum(len(r.states) for r in reads[:20])
    assert parts == fold_batch({}, reads).changed


def test_the_parts_given_are_never_changed():
    reads = reads_of(stored_of(200))
    parts = fold_batch({}, reads[:10]).changed
    before, reads_before = copy.deepcopy(parts), copy.deepcopy(reads)
    folded = fold_batch(parts, reads[10:])
    assert parts == before and reads == reads_before
    assert all(folded.changed[key] is not parts.get(key) for key in folded.changed)


def test_a_fold_that_raises_stops_its_partition_there_and_keeps_its_offset_before_the_part():
    facts = facts_of(300)
    reads = reads_of(stored_of(300), partitions=2)
    bad_read = next(r for r in reads[5:] if r.partition == 0)
    bad = bad_read.positions[2]

    def fold(part, fact):
        if fact["position"] == bad:
            part["institutions"] = "half-way"  # a fold that breaks the part before it raises
            raise KeyError("slots")
        return apply(part, fact)

    folded = fold_batch({}, reads, fold)
    stuck = folded.stuck[0]
    assert (stuck.partition, stuck.position, stuck.key) == (0, bad, bad_read.key)
    assert stuck.error == "KeyError: 'slots'"
    # The part is left as it was before the batch (here: none), and is read again from its first
    # message of the batch; nothing after the fact in partition 0 is folded.
    first = min(r.offset for r in reads if r.key == bad_read.key)
    assert bad_read.key not in folded.changed and stuck.offset == first
    assert folded.read_to.get(0, -1) < first
    later = [r for r in reads if r.partition == 0 and r.offset > bad_read.offset]
    assert all(folded.changed.get(r.key, {"position": 0})["position"] < r.positions[0] for r in later)
    # The other partition goes on to its end, equal to the replay of its facts.
    assert folded.read_to[1] == max(r.offset for r in reads if r.partition == 1)
    in_1 = {position for r in reads if r.partition == 1 for position in r.positions}
    partition_1 = [f for f in facts if f["position"] in in_1]
    assert {k: p for k, p in folded.changed.items() if any(r.key == k and r.partition == 1 for r in reads)} == {
        k: p for k, p in fold_all(partition_1)[0].items() if p["position"]
    }


def test_once_the_fold_goes_through_the_partition_goes_on_to_the_replay():
    facts = facts_of(300)
    reads = reads_of(stored_of(300), partitions=1)
    bad = reads[4].positions[0]
    broken = {"raise": True}

    def fold(part, fact):
        if fact["position"] == bad and broken["raise"]:
            raise ValueError("not yet")
        return apply(part, fact)

    parts: dict = {}
    first = fold_batch(parts, reads[:8], fold)
    parts.update(first.changed)
    assert first.stuck and first.read_to.get(0, -1) < 4
    broken["raise"] = False  # the code (or the fact) fixed: read again from where it stopped
    resume = first.stuck[0].offset
    second = fold_batch(parts, [r for r in reads if r.offset >= resume], fold)
    parts.update(second.changed)
    assert not second.stuck and second.read_to == {0: reads[-1].offset}
    assert parts == {k: p for k, p in fold_all(facts)[0].items() if p["position"]}


def test_a_state_that_cannot_be_read_as_a_fact_stops_its_partition_like_a_fold_that_raises():
    reads = reads_of(stored_of(100), partitions=1)
    broken = reads[3]
    states = [dict(state) for state in broken.states]
    del states[1]["event"]  # not a fact any reader of the store could read
    reads[3] = Read(broken.partition, broken.offset, broken.key, broken.positions, states)
    folded = fold_batch({}, reads)
    stuck = folded.stuck[0]
    assert (stuck.position, stuck.key) == (broken.positions[1], broken.key) and stuck.error == "KeyError: 'event'"
    assert folded.read_to.get(0, -1) < min(r.offset for r in reads if r.key == broken.key)
