"""The fold and the snapshot, without a store: small facts built by hand."""

from datetime import datetime

from tuoyu.projections.facts import SHANGHAI, business_date
from tuoyu.projections.fold import apply, new_part
from tuoyu.projections.snapshot import build_snapshot, new_view

AT = datetime(2024, 6, 30, 12, 0, tzinfo=SHANGHAI)


def fact(position, event, **context):
    base = {"township": "dayu", "kind": "community", "slots": 30, "inclusive": True, "enrolled": 0, "operating": True}
    return {
        "position": position,
        "recorded_at": "2024-06-01T00:00:00+00:00",
        "recorded_by": "t",
        "event": {"occurred_at": "2024-05-01T09:00:00+08:00", "institution_id": "A", **event},
        "context": {**base, **context},
    }


FILED = {
    "type": "InstitutionFiled",
    "name": "甲",
    "township": "dayu",
    "kind": "community",
    "slots": 30,
    "inclusive": True,
}


def test_a_fact_at_or_below_the_part_position_is_not_applied_twice():
    part = new_part()
    enrolled = fact(2, {"type": "ChildrenEnrolled", "children": 5}, enrolled=5)
    for f in (fact(1, FILED), enrolled, enrolled):
        apply(part, f)
    assert part["institutions"]["A"]["enrolled"] == 5
    assert part["position"] == 2


def test_an_event_whose_filing_is_not_in_the_view_takes_the_institution_from_its_context():
    part = new_part()
    apply(part, fact(7, {"type": "ChildrenEnrolled", "children": 4}, enrolled=4, slots=25))
    assert part["institutions"]["A"]["slots"] == 25
    assert part["institutions"]["A"]["enrolled"] == 4


def test_closing_moves_enrolled_children_to_awaiting_and_rehoming_reduces_them():
    view = new_view()
    for f in (
        fact(1, FILED),
        fact(2, {"type": "ChildrenEnrolled", "children": 12}, enrolled=12),
        fact(3, {"type": "InstitutionClosed", "emergency": True}, operating=False),
        fact(4, {"type": "ChildrenRehomed", "children": 5}, operating=False),
    ):
        apply(view["dayu"], f)
    dayu = build_snapshot(view, AT, AT)["townships"]["dayu"]
    assert (
        dayu["slots_total"],
        dayu["enrolled"],
        dayu["emergency_closures_open"],
        dayu["children_awaiting_rehoming"],
    ) == (0, 0, 1, 7)


def test_the_business_date_is_the_shanghai_calendar_day():
    assert business_date("2024-01-31T23:30:00+08:00") == "2024-01-31"
    assert business_date("2024-01-31T16:30:00+00:00") == "2024-02-01"
    assert business_date("2024-01-31T16:30:00Z") == "2024-02-01"
