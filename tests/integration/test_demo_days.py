"""The demo district on any day: what the wall page and the docs promise of it holds whatever
the day the demo is built for (a weekday, month ends, the turn of the year, a leap day).

The demo's history runs up to `--today`, so which rectifications are overdue, which closure is
recent and where the townships stand move with the day; the expectations here come from a
replay of the same store, never from numbers written down for one day.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from fastapi.testclient import TestClient

from tuoyu import clock
from tuoyu.demo.loading import record_demo
from tuoyu.service.config import Settings
from tuoyu.service.http.app import create_app
from tuoyu.service.wiring import open_platform, open_registry
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import replay_snapshot

DAYS = [
    date(2026, 12, 2),  # a Wednesday
    date(2027, 4, 30),  # a month end
    date(2026, 12, 31),  # the last day of a year
    date(2027, 3, 1),  # the day after February
    date(2028, 2, 29),  # a leap day
]


def below_the_floor(snapshot: dict) -> set[str]:
    floors = {t["scope"]: t["value"] for t in snapshot["targets"] if t["kpi"] == "township_min_slots"}
    return {township for township, figures in snapshot["townships"].items()
            if township in floors and figures["slots_total"] < floors[township]}


@pytest.mark.parametrize("today", DAYS, ids=str)
def test_the_demo_built_for_any_day_shows_what_the_wall_promises(tmp_path, today):
    settings = Settings(data_dir=tmp_path, store=f"sqlite:///{tmp_path / 'tuoyu.db'}")
    with clock.set_to(datetime.combine(today, time(10), clock.SHANGHAI), running=True):
        with open_registry(settings) as registry:
            record_demo(registry, today=today)
            replayed = replay_snapshot(read_facts(registry.recorder), clock.now())
        with open_platform(settings) as platform, TestClient(create_app(platform)) as client:
            wall = client.get("/api/wall").json()
    shown = wall["snapshot"]
    district = shown["district"]
    # One open emergency closure, a few days old, with children still waiting for a place.
    assert district["emergency_closures_open"] == 1
    assert district["children_awaiting_rehoming"] > 0
    # At least one rectification nobody got round to.
    assert district["rectifications_overdue"] >= 1
    # The townships below the floor, exactly as the replay says (and the count the wall shows).
    assert below_the_floor(shown) == below_the_floor(replayed)
    assert district["townships_below_min_slots"] == len(below_the_floor(replayed))
    # Every figure on the wall is the replay's (the same store, the same day).
    assert shown["district"] == replayed["district"]
    assert shown["townships"] == replayed["townships"]
    assert [(t["scope"], t["kpi"], t["status"]) for t in shown["targets"]] == \
        [(t["scope"], t["kpi"], t["status"]) for t in replayed["targets"]]
    # The wall's chart ends on the day before `today`: the history runs up to it.
    assert wall["history"][-1]["date"] < today.isoformat()
