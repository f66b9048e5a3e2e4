"""The worker's bookkeeping of where it has read each source partition (tuoyu.streams.progress):
jumps in offsets, changelog recovery that never takes a part back, where to resume."""

from __future__ import annotations

from types import SimpleNamespace

from tuoyu.streams.progress import Rewinds, Verdict, keep_newest, offset_key, resume_offset


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def fold_all(rewinds: Rewinds, partition: int, offsets: list[int], last: int | None) -> tuple[list[Verdict], int | None]:
    """Feed offsets as the agent does (last moves on each record folded)."""
    verdicts = []
    for offset in offsets:
        verdict = rewinds.check(partition, offset, last)
        verdicts.append(verdict)
        if verdict in (Verdict.FOLD, Verdict.GAP):
            last = offset
    return verdicts, last


def test_records_in_order_and_records_read_again_are_folded():
    rewinds = Rewinds()
    verdicts, last = fold_all(rewinds, 0, [0, 1, 2, 1, 2, 3], None)
    assert verdicts == [Verdict.FOLD] * 6 and last == 3
    assert rewinds.found == 0


def test_the_first_record_of_a_partition_without_state_is_folded_wherever_it_starts():
    assert Rewinds().check(0, 500, None) is Verdict.FOLD


def test_a_jump_is_answered_by_a_rewind_and_what_was_read_ahead_is_skipped_until_the_reread_passes_it():
    rewinds = Rewinds()
    # 10 was last; 14 comes (11-13 skipped): rewind. 15 was already delivered: skip. Then the
    # re-read 11.., and the stale 15 again after 11 (delivered before the seek): still skipped.
    verdicts, last = fold_all(rewinds, 0, [14, 15, 11, 15, 12, 13, 14, 15, 16], 10)
    assert verdicts == [Verdict.REWIND, Verdict.SKIP, Verdict.FOLD, Verdict.SKIP, Verdict.FOLD, Verdict.FOLD,
                        Verdict.FOLD, Verdict.FOLD, Verdict.FOLD]
    assert last == 16 and rewinds.found == 1 and rewinds.unrecovered == 0
    assert not rewinds.pending


def test_a_new_jump_after_the_reread_passed_the_first_is_counted_again():
    rewinds = Rewinds()
    verdicts, last = fold_all(rewinds, 0, [12, 11, 12, 20], 10)
    assert verdicts == [Verdict.REWIND, Verdict.FOLD, Verdict.FOLD, Verdict.REWIND]
    assert rewinds.found == 2


def test_partitions_are_checked_apart():
    rewinds = Rewinds()
    assert rewinds.check(0, 14, 10) is Verdict.REWIND
    assert rewinds.check(1, 11, 10) is Verdict.FOLD
    assert rewinds.check(0, 15, 10) is Verdict.SKIP


def test_a_reread_without_progress_gives_up_after_patience_and_counts_it():
    clock = Clock()
    rewinds = Rewinds(patience=30, clock=clock)
    assert rewinds.check(0, 14, 10) is Verdict.REWIND
    clock.now = 29
    assert rewinds.check(0, 15, 10) is Verdict.SKIP
    clock.now = 31
    assert rewinds.check(0, 16, 10) is Verdict.GAP
    assert rewinds.unrecovered == 1 and not rewinds.pending
    assert rewinds.check(0, 17, 16) is Verdict.FOLD


def test_patience_counts_from_the_last_progress_of_a_long_reread():
    clock = Clock()
    rewinds = Rewinds(patience=30, clock=clock)
    assert rewinds.check(0, 1000, 10) is Verdict.REWIND
    clock.now = 25
    assert rewinds.check(0, 11, 10) is Verdict.FOLD
    clock.now = 50  # 50 s since the jump, 25 since progress
    assert rewinds.check(0, 1001, 11) is Verdict.SKIP
    assert rewinds.unrecovered == 0


def test_give_up_when_the_broker_no_longer_has_the_records():
    rewinds = Rewinds()
    assert rewinds.check(0, 14, 10) is Verdict.REWIND
    assert rewinds.give_up(0) is Verdict.GAP
    assert rewinds.found == 1 and rewinds.unrecovered == 1 and not rewinds.pending


def event(key, value):
    return SimpleNamespace(key=key, value=value)


def test_recovery_never_takes_a_part_back():
    held = {"a": {"position": 50}, "b": {"position": 10}}
    batch = [event("a", {"position": 40}), event("b", {"position": 20}), event("c", {"position": 5}),
             event("a", {"position": 50})]
    kept = list(keep_newest(batch, held))
    assert [(e.key, e.value["position"]) for e in kept] == [("b", 20), ("c", 5), ("a", 50)]


def test_recovery_within_one_batch_keeps_the_newest_of_a_key():
    kept = list(keep_newest([event("a", {"position": 30}), event("a", {"position": 20})], {}))
    assert [e.value["position"] for e in kept] == [30]


def test_recovered_offsets_are_taken_as_written():
    """The last offset written wins, also a lower one (a re-created topic): the parts beside it
    are at least that far, and reading again costs only duplicates."""
    held = {offset_key(2): 900}
    kept = list(keep_newest([event(offset_key(2), 40)], held))
    assert [e.value for e in kept] == [40]


def test_resume_after_the_last_offset_folded_or_from_the_beginning():
    held = {offset_key(0): 41, offset_key(3): 0}
    assert resume_offset(held, 0) == 42
    assert resume_offset(held, 3) == 1
    assert resume_offset(held, 1) is None
