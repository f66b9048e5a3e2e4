"""Malformed input through Registry.record (on the in-memory store: the checks come before any store).

Each test submits a valid event followed by a malformed one and checks the problem (index,
field path, message) and that nothing of the batch was stored.
"""

from __future__ import annotations

import pytest

from tests.support.builders import (
    assert_problem,
    enrolled,
    filed,
    guidance,
    in_memory_app,
    inspection,
    record,
    rejected,
    rejected_all,
    stored_event_ids,
    target,
)
from tuoyu.domain.catalogue import EVENT_TYPES, INSTITUTION_KINDS, TOWNSHIP_IDS
from tuoyu.domain.problems import EventsRejected


@pytest.fixture
def app():
    with in_memory_app() as registry:
        yield registry


def without(event: dict, field: str) -> dict:
    return {k: v for k, v in event.items() if k != field}


# ---- not an event at all -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, shown",
    [([], "an array"), (["x"], "an array"), ("ChildrenEnrolled", "a string"), (None, "null"), (7, "an integer")],
    ids=["empty list", "list", "string", "null", "number"],
)
def test_an_event_that_is_not_a_json_object_is_rejected(app, value, shown):
    problem = rejected(app, [guidance(), value])
    assert_problem(problem, index=1, field=None, event_id=None, says=["must be a JSON object", f"got {shown}"])


def test_an_event_without_a_type_is_rejected_with_the_allowed_types(app):
    problem = rejected(app, [guidance(), without(guidance(), "type")])
    assert_problem(problem, index=1, field="type", says=["missing", "allowed", *EVENT_TYPES])


def test_an_event_of_an_unknown_type_is_rejected_with_the_allowed_types(app):
    problem = rejected(app, [guidance(), {**guidance(), "type": "InstitutionOpened"}])
    assert_problem(problem, index=1, field="type", says=["unknown event type 'InstitutionOpened'", *EVENT_TYPES])


# ---- fields --------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["event_id", "occurred_at", "institution_id", "children"])
def test_an_event_missing_a_required_field_is_rejected(app, field):
    record(app, filed("A"))
    problem = rejected(app, [enrolled("A", 1), without(enrolled("A", 1), field)])
    assert_problem(problem, index=1, field=field, says=["is required by ChildrenEnrolled"])


def test_a_missing_nested_field_is_reported_with_its_path(app):
    event = filed("A", location={"lat": 39.9})
    problem = rejected(app, [guidance(), event])
    assert_problem(problem, index=1, field="location.lon", says=["is required"])


@pytest.mark.parametrize(
    "build, field, says",
    [
        (lambda: filed("A", slots="20"), "slots", ["must be an integer", "got a string '20'"]),
        (lambda: filed("A", slots=True), "slots", ["must be an integer", "got a boolean True"]),
        (lambda: filed("A", inclusive="yes"), "inclusive", ["must be true or false", "got a string 'yes'"]),
        (lambda: filed("A", inclusive=1), "inclusive", ["must be true or false", "got an integer 1"]),
        (lambda: enrolled("A", 2.5), "children", ["must be an integer", "got a number 2.5"]),
        (lambda: guidance(participants=False), "participants", ["must be an integer", "got a boolean False"]),
        (lambda: filed("A", name=["托育点"]), "name", ["must be a string", "got an array"]),
        (lambda: filed("A", location={"lat": "39.9", "lon": 116.1}), "location.lat", ["must be a number"]),
    ],
    ids=[
        "slots as string",
        "slots as boolean",
        "inclusive as string",
        "inclusive as number",
        "children as float",
        "participants as boolean",
        "name as list",
        "nested lat as string",
    ],
)
def test_a_field_of_the_wrong_type_is_rejected(app, build, field, says):
    record(app, filed("OK"))
    problem = rejected(app, [enrolled("OK", 1), build()])
    assert_problem(problem, index=1, field=field, says=says)


