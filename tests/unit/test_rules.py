"""Every rule of kpis.md "Rules", decided by the registry on the in-memory store.

Each rejection test records a valid history, then submits a batch of a valid event followed
by the offending one, and checks the error (field, index, what the message names) and that
nothing of the batch was stored: rules are all or nothing. What only a real store shows
(concurrent writers, claims across processes) is in tests/integration/test_rules_on_stores.py.
"""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from tests.support.builders import (
    NOW,
    assert_problem,
    capacity,
    closed,
    enrolled,
    filed,
    filing_changed,
    graded,
    granted,
    guidance,
    in_memory_app,
    incident,
    inspection,
    institution,
    record,
    rectified,
    rehomed,
    rejected,
    rejected_all,
    reopened,
    resolved,
    revoked,
    staff,
    stored_event_ids,
    target,
    training,
    withdrawn,
)
from tuoyu.domain.catalogue import ACCEPTED_WHEN_CLOSED
from tuoyu.domain.problems import ConflictingEvent, EventsRejected

ALLOWED_WHEN_CLOSED = sorted(ACCEPTED_WHEN_CLOSED)


@pytest.fixture
def app():
    with in_memory_app() as registry:
        yield registry


# ---- an institution id is filed once; other institution events need a filed institution --------


def test_filing_an_institution_id_twice_is_rejected_and_records_nothing(app):
    record(app, filed("A"))
    again = filed("A", slots=50)
    problem = rejected(app, [guidance(), again])
    assert_problem(
        problem,
        index=1,
        field="institution_id",
        event_id=again["event_id"],
        says=["InstitutionFiled", "A", "already filed", "filed once"],
    )
    assert institution(app, "A").slots == 20


def test_filing_the_same_institution_id_twice_in_one_batch_is_rejected(app):
    problem = rejected(app, [filed("A"), filed("A")])
    assert_problem(problem, index=1, field="institution_id", says=["A", "already filed"])


@pytest.mark.parametrize(
    "build",
    [
        lambda: enrolled("NOPE", 1),
        lambda: withdrawn("NOPE", 1),
        lambda: capacity("NOPE", 10),
        lambda: closed("NOPE"),
        lambda: reopened("NOPE"),
        lambda: rehomed("NOPE", 1),
        lambda: staff("NOPE", 2, 1),
        lambda: inspection("NOPE", "I-1"),
        lambda: rectified("NOPE", "I-1"),
        lambda: graded("NOPE"),
        lambda: granted("NOPE"),
        lambda: revoked("NOPE"),
        lambda: filing_changed("NOPE"),
    ],
    ids=lambda build: build()["type"],
)
def test_an_institution_event_for_an_unfiled_institution_is_rejected(app, build):
    record(app, filed("A"))
    event = build()
    problem = rejected(app, [enrolled("A", 1), event])
    assert_problem(
        problem,
        index=1,
        field="institution_id",
        says=[event["type"], "NOPE", "is not filed", "needs a filed institution"],
    )
    assert institution(app, "A").enrolled == 0


def test_an_institution_filed_earlier_in_the_same_batch_accepts_events(app):
    outcome = record(app, filed("A", slots=10), enrolled("A", 4), staff("A", 2, 1))
    assert outcome.recorded == 3
    assert institution(app, "A").enrolled == 4


# ---- a closed institution accepts only seven types -------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: enrolled("A", 1),
        lambda: withdrawn("A", 1),
        lambda: capacity("A", 30),
        lambda: staff("A", 3, 2),
        lambda: filing_changed("A"),
        lambda: granted("A"),
        lambda: revoked("A"),
    ],
    ids=lambda build: build()["type"],
)
def test_a_closed_institution_rejects_every_type_but_the_allowed_seven(app, build):
    record(app, filed("A", inclusive=False), enrolled("A", 5), closed("A"))
    event = build()
    problem = rejected(app, [graded("A"), event])
    assert_problem(
        problem,
        index=1,
        field="institution_id",
        says=[event["type"], "A", "is closed", "accepts only", *ALLOWED_WHEN_CLOSED],
    )


