"""Importing a JSON Lines file of interchange events: all or nothing, in bounded memory.

The file is read once, page by page, inside ONE write transaction: each page is decided
against the store and against the events before it in the file, and written while no
problem has been found. Every problem is reported; if there was any, the transaction is
rolled back, so a file of a million events is recorded whole or not at all without being
held in memory (what stays in memory is one aggregate per institution or target touched,
and the event_ids of the file, to catch repeats).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson
from eventsourcing.persistence import IntegrityError

from tuoyu.domain.application import Registry
from tuoyu.domain.decisions import Decisions
from tuoyu.domain.limits import MAX_BODY_BYTES, too_deep
from tuoyu.domain.problems import Problem

PAGE = 1000
# A page is also cut when its lines hold this many bytes: lines may be up to MAX_BODY_BYTES each.
PAGE_BYTES = 32 * 1024 * 1024
# What of an over-long line is kept for the rejects file.
KEPT_OF_A_LONG_LINE = 200


@dataclass
class ImportReport:
    recorded: int = 0
    duplicates: int = 0
    rejected: int = 0
    problems: int = 0
    position: int | None = None
    conflict: str | None = None
    lines: int = 0


@dataclass
class _Line:
    number: int
    event: Any = None
    problem: Problem | None = None
    raw: bytes = b""


def read_lines(stream: BinaryIO) -> Iterator[_Line]:
    """Parse each non-blank line; a line that is not JSON, or larger than one request of the
    API may be, becomes a problem, not an exception."""
    for number, (raw, too_long) in enumerate(_bounded_lines(stream), start=1):
        if too_long:
            yield _refused(
                number,
                raw,
                f"the line is longer than {MAX_BODY_BYTES:,} bytes, the most the API "
                "takes in one request; one line holds one event",
            )
            continue
        if not raw.strip():
            continue
        try:
            event = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            what = (
                "is not UTF-8 text"
                if _not_utf8(raw)
                else too_deep("the line")
                if "depth limit" in str(error)
                else f"is not valid JSON ({error})"
            )
            yield _refused(number, raw, what if what.startswith("the line") else f"the line {what}")
            continue
        # Depth is checked with the event (tuoyu.domain.schema): a deep line never passes the schema.
        yield _Line(number, event, raw=raw)


def _refused(number: int, raw: bytes, message: str) -> _Line:
    return _Line(number, problem=Problem(number - 1, None, None, message, number), raw=raw)


def _bounded_lines(stream: BinaryIO, limit: int = MAX_BODY_BYTES) -> Iterator[tuple[bytes, bool]]:
    """Each line, or the start of a line longer than `limit` and True: the rest of such a line
    is read and dropped, so that no line larger than a request of the API is held in memory."""
    while raw := stream.readline(limit + 1):
        if len(raw) <= limit or raw.endswith(b"\n"):
            yield raw, False
            continue
        while (rest := stream.readline(1024 * 1024)) and not rest.endswith(b"\n"):
            pass
        yield raw[:KEPT_OF_A_LONG_LINE], True


def _not_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _pages(lines: Iterable[_Line]) -> Iterator[list[_Line]]:
    page: list[_Line] = []
    size = 0
    for line in lines:
        page.append(line)
        size += len(line.raw)
        if len(page) >= PAGE or size >= PAGE_BYTES:
            yield page
            page, size = [], 0
    if page:
        yield page


def _decide_page(decisions: Decisions, page: list[_Line], on_problem: Callable[[Problem, _Line], None]) -> set[int]:
    """Decide one page; returns the line numbers that produced nothing (problems or repeats)."""
    decisions.prefetch([line.event for line in page if line.problem is None])
    silent: set[int] = set()
    for line in page:
        if line.problem is not None:
            on_problem(line.problem, line)
            silent.add(line.number)
            continue
        before = len(decisions.problems)
        if not decisions.add(line.number - 1, line.event, line.number):
            silent.add(line.number)
        for problem in decisions.problems[before:]:
            on_problem(problem, line)
        del decisions.problems[before:]  # reported already; keep memory flat
    return silent


class _Rejected(Exception):
    """Raised inside the import transaction to roll it back once every problem is reported."""


def import_all_or_nothing(
    app: Registry,
    open_file: Callable[[], BinaryIO],
    recorded_by: str,
    on_problem: Callable[[Problem, _Line], None],
    progress: Callable[[int], None] = lambda n: None,
) -> ImportReport:
    report = ImportReport()

    def count_problem(problem: Problem, line: _Line) -> None:
        report.problems += 1
        on_problem(problem, line)

    decisions = app.new_decisions(recorded_by)

    def batches() -> Iterator[tuple[list[Any], list[tuple[str, str]]]]:
        # Runs inside the write transaction. Decisions read the store through other
        # connections, which see it as it was before the import; the working set of
        # aggregates and claims carries what this import has decided so far.
        with open_file() as stream:
            for page in _pages(read_lines(stream)):
                _decide_page(decisions, page, count_problem)
                events, claims = decisions.take()
                report.lines += len(page)
                progress(len(page))
                if not report.problems:
                    report.recorded += len(events)
                    yield [app.mapper.to_stored_event(e) for e in events], claims
        if report.problems:
            raise _Rejected

    try:
        report.position = app.recorder.insert_in_one_transaction(batches())
    except _Rejected:
        report.recorded = 0
    except IntegrityError as error:
        report.recorded = 0
        report.conflict = (
            f"another writer recorded a conflicting event during the import ({error}); "
            "nothing was recorded: run the import again"
        )
    report.duplicates = decisions.duplicates
    return report


def import_skipping_invalid(
    app: Registry,
    open_file: Callable[[], BinaryIO],
    recorded_by: str,
    on_problem: Callable[[Problem, _Line], None],
    progress: Callable[[int], None] = lambda n: None,
) -> ImportReport:
    """Record every valid event page by page; invalid lines are reported, not recorded."""
    report = ImportReport()
    rejected_lines: set[int] = set()

    def reject(problem: Problem, line: _Line) -> None:
        report.problems += 1
        rejected_lines.add(line.number)
        on_problem(problem, line)

    decisions = app.new_decisions(recorded_by)
    with open_file() as stream:
        for page in _pages(read_lines(stream)):
            _decide_page(decisions, page, reject)
            events, claims = decisions.take()
            if events:
                recordings = app.save(*events, claims=claims)
                report.recorded += len(recordings)
                report.position = recordings[-1].notification.id
            report.lines += len(page)
            progress(len(page))
    report.rejected = len(rejected_lines)
    report.duplicates = decisions.duplicates
    return report