@pytest.mark.parametrize(
    "build, field, says",
    [
        (lambda: filed("A", slots=-1), "slots", ["-1 is out of range", "at least 0"]),
        (lambda: filed("A", slots=5000), "slots", ["5000 is out of range", "at most 2000"]),
        (lambda: enrolled("OK", 0), "children", ["0 is out of range", "at least 1"]),
        (lambda: filed("A", name=""), "name", ["characters long", "at least 1"]),
        (lambda: filed("A", location={"lat": 91, "lon": 116.1}), "location.lat", ["91 is out of range", "at most 90"]),
    ],
    ids=["negative slots", "slots 5000", "zero children", "empty name", "latitude 91"],
)
def test_a_value_out_of_range_is_rejected(app, build, field, says):
    record(app, filed("OK"))
    problem = rejected(app, [enrolled("OK", 1), build()])
    assert_problem(problem, index=1, field=field, says=says)


def test_an_unknown_township_is_rejected_with_the_allowed_townships(app):
    problem = rejected(app, [guidance(), filed("A", township="beijing")])
    assert_problem(problem, index=1, field="township", says=["'beijing' is not allowed", *TOWNSHIP_IDS])


def test_an_unknown_target_scope_is_rejected_with_the_district_and_townships(app):
    problem = rejected(app, [guidance(), target(scope="haidian")])
    assert_problem(problem, index=1, field="scope", says=["'haidian' is not allowed", "district", *TOWNSHIP_IDS])


def test_an_unknown_institution_kind_is_rejected_with_the_allowed_kinds(app):
    problem = rejected(app, [guidance(), filed("A", kind="nursery")])
    assert_problem(problem, index=1, field="kind", says=["'nursery' is not allowed", *INSTITUTION_KINDS])


def test_an_unknown_inspection_outcome_is_rejected_with_the_allowed_outcomes(app):
    record(app, filed("A"))
    problem = rejected(app, [guidance(), inspection("A", "I-1", outcome="ok")])
    assert_problem(problem, index=1, field="outcome", says=["'ok' is not allowed", "pass", "rectify", "fail"])


def test_a_field_not_in_the_schema_is_rejected_with_the_allowed_fields(app):
    problem = rejected(app, [guidance(), filed("A", colour="blue")])
    assert_problem(
        problem,
        index=1,
        field="colour",
        says=["not a field of InstitutionFiled", "allowed fields", "institution_id", "slots"],
    )


def test_a_nested_field_not_in_the_schema_is_rejected_with_its_path(app):
    problem = rejected(app, [guidance(), filed("A", location={"lat": 39.9, "lon": 116.1, "alt": 100})])
    assert_problem(problem, index=1, field="location.alt", says=["not a field of location", "lat", "lon"])


# ---- times and dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2024-06-01T09:00:00",
        "2024-06-01",
        "yesterday",
        "2024-13-01T09:00:00+08:00",
        "2024-06-01T09:00+08:00",
        "2024-06-01T09:00:00+0800",
    ],
    ids=["no offset", "a date", "not a date", "month 13", "no seconds", "offset without colon"],
)
def test_an_occurred_at_that_is_not_a_date_time_with_offset_is_rejected(app, value):
    problem = rejected(app, [guidance(), guidance(occurred_at=value)])
    assert_problem(problem, index=1, field="occurred_at", says=[repr(value), "not a date-time with a UTC offset"])


def test_an_occurred_at_that_is_not_a_string_is_rejected(app):
    problem = rejected(app, [guidance(), guidance(occurred_at=1717200000)])
    assert_problem(problem, index=1, field="occurred_at", says=["must be a string", "got an integer"])


@pytest.mark.parametrize("value", ["2024-02-30", "2024/07/01", "2024-7-1", "2024-W27-1", "20240701xx"])
def test_a_rectify_by_that_is_not_a_calendar_date_is_rejected(app, value):
    record(app, filed("A"))
    problem = rejected(app, [guidance(), inspection("A", "I-1", rectify_by=value)])
    assert_problem(problem, index=1, field="rectify_by", says=[repr(value), "not a date in the form YYYY-MM-DD"])


@pytest.mark.parametrize("field", ["start", "due"])
def test_a_target_date_that_is_not_a_calendar_date_is_rejected(app, field):
    problem = rejected(app, [guidance(), target(**{field: "2025-02-29"})])
    assert_problem(problem, index=1, field=field, says=["'2025-02-29'", "YYYY-MM-DD"])


