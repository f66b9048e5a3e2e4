"""The verifier on in-memory rows: every single change of a random record is reported at the
first position it affects, with its kind; an intact record, and ranges of it, verify."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from tuoyu.audit.checkpoint import Checkpoint
from tuoyu.audit.verify import verify
from tuoyu.persistence.chain import GENESIS, ChainRow, EventRow, chain_rows, row_digest


def record(size: int, gaps: frozenset[int] = frozenset()) -> tuple[list[EventRow], list[ChainRow]]:
    positions = [p for p in range(1, size + len(gaps) + 1) if p not in gaps][:size]
    events = [
        EventRow(
            p,
            f"{p % 3:032x}",
            p,
            "tuoyu.domain.x:X",
            orjson.dumps({"timestamp": f"2025-01-{1 + p % 28:02d}T10:00:00+08:00", "event": {"n": p}}),
        )
        for p in positions
    ]
    return events, chain_rows(GENESIS, events)


def check(events, chain, checkpoint=None):
    return verify(
        events,
        chain,
        checkpoint,
        chained_at=lambda d: next((c.position for c in chain if c.digest == d), None),
        stored_at=lambda d: next((e.position for e in events if row_digest(e) == d), None),
    )


def finding(events, chain, checkpoint=None):
    verdict = check(events, chain, checkpoint)
    assert not verdict.intact
    return verdict.finding.kind, verdict.finding.position


sizes = st.integers(2, 30)


@given(sizes, st.frozensets(st.integers(1, 40), max_size=5))
def test_an_intact_record_with_gaps_verifies_whole_and_in_ranges(size, gaps):
    events, chain = record(size, gaps)
    verdict = check(events, chain)
    assert verdict.intact and verdict.events == size and verdict.head == chain[-1]
    cut = chain[(size - 1) // 2]
    tail = verify(
        [e for e in events if e.position > cut.position], [c for c in chain if c.position > cut.position], start=cut
    )
    assert tail.intact and tail.head == chain[-1]


@given(sizes, st.data())
def test_a_modified_event_is_reported_at_its_position(size, data):
    events, chain = record(size)
    i = data.draw(st.integers(0, size - 1))
    field = data.draw(st.sampled_from(["originator_id", "version", "topic", "state"]))
    changed = {
        "originator_id": f"{99:032x}",
        "version": events[i].version + 1000,
        "topic": "other:Y",
        "state": events[i].state.replace(b"10:00", b"11:00"),
    }[field]
    events[i] = events[i]._replace(**{field: changed})
    assert finding(events, chain) == ("modified", events[i].position)


@given(sizes, st.data())
def test_a_deleted_event_is_reported_at_its_position(size, data):
    events, chain = record(size)
    gone = events.pop(data.draw(st.integers(0, size - 1)))
    assert finding(events, chain) == ("deleted", gone.position)


@given(sizes, st.data())
def test_an_inserted_event_is_reported_at_its_position(size, data):
    events, chain = record(size, gaps=frozenset({5, 9, 14, 33}))
    free = [p for p in range(1, events[-1].position + 3) if p not in {e.position for e in events}]
    at = data.draw(st.sampled_from(free))
    events = sorted([*events, EventRow(at, f"{7:032x}", 1, "tuoyu.domain.x:X", b'{"timestamp":"x"}')])
    assert finding(events, chain) == ("inserted", at)


@given(sizes, st.data())
def test_swapped_events_are_reported_as_reordered_at_the_first(size, data):
    events, chain = record(size)
    i, j = sorted(data.draw(st.lists(st.integers(0, size - 1), min_size=2, max_size=2, unique=True)))
    events[i], events[j] = (
        events[j]._replace(position=events[i].position),
        events[i]._replace(position=events[j].position),
    )
    assert finding(events, chain) == ("reordered", events[i].position)


@given(sizes, st.data())
def test_a_rewritten_chain_row_is_reported_at_its_position(size, data):
    events, chain = record(size)
    i = data.draw(st.integers(0, size - 1))
    chain[i] = (
        chain[i]._replace(link=bytes(32))
        if data.draw(st.booleans())
        else chain[i]._replace(recorded_at="2000-01-01T00:00:00+08:00")
    )
    assert finding(events, chain) == ("modified", chain[i].position)


@settings(max_examples=50)
@given(sizes, st.data())
def test_a_record_rewritten_with_its_chain_fails_only_against_a_checkpoint(size, data):
    events, chain = record(size)
    cut = data.draw(st.integers(0, size - 1))
    checkpoint = Checkpoint(chain[cut].position, chain[cut].link, cut + 1, chain[cut].recorded_at)
    i = data.draw(st.integers(0, cut))
    events[i] = events[i]._replace(state=events[i].state.replace(b"10:00", b"12:00"))
    chain = chain_rows(GENESIS, events)  # the intruder chains the altered record again
    assert check(events, chain).intact
    assert finding(events, chain, checkpoint) == ("modified", checkpoint.position)
    assert check(events, chain, checkpoint).finding.at_or_before
