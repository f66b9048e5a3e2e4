"""Every rule of kpis.md "Rules" with its exact message: what a registry officer reads when an
event is refused. The rules' behaviour (what is stored, batches, indexes) is in test_rules.py;
here a change of wording is a deliberate change of what people read."""

from __future__ import annotations

import pytest

from tests.support.builders import (
    NOW,
    capacity,
    closed,
    enrolled,
    filed,
    granted,
    guidance,
    in_memory_app,
    inspection,
    record,
    rectified,
    rehomed,
    reopened,
    revoked,
    staff,
    target,
    training,
    withdrawn,
)
from tuoyu.domain.problems import EventsRejected

WHEN_CLOSED = (
    "ChildrenRehomed, IncidentReported, IncidentResolved, InspectionRecorded, InstitutionReopened, "
    "RectificationCompleted, RiskCreditGraded"
)


def refusal(history: list, event: dict) -> tuple[str | None, str]:
    with in_memory_app() as app:
        for earlier in history:
            record(app, earlier)
        with pytest.raises(EventsRejected) as caught:
            app.record([event], "test")
    (problem,) = caught.value.problems
    return problem.field, problem.message


CASES = {
    "filed twice": (
        [filed("A")],
        filed("A", slots=50),
        "institution_id",
        "InstitutionFiled rejected: institution A is already filed; an institution id can be filed once "
        "(use FilingChanged or CapacityChanged)",
    ),
    "not filed": (
        [],
        enrolled("NOPE", 1),
        "institution_id",
        "ChildrenEnrolled rejected: institution NOPE is not filed; every ChildrenEnrolled needs a filed "
        "institution (record InstitutionFiled first)",
    ),
    "closed": (
        [filed("A"), closed("A")],
        enrolled("A", 1),
        "institution_id",
        f"ChildrenEnrolled rejected: institution A is closed; a closed institution accepts only {WHEN_CLOSED}",
    ),
    "reopened while operating": (
        [filed("A")],
        reopened("A"),
        "type",
        "InstitutionReopened rejected: institution A is operating; only a closed institution can be reopened",
    ),
    "enrolled beyond slots": (
        [filed("A", slots=5), enrolled("A", 4)],
        enrolled("A", 2),
        "children",
        "ChildrenEnrolled rejected: enrolling 2 would make 6 children in 5 slots of A; enrolled may not exceed slots",
    ),
    "withdrawn below zero": (
        [filed("A"), enrolled("A", 1)],
        withdrawn("A", 2),
        "children",
        "ChildrenWithdrawn rejected: withdrawing 2 would leave -1 children in A, which has 1 enrolled",
    ),
    "capacity below enrolled": (
        [filed("A"), enrolled("A", 8)],
        capacity("A", 5),
        "slots",
        "CapacityChanged rejected: 5 slots is below the 8 children enrolled in A; withdraw children first",
    ),
    "certified above caregivers": (
        [filed("A")],
        staff("A", 3, 4),
        "certified_caregivers",
        "StaffReported rejected: 4 certified caregivers exceeds the 3 caregivers reported",
    ),
    "rehomed while operating": (
        [filed("A")],
        rehomed("A", 1),
        "institution_id",
        "ChildrenRehomed rejected: institution A is operating; ChildrenRehomed applies to a closed institution",
    ),
    "rehomed beyond awaiting": (
        [filed("A"), enrolled("A", 3), closed("A")],
        rehomed("A", 4),
        "children",
        "ChildrenRehomed rejected: 4 children exceeds the 3 children of A still awaiting a place",
    ),
    "granted twice": (
        [filed("A", inclusive=True)],
        granted("A"),
        "type",
        "InclusiveStatusGranted rejected: institution A is already inclusive (普惠)",
    ),
    "revoked while not inclusive": (
        [filed("A")],
        revoked("A"),
        "type",
        "InclusiveStatusRevoked rejected: institution A is not inclusive (普惠); there is no status to revoke",
    ),
    "inspection id twice": (
        [filed("A"), inspection("A", "I-1")],
        inspection("A", "I-1"),
        "inspection_id",
        "InspectionRecorded rejected: inspection I-1 is already recorded; an inspection id can be recorded once",
    ),
    "rectification not open": (
        [filed("A"), inspection("A", "I-1", outcome="pass")],
        rectified("A", "I-1"),
        "inspection_id",
        "RectificationCompleted rejected: A has no open rectification for inspection I-1; open: none",
    ),
    "target due before start": (
        [],
        target(start="2025-01-01", due="2024-12-31"),
        "due",
        "TargetSet rejected: due 2024-12-31 is before start 2025-01-01",
    ),
    "district-only kpi for a township": (
        [],
        target(scope="dayu", kpi="township_min_slots", value=20),
        "kpi",
        "TargetSet rejected: township_min_slots applies to the district only; set it with scope 'district', not 'dayu'",
    ),
    "training for an unfiled institution": (
        [],
        training(institution_id="NOPE"),
        "institution_id",
        "TrainingCompleted rejected: institution NOPE is not filed",
    ),
    "training naming another township": (
        [filed("A", township="dayu")],
        training(institution_id="A", township="chengzi"),
        "township",
        "TrainingCompleted rejected: 'chengzi' differs from the township 'dayu' of "
        "institution A; give one or make them agree",
    ),
}


@pytest.mark.parametrize("history, event, field, message", CASES.values(), ids=CASES.keys())
def test_each_rule_refuses_with_its_exact_message(history, event, field, message):
    assert refusal(history, event) == (field, message)


def test_an_event_more_than_a_day_ahead_of_its_recording_is_refused_with_the_recording_time():
    ahead = guidance(occurred_at="2025-01-16T10:00:01+08:00")
    assert refusal([], ahead) == (
        "occurred_at",
        "2025-01-16T10:00:01+08:00 is more than one day after the time of "
        f"recording ({NOW.isoformat(timespec='seconds')}); events may not be "
        "recorded in advance",
    )