def test_closing_a_closed_institution_is_rejected(app):
    record(app, filed("A"), closed("A", emergency=False))
    problem = rejected(app, [graded("A"), closed("A")])
    assert_problem(
        problem, index=1, field="institution_id", says=["InstitutionClosed", "A", "is closed", "accepts only"]
    )
    assert institution(app, "A").emergency is False


@pytest.mark.parametrize(
    "build",
    [
        lambda: reopened("A"),
        lambda: rehomed("A", 2),
        lambda: inspection("A", "I-2", "pass"),
        lambda: rectified("A", "I-1"),
        lambda: graded("A"),
        lambda: incident("A", "INC-2"),
        lambda: resolved("A", "INC-1"),
    ],
    ids=lambda build: build()["type"],
)
def test_a_closed_institution_accepts_each_of_its_seven_allowed_types(app, build):
    record(app, filed("A"), enrolled("A", 5), inspection("A", "I-1", "rectify"), incident("A", "INC-1"), closed("A"))
    assert set(ALLOWED_WHEN_CLOSED) == {
        "InstitutionReopened",
        "ChildrenRehomed",
        "InspectionRecorded",
        "RectificationCompleted",
        "RiskCreditGraded",
        "IncidentReported",
        "IncidentResolved",
    }
    event = build()
    outcome = record(app, event)
    assert outcome.recorded == 1
    assert stored_event_ids(app)[-1] == event["event_id"]


def test_reopening_an_operating_institution_is_rejected(app):
    record(app, filed("A"))
    problem = rejected(app, [enrolled("A", 2), reopened("A", slots=40)])
    assert_problem(
        problem, index=1, field="type", says=["InstitutionReopened", "A", "is operating", "only a closed institution"]
    )
    assert (institution(app, "A").slots, institution(app, "A").enrolled) == (20, 0)


def test_reopening_without_slots_restores_the_slots_before_closing(app):
    record(app, filed("A", slots=20), enrolled("A", 8), closed("A"), reopened("A"))
    reopened_a = institution(app, "A")
    assert (reopened_a.operating, reopened_a.slots, reopened_a.enrolled, reopened_a.awaiting) == (True, 20, 0, 0)


def test_reopening_with_slots_sets_the_new_slots(app):
    record(app, filed("A", slots=20), closed("A"), reopened("A", slots=35), enrolled("A", 35))
    reopened_a = institution(app, "A")
    assert (reopened_a.operating, reopened_a.slots, reopened_a.enrolled) == (True, 35, 35)


# ---- enrolled stays within 0 and slots ---------------------------------------------------------


def test_enrolling_beyond_slots_is_rejected_and_records_nothing(app):
    record(app, filed("A", slots=10), enrolled("A", 8))
    problem = rejected(app, [enrolled("A", 2), enrolled("A", 1)])  # 8 + 2 is fine, + 1 is not
    assert_problem(
        problem,
        index=1,
        field="children",
        says=["ChildrenEnrolled", "A", "11 children in 10 slots", "may not exceed slots"],
    )
    assert institution(app, "A").enrolled == 8


def test_enrolling_up_to_exactly_the_slots_is_accepted(app):
    record(app, filed("A", slots=10), enrolled("A", 8), enrolled("A", 2))
    assert institution(app, "A").enrolled == 10


def test_withdrawing_below_zero_is_rejected_and_records_nothing(app):
    record(app, filed("A", slots=10), enrolled("A", 3))
    problem = rejected(app, [withdrawn("A", 2), withdrawn("A", 2)])
    assert_problem(
        problem, index=1, field="children", says=["ChildrenWithdrawn", "A", "withdrawing 2", "has 1 enrolled"]
    )
    assert institution(app, "A").enrolled == 3


def test_reducing_slots_below_the_enrolled_count_is_rejected(app):
    record(app, filed("A", slots=20), enrolled("A", 12))
    problem = rejected(app, [enrolled("A", 1), capacity("A", 12)])
    assert_problem(problem, index=1, field="slots", says=["CapacityChanged", "A", "12 slots", "below the 13 children"])
    assert (institution(app, "A").slots, institution(app, "A").enrolled) == (20, 12)


