"""Since when a target has been behind its straight line (the "since" of TargetBehindPace)."""

from __future__ import annotations

from datetime import datetime

from tuoyu.projections.facts import SHANGHAI, day_start
from tuoyu.projections.pace import behind_since

TARGET = {"scope": "district", "kpi": "new_slots", "value": 300, "baseline": 0, "start": "2026-01-01",
          "due": "2026-12-31", "status": "behind"}
NOW = datetime(2026, 6, 30, 12, 0, tzinfo=SHANGHAI)


def test_a_target_whose_figure_never_moved_is_behind_since_its_start():
    assert behind_since(TARGET, [("", 0.0)], NOW) == day_start("2026-01-01")


def test_behind_since_the_line_passed_the_figure_of_the_latest_change():
    # 150 slots from 1 March: the line (300 over the year) passes 150 around 2 July... not yet;
    # 100 from 1 March: it passed 100 at a third of the year, on 1 May (about).
    since = behind_since(TARGET, [("", 0.0), ("2026-03-01", 100.0)], NOW)
    assert since is not None and datetime(2026, 5, 1, tzinfo=SHANGHAI) <= since <= datetime(2026, 5, 3, tzinfo=SHANGHAI)


def test_a_change_that_did_not_catch_up_does_not_reset_the_since():
    # Behind since the start; 20 slots in February were still below the line then.
    since = behind_since(TARGET, [("", 0.0), ("2026-02-15", 20.0)], NOW)
    assert since == day_start("2026-01-01")


def test_only_a_target_behind_has_a_since():
    assert behind_since({**TARGET, "status": "on_track"}, [("", 0.0)], NOW) is None
