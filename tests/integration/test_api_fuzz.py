"""Fuzzing the HTTP API: whatever is sent, valid or not, with a token or without one, the answer
is never a 5xx.

1. schemathesis, from the app's own /openapi.json: every operation in its phases (examples,
   coverage of boundary and invalid values, generated cases in positive and negative mode)
   with an admin token, so that POST /api/events records and rejects events; then without a
   token (none, or the made-up ones schemathesis sends), where the coverage phase is left out:
   the token is checked before anything else, so its thousands of bodies would all meet a 401.
2. hypothesis, where the document says too little for schemathesis to find the edges: the
   times of /api/kpi (the document says "a string"), any JSON in any field of each event type,
   and raw bytes with any content type and Content-Length.

Derandomized and bounded (examples per operation), so that a run is repeatable in CI and takes
well under a minute and a half. SQLite is enough here: test_api_bad_input.py runs on both stores.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.support.builders import (
    capacity,
    closed,
    enrolled,
    filed,
    filing_changed,
    graded,
    granted,
    guidance,
    inspection,
    rectified,
    rehomed,
    reopened,
    revoked,
    staff,
    target,
    training,
    withdrawn,
)
from tuoyu.service.config import Settings
from tuoyu.service.http.app import create_app
from tuoyu.service.tokens import create_token
from tuoyu.service.wiring import open_platform

pytestmark = pytest.mark.slow

SCHEMATHESIS_EXAMPLES = 40  # generated per operation (the coverage phase adds its own cases)
SCHEMATHESIS_EXAMPLES_WITHOUT_TOKEN = 25
HYPOTHESIS_EXAMPLES = 150


def repeatable(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        derandomize=True,  # the same cases on every run: a failure in CI is a failure locally
        database=None,  # and no example database carrying cases from one run into the next
        deadline=None,
        suppress_health_check=list(HealthCheck),  # large generated bodies are slow to build: fine
    )


# Alertmanager's shared secret: with it configured, POST /api/alerts/webhook is exercised too.
WEBHOOK_SECRET = "fuzz-webhook-secret"


def open_sqlite_platform(tmp_path_factory: pytest.TempPathFactory, name: str):
    data_dir = tmp_path_factory.mktemp(name)
    return open_platform(
        Settings(data_dir=data_dir, store=f"sqlite:///{data_dir / 'tuoyu.db'}", alert_webhook_secret=WEBHOOK_SECRET)
    )


# ---- 1. schemathesis, from the OpenAPI document ---------------------------------------------------


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory):
    """The app on a fresh store, and an admin token. Loading its schema starts its lifespan, as
    a server would (the projector follows the store)."""
    platform = open_sqlite_platform(tmp_path_factory, "schemathesis")
    token = create_token(platform.tokens, "admin")[1]
    yield create_app(platform), token
    # schemathesis keeps a started lifespan until the process exits: end it now.
    from schemathesis.python import asgi

    asgi.shutdown_lifespans()
    platform.stop()


@pytest.fixture(scope="module")
def schema_with_token(fuzzed_app):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app[0])


@pytest.fixture(scope="module")
def schema_without_token(fuzzed_app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app[0])
    schema.config.phases.update(phases=["examples", "fuzzing"])
    return schema


@pytest.fixture(scope="module")
def admin_headers(fuzzed_app) -> dict[str, str]:
    return {"Authorization": f"Bearer {fuzzed_app[1]}"}


with_token = schemathesis.pytest.from_fixture("schema_with_token")
without_token = schemathesis.pytest.from_fixture("schema_without_token")

EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_calls = itertools.count()


def _fresh_event_ids(body: Any) -> None:
    """Generated events mostly share the simplest event_id ("0"): after the first is recorded,
    the rest would stop at 409. Every other call, make valid event_ids unique, so that the
    rules behind the conflict check are reached too."""
    if next(_calls) % 2:
        return
    for event in body if isinstance(body, list) else [body]:
        if isinstance(event, dict) and isinstance(event.get("event_id"), str) and EVENT_ID.fullmatch(event["event_id"]):
            event["event_id"] = f"{event['event_id'][:100]}.{next(_calls)}"


@with_token.parametrize()
@repeatable(SCHEMATHESIS_EXAMPLES)
def test_no_request_with_an_admin_token_gets_a_5xx(case, admin_headers):
    if case.path == "/api/alerts/webhook":  # Alertmanager's route: its shared secret, not a token
        headers = {"Authorization": f"Bearer {WEBHOOK_SECRET}"}
    else:
        headers = admin_headers
        if case.path == "/api/events" and case.body is not None:
            _fresh_event_ids(case.body)
    case.call_and_validate(headers=headers, checks=[not_a_server_error])


@without_token.parametrize()
@repeatable(SCHEMATHESIS_EXAMPLES_WITHOUT_TOKEN)
def test_no_request_without_a_valid_token_gets_a_5xx(case):
    case.call_and_validate(checks=[not_a_server_error])


# ---- 2. hypothesis, at the edges the document does not describe ------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    """A TestClient (server exceptions raised, not turned into 500s) with an admin token."""
    from fastapi.testclient import TestClient

    platform = open_sqlite_platform(tmp_path_factory, "hypothesis")
    token = create_token(platform.tokens, "admin")[1]
    with TestClient(create_app(platform)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


def assert_not_a_server_error(response, allowed: set[int]) -> None:
    assert response.status_code < 500, response.text[:1000]
    assert response.status_code in allowed, response.text[:1000]
    assert response.headers["content-type"].startswith("application/json"), response.headers


# Offsets of up to ±23:59, and the first and last days of the calendar: where conversions overflow.
offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda minutes: timezone(timedelta(minutes=minutes)))
calendar_edges = st.sampled_from([date.min, date.min + timedelta(days=1), date.max - timedelta(days=1), date.max])
moments = st.one_of(
    st.datetimes(timezones=offsets).map(lambda moment: moment.isoformat()),
    st.builds(datetime.combine, calendar_edges, st.times(), offsets).map(lambda moment: moment.isoformat()),
    st.datetimes().map(lambda moment: moment.isoformat()),  # naive: read in Asia/Shanghai
    st.dates().map(str),
    st.text(max_size=40),
)


@given(as_of=st.none() | moments, known_at=st.none() | moments)
@repeatable(HYPOTHESIS_EXAMPLES)
def test_any_as_of_and_known_at_get_a_snapshot_or_a_422(client, as_of, known_at):
    params = {name: value for name, value in (("as_of", as_of), ("known_at", known_at)) if value is not None}
    response = client.get("/api/kpi", params=params)
    assert_not_a_server_error(response, {200, 422})
    if response.status_code == 422:
        assert response.json()["errors"][0]["field"] in params


# One valid event of each type, built afresh (a new event_id) on each draw.
TEMPLATES = [
    lambda: filed("F"),
    lambda: filing_changed("F"),
    lambda: capacity("F", 30),
    lambda: granted("F"),
    lambda: revoked("F"),
    lambda: closed("F"),
    lambda: rehomed("F", 1),
    lambda: reopened("F"),
    lambda: enrolled("F", 1),
    lambda: withdrawn("F", 1),
    lambda: inspection("F", "I-1"),
    lambda: rectified("F", "I-1"),
    lambda: graded("F"),
    lambda: staff("F", 2, 1),
    lambda: training(),
    lambda: guidance(),
    lambda: target(),
]
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)


@given(data=st.data())
@repeatable(HYPOTHESIS_EXAMPLES)
def test_any_json_in_any_field_of_any_event_is_recorded_or_refused_never_a_5xx(client, data):
    event = data.draw(st.sampled_from(TEMPLATES), label="type")()
    field = data.draw(st.sampled_from([*sorted(event), "unknown_field"]), label="field")
    event[field] = data.draw(json_values, label="value")
    body = event if data.draw(st.booleans(), label="alone") else [filed(f"G{len(event)}"), event]
    response = client.post("/api/events", content=orjson.dumps(body), headers={"Content-Type": "application/json"})
    assert_not_a_server_error(response, {200, 201, 409, 422})


content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/json; charset=latin-1",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonl",
        "",
        ";",
        "application/json;;;",
    ]
) | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)
content_lengths = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=2**64).map(str),
    st.integers(min_value=1, max_value=20).map(lambda n: "9" * (300 * n)),  # int() takes 4,300 digits at most
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=12),
)
json_texts = json_values.map(orjson.dumps)
bodies = st.one_of(
    st.binary(max_size=300),
    json_texts,
    # a valid JSON text cut short, or with a byte replaced: near misses of well-formed bodies
    st.tuples(json_texts, st.integers(min_value=0)).map(lambda pair: pair[0][: pair[1] % (len(pair[0]) + 1)]),
    st.tuples(json_texts, st.integers(min_value=0), st.integers(0, 255)).map(
        lambda t: t[0][: t[1] % len(t[0])] + bytes([t[2]]) + t[0][t[1] % len(t[0]) + 1 :]
    ),
)


# The routes that read a body, and what they may answer bytes that are (almost surely) not theirs.
BODY_ROUTES = {
    "/api/events": {400, 409, 413, 415, 422},
    "/api/oncall/f-1/ack": {400, 404, 413, 415, 422},  # no alert f-1 was notified: 404
    "/api/alerts/webhook": {400, 413, 415, 422},
}


@given(
    route=st.sampled_from(sorted(BODY_ROUTES)), body=bodies, content_type=content_types, content_length=content_lengths
)
@repeatable(HYPOTHESIS_EXAMPLES)
def test_any_bytes_with_any_content_type_and_length_are_refused_with_a_4xx(
    client, route, body, content_type, content_length
):
    headers = {"Content-Type": content_type}
    if route == "/api/alerts/webhook":
        headers["Authorization"] = f"Bearer {WEBHOOK_SECRET}"
    if content_length is not None:
        headers["Content-Length"] = content_length
    response = client.post(route, content=body, headers=headers)
    assert_not_a_server_error(response, BODY_ROUTES[route] | {200, 201})