def test_reducing_slots_to_exactly_the_enrolled_count_is_accepted(app):
    record(app, filed("A", slots=20), enrolled("A", 12), capacity("A", 12))
    assert institution(app, "A").slots == 12


# ---- certified caregivers may not exceed caregivers ---------------------------------------------


def test_reporting_more_certified_caregivers_than_caregivers_is_rejected(app):
    record(app, filed("A"))
    problem = rejected(app, [staff("A", 5, 5), staff("A", 4, 5)])
    assert_problem(
        problem,
        index=1,
        field="certified_caregivers",
        says=["StaffReported", "5 certified caregivers", "exceeds the 4 caregivers"],
    )


# ---- ChildrenRehomed ---------------------------------------------------------------------------


def test_rehoming_children_of_an_operating_institution_is_rejected(app):
    record(app, filed("A"), enrolled("A", 5))
    problem = rejected(app, [enrolled("A", 1), rehomed("A", 1)])
    assert_problem(
        problem, index=1, field="institution_id", says=["ChildrenRehomed", "A", "is operating", "closed institution"]
    )


def test_rehoming_more_children_than_are_awaiting_a_place_is_rejected(app):
    record(app, filed("A"), enrolled("A", 6), closed("A"))
    problem = rejected(app, [rehomed("A", 2), rehomed("A", 5)])  # 6 awaiting, then 4
    assert_problem(
        problem,
        index=1,
        field="children",
        says=["ChildrenRehomed", "5 children exceeds the 4 children", "A", "awaiting"],
    )
    assert institution(app, "A").awaiting == 6


def test_children_affected_at_closure_bounds_the_rehoming(app):
    record(app, filed("A"), enrolled("A", 6), closed("A", children_affected=3))
    problem = rejected(app, [graded("A"), rehomed("A", 4)])
    assert_problem(problem, index=1, field="children", says=["exceeds the 3 children"])


def test_rehoming_exactly_the_awaiting_children_is_accepted_and_changes_no_enrollment(app):
    record(app, filed("A"), filed("B", slots=30), enrolled("A", 6), enrolled("B", 10), closed("A"))
    record(app, rehomed("A", 2, to_institution_id="B"), rehomed("A", 4, to_institution_id="B"))
    assert (institution(app, "A").awaiting, institution(app, "A").enrolled) == (0, 0)
    assert institution(app, "B").enrolled == 10
    problem = rejected(app, [graded("A"), rehomed("A", 1)])
    assert_problem(problem, index=1, field="children", says=["exceeds the 0 children"])


# ---- inclusive status --------------------------------------------------------------------------


def test_granting_inclusive_status_to_an_inclusive_institution_is_rejected(app):
    record(app, filed("A", inclusive=True))
    problem = rejected(app, [enrolled("A", 1), granted("A", monthly_fee_yuan=900)])
    assert_problem(problem, index=1, field="type", says=["InclusiveStatusGranted", "A", "already inclusive"])


def test_revoking_inclusive_status_from_a_non_inclusive_institution_is_rejected(app):
    record(app, filed("A", inclusive=True))
    problem = rejected(app, [revoked("A"), revoked("A")])  # the first makes it non-inclusive
    assert_problem(
        problem, index=1, field="type", says=["InclusiveStatusRevoked", "A", "not inclusive", "no status to revoke"]
    )
    assert institution(app, "A").inclusive is True


def test_granting_then_revoking_inclusive_status_is_accepted(app):
    record(app, filed("A"), granted("A"), revoked("A"), granted("A"))
    assert institution(app, "A").inclusive is True


# ---- inspections and rectifications ------------------------------------------------------------


def test_recording_an_inspection_id_twice_is_rejected(app):
    record(app, filed("A"), inspection("A", "I-1", "pass"))
    problem = rejected(app, [graded("A"), inspection("A", "I-1", "fail")])
    assert_problem(
        problem, index=1, field="inspection_id", says=["InspectionRecorded", "I-1", "already recorded", "recorded once"]
    )


