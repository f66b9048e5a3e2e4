"""One canonical form at the boundary (issue 12, item 1): what the schema check accepts is
stored in the form every reader parses, and what a store accepted before is read in that form."""

from __future__ import annotations

from datetime import datetime

import orjson
import pytest

from tuoyu.domain.schema import normalised, problems_of
from tuoyu.projections.facts import business_date, day_end, fact_from_stored

AT = "2024-06-01T09:00:00+08:00"
TRAINING = {"event_id": "t-1", "type": "TrainingCompleted", "occurred_at": AT, "course": "caregiver", "people": 3}
FILED = {
    "event_id": "f-1",
    "type": "InstitutionFiled",
    "occurred_at": AT,
    "institution_id": "MTG-0001",
    "name": "大峪托育点",
    "township": "dayu",
    "kind": "community",
    "slots": 20,
    "inclusive": False,
}
TARGET = {
    "event_id": "s-1",
    "type": "TargetSet",
    "occurred_at": AT,
    "scope": "district",
    "kpi": "slots_total",
    "value": 100,
    "start": "2024-01-01",
    "due": "2025-12-31",
}


def fields_of(problems) -> list:
    return [field for field, _ in problems]


@pytest.mark.parametrize("written", ["2024-06-01t09:00:00z", "2024-06-01T09:00:00z", "2024-06-01t09:00:00+08:00"])
def test_a_lower_case_t_or_z_is_accepted_and_stored_upper_case(written):
    event = {**TRAINING, "occurred_at": written}
    assert problems_of(event) == []
    stored = normalised(event)["occurred_at"]
    assert stored == written.upper()
    datetime.fromisoformat(stored)  # what every reader does with it


@pytest.mark.parametrize(
    "written",
    [
        "0001-01-01T00:00:00+09:00",  # year 0 in UTC: Python cannot hold it
        "1900-01-01T00:00:00+09:00",  # 1899 in UTC
        "1899-12-31T20:00:00-08:00",  # 1900 in UTC and Shanghai, but 1899 as written
        "2999-12-31T20:00:00-08:00",  # 3000 in UTC
        "9999-12-31T23:59:59-14:00",
    ],
)
def test_a_time_outside_the_years_1900_to_2999_as_written_in_utc_or_in_shanghai_is_refused(written):
    problems = problems_of({**TRAINING, "occurred_at": written})
    assert fields_of(problems) == ["occurred_at"]
    assert "1900 to 2999" in problems[0][1]


@pytest.mark.parametrize("field, value", [("due", "9999-12-31"), ("start", "0001-01-01"), ("due", "3000-01-01")])
def test_a_date_outside_the_years_1900_to_2999_is_refused(field, value):
    problems = problems_of({**TARGET, field: value})
    assert fields_of(problems) == [field]
    assert "out of range" in problems[0][1]


def test_the_first_and_last_days_of_the_range_are_accepted():
    assert problems_of({**TARGET, "start": "1900-01-01", "due": "2999-12-31"}) == []
    assert problems_of({**TRAINING, "occurred_at": "1900-01-01T08:00:00+08:00"}) == []


@pytest.mark.parametrize(
    "event, field",
    [
        ({**FILED, "event_id": "f-1\n"}, "event_id"),
        ({**FILED, "institution_id": "MTG-0001\n"}, "institution_id"),
        ({**FILED, "credit_code": "91110109MA01ABCD1X\n"}, "credit_code"),
        (
            {
                "event_id": "r-1",
                "type": "RectificationCompleted",
                "occurred_at": AT,
                "institution_id": "A",
                "inspection_id": "I-1\n",
            },
            "inspection_id",
        ),
    ],
)
def test_an_id_ending_in_a_newline_does_not_match_its_pattern(event, field):
    # Python's `$` matches before a final newline; JSON Schema's (ECMA-262's) does not.
    problems = problems_of(event)
    assert fields_of(problems) == [field]
    assert "does not match the allowed pattern ^" in problems[0][1] and "$" in problems[0][1]