def test_an_inspection_to_rectify_without_rectify_by_is_rejected(app):
    record(app, filed("A"))
    problem = rejected(app, [guidance(), without(inspection("A", "I-1", "rectify"), "rectify_by")])
    assert_problem(problem, index=1, field="rectify_by", says=["is required by InspectionRecorded"])


def test_an_inspection_passed_without_rectify_by_is_accepted(app):
    record(app, filed("A"))
    assert record(app, inspection("A", "I-1", "pass")).recorded == 1


# ---- identifiers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["", "-starts-with-dash", "has space", "中文", "x" * 129],
    ids=["empty", "leading dash", "space", "not ascii", "129 characters"],
)
def test_an_event_id_not_matching_the_pattern_is_rejected(app, value):
    problem = rejected(app, [guidance(), guidance(event_id=value)])
    assert_problem(problem, index=1, field="event_id", says=[repr(value), "does not match the allowed pattern"])


def test_an_event_id_that_is_not_a_string_is_rejected(app):
    problem = rejected(app, [guidance(), guidance(event_id=42)])
    assert_problem(problem, index=1, field="event_id", event_id=None, says=["must be a string", "got an integer"])


def test_an_institution_id_not_matching_the_pattern_is_rejected(app):
    problem = rejected(app, [guidance(), filed("A/B")])
    assert_problem(problem, index=1, field="institution_id", says=["'A/B'", "does not match the allowed pattern"])


def test_an_event_for_an_unknown_institution_is_rejected(app):
    record(app, filed("A"))
    problem = rejected(app, [enrolled("A", 1), enrolled("MTG-XX-999", 1)])
    assert_problem(problem, index=1, field="institution_id", says=["MTG-XX-999", "is not filed"])


# ---- reporting -----------------------------------------------------------------------------------


def test_every_problem_of_a_batch_is_reported_not_just_the_first(app):
    record(app, filed("A"))
    batch = [
        enrolled("A", 1),
        "junk",
        {**guidance(), "type": "Nope"},
        without(enrolled("A", 1), "children"),
        filed("B", slots=-5, township="beijing"),
        enrolled("NOPE", 1),
        enrolled("A", 1),
    ]
    problems = rejected_all(app, batch)
    assert [(p.index, p.field) for p in problems] == [
        (1, None),
        (2, "type"),
        (3, "children"),
        (4, "slots"),
        (4, "township"),
        (5, "institution_id"),
    ]
    assert [p.event_id for p in problems] == [None, *(batch[i]["event_id"] for i in (2, 3, 4, 4, 5))]


def test_problems_name_the_line_of_an_import_file(app):
    with pytest.raises(EventsRejected) as caught:
        app.record([guidance(), guidance(participants=-1)], recorded_by="import", lines=[3, 7])
    (problem,) = caught.value.problems
    assert (problem.index, problem.line, problem.field) == (1, 7, "participants")
    assert str(caught.value).startswith("line 7 (event_id ")
    assert stored_event_ids(app) == []


def test_an_integral_float_count_is_accepted_and_stored_as_an_integer(app):
    from tuoyu.views.reading import read_facts

    app.record(
        [
            {
                "event_id": "f1",
                "type": "InstitutionFiled",
                "occurred_at": "2024-01-02T09:00:00+08:00",
                "institution_id": "F1",
                "name": "甲",
                "township": "dayu",
                "kind": "community",
                "slots": 20.0,
                "inclusive": True,
            },
            {
                "event_id": "f2",
                "type": "ChildrenEnrolled",
                "occurred_at": "2024-01-03T09:00:00+08:00",
                "institution_id": "F1",
                "children": 3.0,
            },
        ],
        "t",
    )
    stored = [fact["event"] for fact in read_facts(app.recorder)]
    assert stored[0]["slots"] == 20 and isinstance(stored[0]["slots"], int)
    assert stored[1]["children"] == 3 and isinstance(stored[1]["children"], int)