def test_recording_an_inspection_id_twice_across_two_institutions_is_rejected(app):
    record(app, filed("A"), filed("B"), inspection("A", "I-1", "rectify"))
    problem = rejected(app, [graded("B"), inspection("B", "I-1", "rectify")])
    assert_problem(problem, index=1, field="inspection_id", says=["I-1", "already recorded"])
    assert institution(app, "B").open_rectifications == {}


def test_recording_an_inspection_id_twice_in_one_batch_is_rejected(app):
    record(app, filed("A"), filed("B"))
    problem = rejected(app, [inspection("A", "I-1"), inspection("B", "I-1")])
    assert_problem(problem, index=1, field="inspection_id", says=["I-1", "already recorded"])


def test_completing_a_rectification_of_an_unknown_inspection_is_rejected(app):
    record(app, filed("A"), inspection("A", "I-1", "rectify"))
    problem = rejected(app, [graded("A"), rectified("A", "I-9")])
    assert_problem(
        problem,
        index=1,
        field="inspection_id",
        says=["RectificationCompleted", "A", "no open rectification", "I-9", "open: I-1"],
    )


def test_completing_a_rectification_of_a_passed_inspection_is_rejected(app):
    record(app, filed("A"), inspection("A", "I-2", "pass"))
    problem = rejected(app, [graded("A"), rectified("A", "I-2")])
    assert_problem(problem, index=1, field="inspection_id", says=["no open rectification", "I-2", "open: none"])


def test_completing_a_rectification_twice_is_rejected(app):
    record(app, filed("A"), inspection("A", "I-1", "rectify"), rectified("A", "I-1"))
    problem = rejected(app, [graded("A"), rectified("A", "I-1")])
    assert_problem(problem, index=1, field="inspection_id", says=["no open rectification", "I-1"])


def test_completing_a_rectification_at_another_institution_is_rejected(app):
    record(app, filed("A"), filed("B"), inspection("A", "I-1", "rectify"))
    problem = rejected(app, [graded("B"), rectified("B", "I-1")])
    assert_problem(problem, index=1, field="inspection_id", says=["B", "no open rectification", "I-1"])
    assert institution(app, "A").open_rectifications == {"I-1": "2024-07-01"}


def test_completing_an_open_rectification_is_accepted(app):
    record(app, filed("A"), inspection("A", "I-1", "rectify"), rectified("A", "I-1"))
    assert institution(app, "A").open_rectifications == {}


# ---- targets -----------------------------------------------------------------------------------


def test_a_target_due_before_its_start_is_rejected(app):
    problem = rejected(app, [target(kpi="new_slots"), target(start="2024-06-01", due="2024-05-31")])
    assert_problem(problem, index=1, field="due", says=["TargetSet", "2024-05-31", "before start 2024-06-01"])


def test_replacing_a_target_with_one_due_before_its_start_is_rejected(app):
    record(app, target(value=900))
    problem = rejected(app, [target(value=950), target(value=1000, start="2025-01-01", due="2024-12-31")])
    assert_problem(problem, index=1, field="due", says=["TargetSet", "before start"])


def test_a_target_due_on_its_start_day_is_accepted(app):
    assert record(app, target(start="2024-06-01", due="2024-06-01")).recorded == 1


@pytest.mark.parametrize("kpi", ["inclusive_coverage", "township_min_slots"])
def test_a_township_target_for_a_district_only_kpi_is_rejected(app, kpi):
    problem = rejected(app, [target(kpi=kpi, value=0.5), target(scope="dayu", kpi=kpi, value=1)])
    assert_problem(problem, index=1, field="kpi", says=["TargetSet", kpi, "district only", "dayu"])


def test_township_targets_for_other_kpis_are_accepted(app):
    assert (
        record(
            app, target(scope="dayu", kpi="slots_total"), target(scope="dayu", kpi="inclusive_share", value=0.6)
        ).recorded
        == 2
    )


# ---- occurred_at may not be more than one day after recording ------------------------------------


