"""Alertmanager's webhook payload is checked whole before any of it is recorded (issue 12, item 5)."""

from __future__ import annotations

import copy

import pytest

from tests.support.alertmanager import ALERT, PAYLOAD
from tuoyu.service.http.alertmanager_payload import (
    MAX_ALERTS,
    MAX_ANNOTATION_VALUE_CHARS,
    MAX_LABEL_VALUE_CHARS,
    MAX_PAIRS,
    payload_problem,
)
from tuoyu.service.http.oncall import webhook_problem


def with_alert(**changes) -> dict:
    payload = copy.deepcopy(PAYLOAD)
    payload["alerts"][0].update(changes)
    return payload


def without(field: str) -> dict:
    payload = copy.deepcopy(PAYLOAD)
    del payload["alerts"][0][field]
    return payload


def test_a_payload_as_alertmanager_posts_it_is_accepted():
    assert webhook_problem(PAYLOAD) is None
    resolved = with_alert(status="resolved", endsAt="2026-11-30T09:00:00.5+08:00")
    assert webhook_problem(resolved) is None


def test_an_alert_without_starts_at_is_refused():
    assert "alerts[0].startsAt: is required" in webhook_problem(without("startsAt"))


@pytest.mark.parametrize(
    "starts_at",
    [
        5,
        None,
        "",
        "yesterday",
        "2026-11-30 08:00:00Z",
        "2026-11-30T08:00:00z",
        "2026-11-30T08:00:00",
        "0001-01-01T00:00:00Z",
        ["2026-11-30T08:00:00Z"],
    ],
)
def test_starts_at_must_be_an_rfc_3339_time_as_alertmanager_writes_it(starts_at):
    problem = webhook_problem(with_alert(startsAt=starts_at))
    assert problem and problem.startswith("alerts[0].startsAt:"), problem


@pytest.mark.parametrize("ends_at", [5, "", "soon", "2026-11-30T08:00:00"])
def test_ends_at_when_given_must_be_an_rfc_3339_time(ends_at):
    problem = webhook_problem(with_alert(endsAt=ends_at))
    assert problem and problem.startswith("alerts[0].endsAt:"), problem


def test_the_number_of_alerts_is_capped():
    payload = copy.deepcopy(PAYLOAD)
    payload["alerts"] = [dict(ALERT, fingerprint=f"f{n}") for n in range(MAX_ALERTS + 1)]
    assert f"at most {MAX_ALERTS:,}" in payload_problem(payload)
    payload["alerts"].pop()
    assert payload_problem(payload) is None


@pytest.mark.parametrize(
    "field, pairs, says",
    [
        ("labels", {f"l{n}": "v" for n in range(MAX_PAIRS + 1)}, f"at most {MAX_PAIRS}"),
        ("labels", {"alertname": "x" * (MAX_LABEL_VALUE_CHARS + 1)}, f"at most {MAX_LABEL_VALUE_CHARS:,}"),
        ("labels", {"bad-name": "x"}, "not a label name"),
        ("labels", {"alertname": "a\u202eb"}, "U+202E"),
        ("labels", {"alertname": "a\nb"}, "U+000A"),
        ("labels", {"alertname": 5}, "of strings"),
        ("annotations", {f"a{n}": "v" for n in range(MAX_PAIRS + 1)}, f"at most {MAX_PAIRS}"),
        (
            "annotations",
            {"description": "x" * (MAX_ANNOTATION_VALUE_CHARS + 1)},
            f"at most {MAX_ANNOTATION_VALUE_CHARS:,}",
        ),
        ("annotations", {"description": "a\x00b"}, "U+0000"),
        ("annotations", "summary", "expected an object"),
    ],
)
def test_labels_and_annotations_are_capped_in_number_and_size(field, pairs, says):
    problem = webhook_problem(with_alert(**{field: pairs}))
    assert problem and problem.startswith(f"alerts[0].{field}") and says in problem, problem


@pytest.mark.parametrize("fingerprint", ["", "a/b", "x" * 65, "a b", 5])
def test_a_fingerprint_is_one_to_64_letters_digits_or_punctuation_safe_in_a_path(fingerprint):
    problem = webhook_problem(with_alert(fingerprint=fingerprint))
    assert problem and problem.startswith("alerts[0].fingerprint"), problem


@pytest.mark.parametrize("field", ["receiver", "groupKey", "status", "externalURL"])
def test_the_payload_headers_are_strings_of_bounded_size(field):
    assert field in payload_problem({**PAYLOAD, field: "x" * 5000})
    assert field in payload_problem({**PAYLOAD, field: 5})
