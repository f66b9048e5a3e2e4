"""The recording time stamped under the write lock: never before the newest chained one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.persistence import StoredEvent

from tuoyu.persistence.stamping import next_stamp, stamped

T = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


def test_a_clock_behind_the_newest_recording_time_stamps_that_time():
    newest = "2025-03-01T10:00:05+08:00"
    assert next_stamp(T, newest) == newest  # 02:00 UTC is 10:00:00 in Shanghai, before 10:00:05
    assert next_stamp(T + timedelta(seconds=6), newest) == "2025-03-01T02:00:06+00:00"
    assert next_stamp(T, None) == "2025-03-01T02:00:00+00:00"


def test_stamping_replaces_the_timestamp_and_nothing_else():
    state = b'{"schema":2,"timestamp":"2025-03-01T10:00:00+08:00","event":{"note":"timestamp"}}'
    [event] = stamped([StoredEvent("id", 1, "topic", state)], "2025-03-01T10:00:05+08:00")
    assert event.state == state.replace(b"10:00:00", b"10:00:05")


def test_a_state_of_an_earlier_format_is_not_stamped_blindly():
    with pytest.raises(ValueError, match="cannot be stamped"):
        stamped([StoredEvent("id", 1, "topic", b'{"timestamp":"2025-03-01T10:00:00+08:00"}')], "x")