def test_an_event_occurring_more_than_a_day_after_recording_is_rejected(app):
    ahead = (NOW + timedelta(days=1, seconds=1)).isoformat()
    problem = rejected(app, [guidance(), guidance(occurred_at=ahead)])
    assert_problem(
        problem, index=1, field="occurred_at", says=[ahead, "more than one day after", NOW.isoformat(), "in advance"]
    )


def test_the_one_day_limit_holds_in_any_utc_offset(app):
    ahead_in_utc = (NOW + timedelta(days=1, seconds=1)).astimezone(UTC).isoformat()
    problem = rejected(app, [guidance(), guidance(occurred_at=ahead_in_utc)])
    assert_problem(problem, index=1, field="occurred_at", says=["more than one day after"])


def test_an_event_occurring_exactly_one_day_after_recording_is_accepted(app):
    assert record(app, guidance(occurred_at=(NOW + timedelta(days=1)).isoformat())).recorded == 1


def test_an_event_rejected_as_early_is_accepted_once_the_clock_has_caught_up(app):
    event = guidance(occurred_at=(NOW + timedelta(days=2)).isoformat())
    rejected(app, [event])
    app.clock = lambda: NOW + timedelta(days=1)
    assert record(app, event).recorded == 1


# ---- event_id is the idempotency key -------------------------------------------------------------


def test_resubmitting_events_with_the_same_content_changes_nothing(app):
    history = [filed("A", slots=10), enrolled("A", 10)]
    record(app, *history)
    position = app.position()
    outcome = record(app, *history)  # enrolling 10 again would exceed the slots: it is not re-decided
    assert (outcome.recorded, outcome.duplicates) == (0, 2)
    assert app.position() == position
    assert institution(app, "A").enrolled == 10


def test_a_duplicate_beside_new_events_is_skipped_and_the_new_ones_recorded(app):
    first = filed("A")
    record(app, first)
    outcome = record(app, dict(reversed(list(first.items()))), enrolled("A", 3))  # key order is no difference
    assert (outcome.recorded, outcome.duplicates) == (1, 1)
    assert len(stored_event_ids(app)) == 2


def test_reusing_an_event_id_with_different_content_is_rejected_as_a_conflict(app):
    first = enrolled("A", 3)
    record(app, filed("A"), first)
    changed = {**first, "children": 4}
    problem = rejected(app, [enrolled("A", 1), changed], ConflictingEvent)
    assert_problem(
        problem, index=1, field="event_id", event_id=first["event_id"], says=[first["event_id"], "different content"]
    )
    assert problem.conflict
    assert institution(app, "A").enrolled == 3


def test_reusing_an_event_id_with_different_content_in_one_batch_is_a_conflict(app):
    first = guidance(participants=10)
    problem = rejected(app, [first, {**first, "participants": 11}], ConflictingEvent)
    assert_problem(problem, index=1, field="event_id", says=["different content"])


def test_a_conflict_beside_a_rule_violation_is_reported_with_it(app):
    first = guidance()
    record(app, filed("A", slots=1), first)
    problems = rejected_all(app, [{**first, "participants": 99}, enrolled("A", 2)], EventsRejected)
    assert [(p.index, p.field, p.conflict) for p in problems] == [(0, "event_id", True), (1, "children", False)]


# ---- TrainingCompleted's institution and township --------------------------------------------------


def test_training_naming_an_unfiled_institution_is_rejected(app):
    problem = rejected(app, [training(township="dayu"), training(institution_id="NOPE")])
    assert_problem(problem, index=1, field="institution_id", says=["TrainingCompleted", "NOPE", "not filed"])


def test_training_naming_a_township_other_than_its_institutions_is_rejected(app):
    record(app, filed("A", township="dayu"))
    problem = rejected(app, [training(institution_id="A"), training(institution_id="A", township="yongding")])
    assert_problem(problem, index=1, field="township", says=["TrainingCompleted", "yongding", "dayu", "A"])


def test_training_naming_its_institutions_own_township_is_accepted(app):
    record(app, filed("A", township="dayu"))
    assert record(app, training(institution_id="A", township="dayu"), training(institution_id="A")).recorded == 2


# ---- concurrent writers ----------------------------------------------------------------------------
