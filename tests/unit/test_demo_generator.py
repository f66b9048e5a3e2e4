"""The seeded demo history of Mentougou: deterministic, valid, accepted by the registry, on the plan."""

from __future__ import annotations

from datetime import date, datetime, time
from itertools import groupby

import pytest

from tuoyu.demo.generator import DemoEvent, generate
from tuoyu.domain.catalogue import TOWNSHIP_IDS
from tuoyu.domain.schema import problems_of
from tuoyu.projections.facts import SHANGHAI
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_registry

TODAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def history() -> list[DemoEvent]:
    return generate(2023, TODAY)


def operating_slots(events: list[DemoEvent], day: date) -> tuple[int, set[str]]:
    """Σ slots of institutions operating at the end of `day` (business time), and townships filed by then."""
    end = datetime.combine(day, time.max, SHANGHAI)
    slots: dict[str, int] = {}
    operating: dict[str, bool] = {}
    townships: set[str] = set()
    for item in events:
        event = item.event
        if datetime.fromisoformat(event["occurred_at"]) > end:
            continue
        institution = event.get("institution_id")
        if event["type"] == "InstitutionFiled":
            slots[institution], operating[institution] = event["slots"], True
            townships.add(event["township"])
        elif event["type"] == "CapacityChanged":
            slots[institution] = event["slots"]
        elif event["type"] == "InstitutionClosed":
            operating[institution] = False
        elif event["type"] == "InstitutionReopened":
            slots[institution] = event.get("slots", slots[institution])
            operating[institution] = True
    return sum(n for institution, n in slots.items() if operating[institution]), townships


def test_the_same_seed_gives_the_same_history_and_another_seed_a_different_one(history):
    assert generate(2023, TODAY) == history
    assert generate(7, TODAY) != history


def test_every_demo_event_is_valid_interchange_format(history):
    assert [(e.event["event_id"], problems_of(e.event)) for e in history if problems_of(e.event)] == []


def test_events_are_in_recorded_order_with_unique_ids_and_none_recorded_before_they_could_be(history):
    assert [e.recorded_at for e in history] == sorted(e.recorded_at for e in history)
    assert len({e.event["event_id"] for e in history}) == len(history)
    start_of_today = datetime.combine(TODAY, time.min, SHANGHAI)
    assert all(e.recorded_at < start_of_today for e in history)
    assert all(datetime.fromisoformat(e.event["occurred_at"]) <= e.recorded_at for e in history)


def test_the_history_has_the_size_of_a_small_district(history):
    assert 2000 <= len(history) <= 6000


def test_the_registry_accepts_every_demo_event_when_recorded_day_by_day(history, tmp_path):
    moment = {"now": history[0].recorded_at}
    app = open_registry(Settings(data_dir=tmp_path, store=f"sqlite:///{tmp_path / 't.db'}"),
                        clock=lambda: moment["now"])
    recorded = 0
    for _, batch in groupby(history, key=lambda e: e.recorded_at.date()):
        batch = list(batch)
        moment["now"] = batch[-1].recorded_at
        recorded += app.record([e.event for e in batch], recorded_by="demo").recorded
    assert recorded == len(history)


def test_about_455_slots_operate_at_the_end_of_2023_and_every_township_has_an_institution(history):
    slots_2023, _ = operating_slots(history, date(2023, 12, 31))
    assert 430 <= slots_2023 <= 480
    _, townships = operating_slots(history, TODAY)
    assert townships == set(TOWNSHIP_IDS)


def test_the_plans_targets_are_recorded_as_issued(history):
    from tuoyu.contracts import plan_targets

    targets = {e.event["event_id"]: e for e in history if e.event["type"] == "TargetSet"}
    for target in plan_targets():
        assert targets[target["event_id"]].event == target
        assert targets[target["event_id"]].recorded_at == datetime.fromisoformat(target["occurred_at"])
