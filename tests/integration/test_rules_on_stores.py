"""What only a real store shows of the rules: two registries (as two processes would) writing the
same institution at once, on SQLite and PostgreSQL. The rules themselves are decided, and
tested, in tests/unit/test_rules.py."""

from __future__ import annotations

import threading

from tests.support.builders import enrolled, filed, guidance, institution, open_app, record, stored_event_ids
from tuoyu.domain.problems import EventsRejected


def _enroll_concurrently(store_settings, slots: int, per_writer: int) -> tuple[int, int, list[BaseException]]:
    """Two registries on one store enroll 1 child at a time from two threads; (recorded, rejected, errors)."""
    setup = open_app(store_settings)
    record(setup, filed("A", slots=slots))
    writers = [open_app(store_settings), open_app(store_settings)]
    for writer in writers:
        assert writer.repository.get(institution(setup, "A").id).enrolled == 0  # both have loaded it
    start = threading.Barrier(2)
    counts = {"recorded": 0, "rejected": 0}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def enroll(writer) -> None:
        start.wait()
        for _ in range(per_writer):
            try:
                outcome = record(writer, enrolled("A", 1))
                with lock:
                    counts["recorded"] += outcome.recorded
            except EventsRejected as rejection:
                assert rejection.problems[0].field == "children"
                with lock:
                    counts["rejected"] += 1
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=enroll, args=(w,)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert institution(setup, "A").enrolled == counts["recorded"]
        assert len(stored_event_ids(setup)) == 1 + counts["recorded"]
    finally:
        for registry in (setup, *writers):
            registry.close()
    return counts["recorded"], counts["rejected"], errors


def test_two_registries_enrolling_concurrently_lose_no_enrollment(store_settings):
    recorded, rejections, errors = _enroll_concurrently(store_settings, slots=100, per_writer=50)
    assert errors == []
    assert (recorded, rejections) == (100, 0)


def test_two_registries_enrolling_concurrently_never_overbook(store_settings):
    recorded, rejections, errors = _enroll_concurrently(store_settings, slots=70, per_writer=50)
    assert errors == []
    assert (recorded, rejections) == (70, 30)


def test_one_event_id_sent_by_two_registries_at_once_is_recorded_once(store_settings):
    """The claim on an event_id is written in the same transaction as the event: of two writers
    racing with the same event, one records it and the other finds it recorded (a duplicate)."""
    event = guidance()
    writers = [open_app(store_settings), open_app(store_settings)]
    start = threading.Barrier(2)
    outcomes: list = []

    def send(writer) -> None:
        start.wait()
        outcomes.append(writer.record([event], "test"))

    threads = [threading.Thread(target=send, args=(w,)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert sorted((o.recorded, o.duplicates) for o in outcomes) == [(0, 1), (1, 0)]
        assert stored_event_ids(writers[0]) == [event["event_id"]]
    finally:
        for writer in writers:
            writer.close()