@pytest.mark.parametrize(
    "character",
    [
        "\u202e",  # RIGHT-TO-LEFT OVERRIDE: "abc" shows as "cba"
        "\u202a",
        "\u2066",
        "\u2069",
        "\u200e",
        "\u200f",
        "\u061c",  # other bidirectional controls
        "\x00",
        "\x1b",
        "\x7f",
        "\u0085",
        "\n",
        "\r",
        "\t",  # control characters
        "\u2028",
        "\u2029",
        "\ufeff",
        "\u200b",  # line and paragraph separators, invisible format characters
    ],
)
def test_a_name_with_a_control_or_bidirectional_character_is_refused(character):
    problems = problems_of({**FILED, "name": f"大峪{character}托育点"})
    assert fields_of(problems) == ["name"]
    assert f"U+{ord(character):04X}" in problems[0][1] and "at character 3" in problems[0][1]


def test_every_text_field_is_checked_nested_ones_too():
    event = {
        "event_id": "i-1",
        "type": "InspectionRecorded",
        "occurred_at": AT,
        "institution_id": "A",
        "inspection_id": "I-1",
        "kind": "routine",
        "outcome": "pass",
        "source": "x\u202e",
        "findings": [{"severity": "low", "text": "ok"}, {"severity": "low", "text": "a\u2067b", "code": "c\x01"}],
    }
    assert fields_of(problems_of(event)) == ["findings.1.code", "findings.1.text", "source"]
    changed = {
        "event_id": "c-1",
        "type": "FilingChanged",
        "occurred_at": AT,
        "institution_id": "A",
        "changes": {"name": "x\u202ey"},
    }
    assert fields_of(problems_of(changed)) == ["changes.name"]


def test_free_text_may_hold_line_breaks_and_tabs_and_names_may_hold_ideographic_spaces_and_joiners():
    assert problems_of({**FILED, "note": "第一行\n第二行\t完", "name": "大峪\u3000托育点 👨\u200d👩\u200d👧"}) == []
    assert (
        problems_of(
            {
                "event_id": "x-1",
                "type": "InstitutionClosed",
                "occurred_at": AT,
                "institution_id": "A",
                "emergency": True,
                "reason": "漏水\n停电",
            }
        )
        == []
    )


def test_an_event_nested_a_thousand_levels_deep_is_refused_without_a_recursion_error():
    deep: list = []
    for _ in range(1000):
        deep = [deep]
    for event in ({**TRAINING, "note": deep}, {**TRAINING, "type": deep}, {**TRAINING, "unknown": deep}):
        problems = problems_of(event)
        assert problems and all(len(message) < 1000 for _, message in problems), problems


def test_a_huge_value_is_quoted_short_in_messages():
    problems = problems_of({**TRAINING, "course": "x" * 5_000_000, "people": ["y" * 5_000_000]})
    assert fields_of(problems) == ["course", "people"]
    assert all(len(message) < 1000 for _, message in problems)


def stored_state(event: dict) -> bytes:
    context = {
        "township": "dayu",
        "kind": "community",
        "slots": 20,
        "inclusive": False,
        "enrolled": 0,
        "operating": True,
    }
    return orjson.dumps(
        {
            "event": event,
            "context": context,
            "recorded_by": "t",
            "timestamp": "2024-06-02T00:00:00+00:00",
            "originator_topic": "x",
        }
    )


@pytest.mark.parametrize(
    "stored, read",
    [
        ("2024-06-01t09:00:00z", "2024-06-01T09:00:00Z"),
        ("0001-01-01T00:00:00+09:00", "1900-01-01T00:00:00+08:00"),
        ("0500-06-01T00:00:00+08:00", "1900-01-01T00:00:00+08:00"),
        ("9999-12-31T23:00:00-08:00", "2999-12-31T23:59:59+08:00"),
        (AT, AT),
    ],
)
def test_a_time_stored_before_the_boundary_checked_it_is_read_in_the_stored_form(stored, read):
    fact = fact_from_stored(7, stored_state({**TRAINING, "occurred_at": stored}))
    assert fact["event"]["occurred_at"] == read
    business_date(fact["event"]["occurred_at"])  # what the fold does with it: no OverflowError


def test_a_date_stored_before_the_boundary_checked_it_is_read_within_the_range():
    fact = fact_from_stored(7, stored_state({**TARGET, "start": "0001-01-01", "due": "9999-12-31"}))
    assert (fact["event"]["start"], fact["event"]["due"]) == ("1900-01-01", "2999-12-31")
    day_end(fact["event"]["due"])
