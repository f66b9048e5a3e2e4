"""Knowledge time at commit, on both stores: the recording time is stamped under the write lock,
so it never decreases along positions and "what was known at K" is always a prefix of the log;
`tuoyu verify` checks it; an import and an API writer on one event_id both finish."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import orjson
import psycopg
import pytest

from tests.integration.audit_helpers import Tables, record_history, verdict
from tests.support.builders import CST, enrolled, filed, open_app
from tests.support.stores import POSTGRES_URL, fresh_store
from tuoyu.domain.importing import import_all_or_nothing
from tuoyu.service.config import Settings
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import fold_all

A_DECIDES = datetime(2025, 3, 1, 10, 0, 0, tzinfo=CST)
B_COMMITS = datetime(2025, 3, 1, 10, 0, 5, tzinfo=CST)


def recorded_times(settings: Settings) -> list[tuple[int, datetime]]:
    app = open_app(settings)
    try:
        return [(f["position"], datetime.fromisoformat(f["recorded_at"])) for f in read_facts(app.recorder)]
    finally:
        app.close()


def assert_known_at_is_always_a_prefix(settings: Settings) -> None:
    times = recorded_times(settings)
    assert times == sorted(times, key=lambda pair: pair[0])
    for _, moment in times:
        known = [position for position, recorded in times if recorded <= moment]
        assert known == [position for position, _ in times][: len(known)], f"known at {moment} is not a prefix"


def test_a_writer_that_decided_first_but_commits_second_is_known_from_its_commit(store_settings):
    """A decides at 10:00:00; B records and commits at 10:00:05; A commits after B, its clock
    still saying 10:00:00. A is stamped 10:00:05, not 10:00:00: the view known at 10:00:02
    holds neither (before the fix it held A, which committed after B, and left B out)."""
    a, b = open_app(store_settings, A_DECIDES), open_app(store_settings, B_COMMITS)
    try:
        decided = a.decide([filed("A")], "writer A")  # decided against the store as it was
        b.record([filed("B")], recorded_by="writer B")
        a.save(*decided.domain_events, claims=decided.new_claims)
    finally:
        a.close(), b.close()
    times = recorded_times(store_settings)
    assert [moment for _, moment in times] == [B_COMMITS, B_COMMITS]
    reader = open_app(store_settings)
    try:
        view, position = fold_all(read_facts(reader.recorder), known_at=A_DECIDES + timedelta(seconds=2))
    finally:
        reader.close()
    assert position == 0 and not any(part["institutions"] for part in view.values())
    assert_known_at_is_always_a_prefix(store_settings)


def test_two_writers_with_skewed_clocks_leave_a_log_whose_every_known_at_is_a_prefix(
    store_settings, store_env, monkeypatch, capsys
):
    """Writer A's clock is five seconds behind B's (two hosts, or NTP stepping back); both record
    at once, many times."""
    clocks = {
        "A": lambda: A_DECIDES + timedelta(seconds=time.monotonic() % 1),
        "B": lambda: B_COMMITS + timedelta(seconds=time.monotonic() % 1),
    }
    failures: list[BaseException] = []
    apps = {name: open_app(store_settings) for name in clocks}  # one after the other: tables exist first

    def writer(name: str) -> None:
        app = apps[name]
        app.clock = clocks[name]
        try:
            for n in range(15):
                app.record([filed(f"{name}{n}"), enrolled(f"{name}{n}", 1)], recorded_by=f"writer {name}")
        except BaseException as error:
            failures.append(error)
        finally:
            app.close()

    threads = [threading.Thread(target=writer, args=(name,)) for name in clocks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures
    assert len(recorded_times(store_settings)) == 60
    assert_known_at_is_always_a_prefix(store_settings)
    assert verdict(store_env, monkeypatch, capsys)[0] == 0


def test_verify_reports_a_recording_time_that_goes_back(store_settings, store_env, monkeypatch, capsys):
    """Someone rewrites a recording time to an earlier one and recomputes the links: the chain is
    self-consistent, but knowledge time may not go back."""
    from tuoyu.persistence.chain import GENESIS, canonical_bytes, link

    assert record_history(store_settings) == 8
    tables = Tables(store_settings)
    state = tables.state(5)
    tables.set_state(
        5, state.replace(b'"timestamp":"2025-01-15T10:00:00+08:00"', b'"timestamp":"2025-01-14T10:00:00+08:00"')
    )
    rows = tables.execute(
        f"SELECT {tables.position}, originator_id, originator_version, topic, state FROM {tables.events} ORDER BY 1"
    )
    previous = GENESIS
    for position, originator, version, topic, stored in rows:
        originator = originator.hex if hasattr(originator, "hex") and not isinstance(originator, str) else originator
        stored = bytes(stored)
        recorded = stored.split(b'"timestamp":"')[1].split(b'"')[0].decode()
        previous = link(previous, position, recorded, canonical_bytes(originator, version, topic, stored))
        tables.execute(
            "UPDATE tuoyu_chain SET recorded_at = ?, link = ? WHERE position = ?", (recorded, previous, position)
        )
    code, result = verdict(store_env, monkeypatch, capsys)
    assert (code, result["finding"]["kind"], result["finding"]["position"]) == (1, "modified", 5)
    assert "never go back" in result["finding"]["detail"]


# ---- PostgreSQL: the table lock before the claims ------------------------------------------


def _waiting_for_a_lock(schema: str) -> bool:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        return (
            conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
                "datname = current_database() AND query ILIKE %s",
                (f"%{schema}%",),
            ).fetchone()[0]
            > 0
        )


@pytest.fixture
def postgres_settings(tmp_path):
    """A fresh PostgreSQL store: the lock order under test is PostgreSQL's (SQLite's IMMEDIATE
    transaction takes its one lock first, so it has no such order to get wrong)."""
    with fresh_store("postgres", tmp_path) as settings:
        yield settings


@pytest.mark.postgres
def test_an_import_and_an_api_writer_on_one_event_id_both_finish(postgres_settings):
    """The import has inserted its first page and holds the table lock; the API writer submits
    the event_id the import's second page holds. Had the writer inserted its claim before
    waiting for the lock, the import would then wait on that claim: a deadlock, one of them
    aborted with an error nobody retries. Now the writer waits for the lock first, then finds
    the event recorded and answers it as a repeat."""
    store_settings = postgres_settings
    schema = store_settings.store.split("schema=")[1]
    shared = filed("SHARED")
    first_page = b"".join(orjson.dumps(filed(f"I{n}")) + b"\n" for n in range(1000))
    second_page = orjson.dumps(shared) + b"\n"
    importer, writer = open_app(store_settings), open_app(store_settings)
    writer_started, outcomes, failures = threading.Event(), {}, []

    class Pages:
        """The file, read page by page: after the first, the API writer comes in."""

        def __init__(self) -> None:
            self.lines = iter([*first_page.splitlines(keepends=True), second_page])

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def readline(self, limit: int = -1) -> bytes:
            """The import reads the file line by line (bounded; these lines are short)."""
            self.number = getattr(self, "number", 0) + 1
            if self.number == 1001:  # the first page is inserted (lock held): the writer now
                writer_started.set()
                deadline = time.monotonic() + 10
                while not _waiting_for_a_lock(schema) and time.monotonic() < deadline:
                    time.sleep(0.05)
            return next(self.lines, b"")

    def api_writer() -> None:
        writer_started.wait(30)
        try:
            outcomes["writer"] = writer.record([shared], recorded_by="api")
        except BaseException as error:
            failures.append(error)

    thread = threading.Thread(target=api_writer)
    thread.start()
    try:
        report = import_all_or_nothing(importer, Pages, "import", lambda problem, line: failures.append(problem))
        thread.join(60)
    finally:
        importer.close(), writer.close()
    assert not failures, failures
    assert report.recorded == 1001 and report.conflict is None
    assert (outcomes["writer"].recorded, outcomes["writer"].duplicates) == (0, 1)  # the import's, a repeat
