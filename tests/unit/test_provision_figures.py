"""The plan's other figures of kpis.md's revision, worked out by hand: slots by kind, inclusive
fees against the cap in force, guidance this year, population and slots per 1,000 residents."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.support.builders import (
    capacity,
    closed,
    fee_cap,
    filed,
    filing_changed,
    granted,
    guidance,
    population,
    record,
    revoked,
)
from tests.support.builders import in_memory_app as memory_registry
from tuoyu.domain.catalogue import INSTITUTION_KINDS
from tuoyu.projections.facts import SHANGHAI
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import replay_snapshot

RECORDED = datetime(2027, 6, 1, 9, tzinfo=SHANGHAI)
T0 = datetime(2025, 3, 1, 10, 0, tzinfo=SHANGHAI)
DAY = timedelta(days=1)


def at(moment: datetime) -> str:
    return moment.isoformat()


def snapshot_as_of(events: list[dict], as_of: datetime) -> dict:
    with memory_registry(RECORDED) as app:
        record(app, *events)
        return replay_snapshot(read_facts(app.recorder), RECORDED, as_of=as_of)


# ---- slots by kind ------------------------------------------------------------------------------------


def test_slots_by_kind_lists_every_kind_and_the_kindergartens_share_of_all_slots():
    events = [
        filed("KG", kind="kindergarten_class", slots=40, inclusive=True, occurred_at=at(T0)),
        filed("PR", kind="private", slots=60, inclusive=False, occurred_at=at(T0)),
        filed("CM", kind="community", slots=20, inclusive=True, occurred_at=at(T0)),
        filed("SH", kind="kindergarten_class", slots=30, inclusive=True, occurred_at=at(T0)),
        closed("SH", emergency=False, occurred_at=at(T0 + DAY)),
    ]
    dayu = snapshot_as_of(events, T0 + 2 * DAY)["townships"]["dayu"]
    zero = dict.fromkeys(INSTITUTION_KINDS, 0)
    assert dayu["slots_by_kind"] == {**zero, "kindergarten_class": 40, "private": 60, "community": 20}
    assert dayu["inclusive_slots_by_kind"] == {**zero, "kindergarten_class": 40, "community": 20}
    assert dayu["kindergarten_share"] == 0.3333  # 40 / 120


def test_kindergarten_share_is_null_without_slots():
    assert snapshot_as_of([], T0)["district"]["kindergarten_share"] is None


# ---- fees and the cap ---------------------------------------------------------------------------------


def test_the_inclusive_fee_mean_takes_the_last_fee_given_by_a_filing_a_grant_or_a_filing_change():
    events = [
        filed("A", inclusive=True, monthly_fee_yuan=1500, occurred_at=at(T0)),
        filing_changed("A", changes={"monthly_fee_yuan": 1700}, occurred_at=at(T0 + DAY)),
        filed("B", inclusive=False, monthly_fee_yuan=6000, occurred_at=at(T0)),
        granted("B", monthly_fee_yuan=2300, occurred_at=at(T0 + DAY)),
        filed("C", inclusive=True, occurred_at=at(T0)),  # no fee: not in the mean
        filed("D", inclusive=True, monthly_fee_yuan=900, occurred_at=at(T0)),
        revoked("D", occurred_at=at(T0 + DAY)),
    ]  # no longer inclusive
    dayu = snapshot_as_of(events, T0 + 2 * DAY)["townships"]["dayu"]
    assert (dayu["inclusive_fee_mean"], dayu["inclusive_fee_yuan_sum"], dayu["inclusive_fee_yuan_count"]) == (
        2000.0,
        4000,
        2,
    )  # (1700 + 2300) / 2


def test_the_cap_in_force_is_the_latest_start_on_or_before_today_and_on_a_tie_the_later_recorded():
    events = [
        filed("A", inclusive=True, monthly_fee_yuan=1900, occurred_at=at(T0)),
        filed("B", inclusive=True, monthly_fee_yuan=2100, occurred_at=at(T0)),
        filed("C", inclusive=True, monthly_fee_yuan=2500, township="chengzi", occurred_at=at(T0)),
        fee_cap(2000, "2025-01-01", occurred_at=at(T0)),
        fee_cap(1800, "2025-06-01", occurred_at=at(T0)),  # from June
        fee_cap(2200, "2025-06-01", occurred_at=at(T0)),
    ]  # same start, recorded later: in force
    before_june = snapshot_as_of(events, datetime(2025, 5, 31, 23, 59, tzinfo=SHANGHAI))
    assert before_june["district"]["inclusive_fee_cap_yuan"] == 2000
    assert before_june["townships"]["dayu"]["inclusive_over_cap"] == 1  # B's 2100
    assert before_june["townships"]["chengzi"]["inclusive_over_cap"] == 1  # C's 2500
    june = snapshot_as_of(events, datetime(2025, 6, 1, 0, 0, tzinfo=SHANGHAI))
    assert june["district"]["inclusive_fee_cap_yuan"] == 2200
    assert june["townships"]["dayu"]["inclusive_over_cap"] == 0  # 2100 is not above 2200
    assert june["district"]["inclusive_over_cap"] == 1


def test_without_a_cap_in_force_nothing_is_over_it():
    events = [
        filed("A", inclusive=True, monthly_fee_yuan=9000, occurred_at=at(T0)),
        fee_cap(2000, "2025-04-01", occurred_at=at(T0)),
    ]  # not yet in force on 03-02
    figures = snapshot_as_of(events, T0 + DAY)
    assert figures["district"]["inclusive_fee_cap_yuan"] is None
    assert figures["district"]["inclusive_over_cap"] == 0


# ---- guidance this year ------------------------------------------------------------------------------


def test_guidance_this_year_counts_by_format_from_the_first_of_january_district_and_townships():
    events = [
        guidance(30, format="offline", township="dayu", occurred_at="2024-12-31T20:00:00+08:00"),
        guidance(40, format="offline", township="dayu", occurred_at="2025-01-01T09:00:00+08:00"),
        guidance(50, format="online", township="dayu", occurred_at="2025-02-01T09:00:00+08:00"),
        guidance(60, format="offline", occurred_at="2025-02-02T09:00:00+08:00"),
    ]  # no township
    snapshot = snapshot_as_of(events, T0)
    dayu, district = snapshot["townships"]["dayu"], snapshot["district"]
    assert (dayu["guidance_offline_year"], dayu["guidance_online_year"], dayu["guidance_participants_year"]) == (
        1,
        1,
        90,
    )
    assert (
        district["guidance_offline_year"],
        district["guidance_online_year"],
        district["guidance_participants_year"],
    ) == (2, 1, 150)
    assert district["guidance_activities"] == 4  # all time, as before


# ---- population ----------------------------------------------------------------------------------------


def test_the_population_is_the_report_of_the_greatest_year_and_on_a_tie_the_later_recorded():
    events = [
        population("district", 2025, 400_000, under3=9_000, occurred_at=at(T0)),
        population("district", 2024, 390_000, occurred_at=at(T0 + DAY)),  # older year, recorded later
        population("dayu", 2025, 100_000, under3=2_000, occurred_at=at(T0)),
        population("dayu", 2025, 120_000, occurred_at=at(T0 + DAY)),  # a correction: no under3
        filed("A", slots=600, occurred_at=at(T0)),
    ]
    snapshot = snapshot_as_of(events, T0 + 2 * DAY)
    district, dayu = snapshot["district"], snapshot["townships"]["dayu"]
    assert (district["population"], district["under3"], district["slots_per_1000"]) == (400_000, 9_000, 1.5)
    assert (dayu["population"], dayu["under3"], dayu["slots_per_1000"]) == (120_000, None, 5.0)


def test_the_district_population_is_its_own_report_not_the_sum_of_the_townships():
    snapshot = snapshot_as_of(
        [population("dayu", 2025, 100_000, occurred_at=at(T0)), filed("A", slots=50, occurred_at=at(T0))], T0 + DAY
    )
    assert (snapshot["district"]["population"], snapshot["district"]["slots_per_1000"]) == (None, None)
    assert snapshot["townships"]["dayu"]["slots_per_1000"] == 0.5


def test_slots_per_1000_follows_the_slots_of_operating_institutions():
    events = [
        population("dayu", 2025, 8_000, occurred_at=at(T0)),
        filed("A", slots=20, occurred_at=at(T0)),
        capacity("A", 36, occurred_at=at(T0 + DAY)),
    ]
    assert snapshot_as_of(events, T0 + 2 * DAY)["townships"]["dayu"]["slots_per_1000"] == 4.5  # 36 / 8000 × 1000
