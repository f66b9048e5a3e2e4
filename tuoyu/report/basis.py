"""What a report is made from: a replay of the store as of T known at K, its snapshot, and the
audit chain's checkpoint at the replay's position."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tuoyu.audit.checkpoint import Checkpoint
from tuoyu.audit.store import checkpoint_of, verify_store
from tuoyu.audit.verify import Verdict
from tuoyu.projections.facts import SHANGHAI
from tuoyu.projections.snapshot import View, build_snapshot
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import fold_all


class RecordAltered(Exception):
    """The record up to the report's position fails verification: no report is issued."""

    def __init__(self, verdict: Verdict) -> None:
        finding = verdict.finding
        where = f"position {finding.position}" if finding else "an unknown position"
        super().__init__(f"the record fails verification at {where}; no report issued")
        self.verdict = verdict


@dataclass(frozen=True)
class Basis:
    as_of: datetime
    known_at: datetime | None  # as asked; None: everything recorded when the report was made
    view: View
    snapshot: dict[str, Any]
    checkpoint: Checkpoint | None  # None when nothing was recorded by known_at

    @property
    def position(self) -> int:
        return int(self.snapshot["position"])

    @property
    def today(self) -> str:
        """The as-of day (YYYY-MM-DD, Asia/Shanghai): what is overdue is judged on it."""
        return self.as_of.astimezone(SHANGHAI).date().isoformat()

    @property
    def period_start(self) -> str:
        """The report's period runs from 1 January of the as-of year to the as-of time."""
        return date(self.as_of.astimezone(SHANGHAI).year, 1, 1).isoformat()


def read_basis(
    recorder: Any, as_of: datetime, known_at: datetime | None = None, parallel: Callable[[], Any] | None = None
) -> Basis:
    """Replay the store and verify its chain up to the replay's position (RecordAltered if it
    fails). `parallel` opens the store in worker processes for a large verification (see
    audit.store.verify_store)."""
    view, position = fold_all(read_facts(recorder), as_of, known_at)
    # The snapshot's known_at is only shown when asked for; the position says what was read.
    snapshot = build_snapshot(view, as_of, known_at or as_of, position)
    return Basis(as_of, known_at, view, snapshot, _checkpoint(recorder, position, parallel))


def _checkpoint(recorder: Any, position: int, parallel: Callable[[], Any] | None) -> Checkpoint | None:
    if position == 0:
        return None
    verdict = verify_store(recorder, upto=position, parallel=parallel)
    if not verdict.intact:
        raise RecordAltered(verdict)
    return checkpoint_of(verdict)
