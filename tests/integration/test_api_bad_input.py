"""Bad input to the HTTP API, on SQLite and PostgreSQL (the `api` fixture): every case is
answered with a clear 4xx, never a 5xx, with a JSON body that says what is wrong, and nothing
is recorded.

POST /api/events (admin token): bodies over the size limit (declared or streamed), malformed
and truncated JSON, empty bodies, wrong content types, deep nesting, too many events, JSON that
is not an event, bytes that are not UTF-8, a BOM, NaN and Infinity, duplicate keys, very long
strings, numbers out of range, negative zero, lone surrogates, NUL characters. Query strings,
unknown routes, wrong methods, bad tokens.

The api fixture's TestClient raises the server's exceptions: a case that breaks the server
fails here with its traceback, not with a bare 500. Regressions (these were 500s):
- ~1,000 levels of nesting in a field (under orjson's 1,024): RecursionError in repr() while
  validating. Now refused by body.MAX_DEPTH (400).
- a Content-Length of more than 4,300 digits: int() refused it. Now 413.
- as_of/known_at that leave years 1-9999 when converted (0001-01-01T00:00:00+14:00):
  OverflowError building the snapshot. Now 422.
- POST /api/oncall/{fingerprint}/ack with a Content-Length that is not a number. Now 4xx.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest

from tests.support.builders import enrolled, filed, filing_changed
from tuoyu.service.http.body import MAX_BODY_BYTES, MAX_DEPTH, MAX_EVENTS_PER_REQUEST

EVENTS = "/api/events"
JSON = "application/json"
MIB = 1024 * 1024


# ---- helpers -------------------------------------------------------------------------------------


def what_is_wrong(response) -> str:
    """The messages of an error response, {"error": "…"} and/or {"errors": [{"field": …,
    "message": "…"}, …]}, as "field: message"."""
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict), body
    messages = [body["error"]] if "error" in body else []
    messages += [f"{p['field']}: {p['message']}" if p.get("field") else p["message"] for p in body.get("errors", [])]
    assert messages and all(isinstance(m, str) and m.strip() for m in messages), body
    return " | ".join(messages)


def assert_refused(api, send: Callable[[], Any], status: int, says: list[str]):
    """`send()` is answered with `status`, a JSON body whose messages contain each of `says`
    (case-insensitive), and nothing recorded."""
    before = api.platform.registry.position()
    response = send()
    assert response.status_code == status, response.text[:1000]
    message = what_is_wrong(response)
    missing = [word for word in says if word.lower() not in message.lower()]
    assert not missing, f"{missing} not in {message[:1000]!r}"
    assert api.platform.registry.position() == before, "bad input must record nothing"
    return response


def post(api, content: bytes | Iterator[bytes], content_type: str | None = JSON, **headers: Any):
    sent = {**api.headers("admin"), **headers}
    if content_type is not None:
        sent["Content-Type"] = content_type
    return api.client.post(EVENTS, content=content, headers=sent)


def event_with(field: str, raw: bytes, event: dict[str, Any] | None = None) -> bytes:
    """A valid event (an InstitutionFiled unless given) with `field` set to the raw JSON text `raw`."""
    event = {k: v for k, v in (event or filed("A")).items() if k != field}
    return orjson.dumps(event)[:-1] + b"," + orjson.dumps(field) + b":" + raw + b"}"


def nested(depth: int, kind: str = "array") -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


def event_bytes(event: dict[str, Any] | None = None) -> bytes:
    return orjson.dumps(event or filed("A"))


def short(text: str) -> str:
    """A test id for a long path or query string."""
    return text if len(text) <= 70 else f"{text[:24]}...({len(text):,} characters)"


# ---- POST /api/events: bodies -------------------------------------------------------------------

TOO_DEEP = ["levels deep"]
NOT_JSON = ["not valid JSON"]
NOT_UTF8 = ["not UTF-8"]
NOT_AN_EVENT = ["one event (a JSON object)"]

BODIES = [
    # -- malformed and truncated JSON --
    pytest.param(lambda: b"{not json", 400, NOT_JSON, id="malformed: bare word"),
    pytest.param(lambda: b"{'event_id': 'x'}", 400, NOT_JSON, id="malformed: single quotes"),
    pytest.param(lambda: b'[{"a": 1},]', 400, NOT_JSON, id="malformed: trailing comma"),
    pytest.param(lambda: b'{"a": 1} {"b": 2}', 400, NOT_JSON, id="malformed: two documents"),
    pytest.param(lambda: event_bytes() + b"\n" + event_bytes(), 400, NOT_JSON, id="malformed: JSON Lines"),
    pytest.param(lambda: b'{"a": 1} // comment', 400, NOT_JSON, id="malformed: comment"),
    pytest.param(lambda: b"[undefined]", 400, NOT_JSON, id="malformed: undefined"),
    pytest.param(lambda: b'{"note": "a\x01b"}', 400, NOT_JSON, id="malformed: raw control character"),
    pytest.param(lambda: event_bytes()[:-1], 400, NOT_JSON, id="truncated: last brace"),
    pytest.param(lambda: event_bytes()[:30], 400, NOT_JSON, id="truncated: inside a string"),
    pytest.param(lambda: b"[" + event_bytes() + b",", 400, NOT_JSON, id="truncated: array"),
    pytest.param(lambda: "{}".encode("utf-16-le"), 400, NOT_JSON, id="UTF-16 without BOM"),
    pytest.param(lambda: b"", 400, ["empty"], id="empty body"),
    pytest.param(lambda: b" \r\n\t ", 400, ["empty"], id="whitespace only"),
    # -- not an event --
    pytest.param(lambda: b"null", 422, NOT_AN_EVENT, id="null"),
    pytest.param(lambda: b"0", 422, NOT_AN_EVENT, id="a number"),
    pytest.param(lambda: b"-1.5e3", 422, NOT_AN_EVENT, id="a float"),
    pytest.param(lambda: b'"InstitutionFiled"', 422, NOT_AN_EVENT, id="a string"),
    pytest.param(lambda: b"true", 422, NOT_AN_EVENT, id="true"),
    pytest.param(lambda: b"[]", 422, ["no events"], id="an empty array"),
    pytest.param(lambda: b"[[]]", 422, ["must be a JSON object", "got an array"], id="an array of an array"),
    pytest.param(lambda: b'[1, null, "x"]', 422, ["must be a JSON object"], id="an array of scalars"),
    pytest.param(lambda: b"{}", 422, ["type", "missing"], id="an empty object"),
    # -- deep nesting --
    pytest.param(lambda: nested(100_000), 400, TOO_DEEP, id="deep: 100,000 nested arrays"),
    pytest.param(lambda: nested(100_000, "object"), 400, TOO_DEEP, id="deep: 100,000 nested objects"),
    pytest.param(lambda: event_with("note", nested(1_020)), 400, TOO_DEEP, id="deep: 1,020 arrays in note"),
    pytest.param(lambda: event_with("note", nested(1_020, "object")), 400, TOO_DEEP, id="deep: 1,020 objects in note"),
    pytest.param(
        lambda: event_with("location", nested(1_020, "object")), 400, TOO_DEEP, id="deep: 1,020 objects in location"
    ),
    pytest.param(lambda: event_with("event_id", nested(1_000)), 400, TOO_DEEP, id="deep: 1,000 in event_id"),
    pytest.param(lambda: event_with("type", nested(1_000)), 400, TOO_DEEP, id="deep: 1,000 in type"),
    pytest.param(lambda: event_with("occurred_at", nested(1_000)), 400, TOO_DEEP, id="deep: 1,000 in occurred_at"),
    pytest.param(lambda: event_with("slots", nested(1_000, "object")), 400, TOO_DEEP, id="deep: 1,000 in slots"),
    pytest.param(
        lambda: event_with("changes", nested(1_000), filing_changed("A")),
        400,
        TOO_DEEP,
        id="deep: 1,000 in FilingChanged.changes",
    ),
    pytest.param(
        lambda: b"[" + event_bytes() + b"," + nested(1_022) + b"]",
        400,
        TOO_DEEP,
        id="deep: 1,022 arrays beside a valid event",
    ),
    pytest.param(lambda: event_with("note", nested(MAX_DEPTH)), 400, TOO_DEEP, id="deep: just over MAX_DEPTH"),
    pytest.param(
        lambda: event_with("note", nested(MAX_DEPTH - 1)),
        422,
        ["note", "must be a string"],
        id="deep: just within MAX_DEPTH",
    ),
    pytest.param(
        lambda: event_with("note", b'{"a": {"b": [{"c": [1, {"d": null}]}]}}'),
        422,
        ["note", "must be a string", "got an object"],
        id="nested object in note",
    ),
    pytest.param(
        lambda: event_with("location", b'{"lat": {"a": {"b": [1]}}, "lon": 116.1}'),
        422,
        ["location.lat", "must be a number"],
        id="nested object in location.lat",
    ),
    # -- too many events, huge arrays --
    pytest.param(
        lambda: orjson.dumps([filed(f"I{n}") for n in range(MAX_EVENTS_PER_REQUEST + 1)]),
        413,
        [f"{MAX_EVENTS_PER_REQUEST + 1:,} events", f"at most {MAX_EVENTS_PER_REQUEST:,}"],
        id="huge: one event too many",
    ),
    pytest.param(
        lambda: b"[" + b",".join([b"{}"] * 100_000) + b"]", 413, ["100,000 events"], id="huge: 100,000 empty objects"
    ),
    pytest.param(
        lambda: b"[" + b",".join([b"null"] * 1_000_000) + b"]", 413, ["1,000,000 events"], id="huge: 1,000,000 nulls"
    ),
    pytest.param(
        lambda: event_with("note", orjson.dumps(list(range(200_000)))),
        422,
        ["note", "must be a string", "got an array"],
        id="huge: 200,000 numbers in note",
    ),
    # -- not UTF-8 --
    pytest.param(
        lambda: json.dumps(filed("A", name="café"), ensure_ascii=False).encode("latin-1"), 400, NOT_UTF8, id="Latin-1"
    ),
    pytest.param(
        lambda: json.dumps(filed("A", name="托育点"), ensure_ascii=False).encode("gbk"), 400, NOT_UTF8, id="GBK"
    ),
    pytest.param(lambda: json.dumps(filed("A")).encode("utf-16"), 400, NOT_UTF8, id="UTF-16 with BOM"),
    pytest.param(lambda: event_with("note", b'"\xff\xfe"'), 400, NOT_UTF8, id="0xFF in a string"),
    pytest.param(lambda: event_with("note", b'"\xc0\xaf"'), 400, NOT_UTF8, id="overlong encoding"),
    pytest.param(lambda: event_with("note", b'"\xed\xa0\x80"'), 400, NOT_UTF8, id="encoded surrogate (CESU-8)"),
    pytest.param(lambda: event_with("note", b'"\xe6\x89"'), 400, NOT_UTF8, id="cut multi-byte character"),
    pytest.param(lambda: b"\xef\xbb\xbf" + event_bytes(), 400, ["BOM"], id="UTF-8 BOM"),
    # -- NaN and Infinity --
    pytest.param(lambda: event_with("slots", b"NaN"), 400, NOT_JSON, id="NaN"),
    pytest.param(lambda: event_with("slots", b"Infinity"), 400, NOT_JSON, id="Infinity"),
    pytest.param(lambda: event_with("monthly_fee_yuan", b"-Infinity"), 400, NOT_JSON, id="-Infinity"),
    pytest.param(lambda: event_with("slots", b"nan"), 400, NOT_JSON, id="nan"),
    # -- duplicate keys: the last one counts (as in JSON.parse), and is validated --
    pytest.param(
        lambda: event_bytes()[:-1] + b',"slots": 5000}',
        422,
        ["slots", "at most 2000"],
        id="duplicate key: an invalid last value",
    ),
    pytest.param(
        lambda: event_bytes()[:-1] + b',"type": "Nope"}', 422, ["unknown event type 'Nope'"], id="duplicate key: type"
    ),
    # -- extremely long strings --
    pytest.param(
        lambda: event_bytes(filed("A", name="名" * 3_000_000)),
        422,
        ["name", "at most 200"],
        id="long: name of 3,000,000 characters (9 MB)",
    ),
    pytest.param(
        lambda: event_bytes(filed("A", note="x" * 9_000_000)),
        422,
        ["note", "at most 2000"],
        id="long: note of 9,000,000 characters",
    ),
    pytest.param(
        lambda: event_bytes({**filed("A"), "event_id": "e" * 1_000_000}),
        422,
        ["event_id", "pattern"],
        id="long: event_id",
    ),
    pytest.param(
        lambda: event_bytes(filed("I" * 1_000_000)), 422, ["institution_id", "pattern"], id="long: institution_id"
    ),
    pytest.param(
        lambda: event_bytes({**filed("A"), "type": "T" * 1_000_000}), 422, ["unknown event type"], id="long: type"
    ),
    pytest.param(
        lambda: event_bytes({**filed("A"), "occurred_at": "2" * 1_000_000}),
        422,
        ["occurred_at"],
        id="long: occurred_at",
    ),
    pytest.param(
        lambda: event_with("k" * 1_000_000, b"1"), 422, ["is not a field of InstitutionFiled"], id="long: a key"
    ),
    # -- numbers --
    pytest.param(lambda: event_with("slots", b"1e400"), 400, NOT_JSON + ["infinity"], id="1e400"),
    pytest.param(lambda: event_with("slots", b"-1e400"), 400, NOT_JSON, id="-1e400"),
    pytest.param(lambda: event_with("slots", b"9" * 400), 400, NOT_JSON, id="a 400-digit integer"),
    pytest.param(lambda: event_with("slots", b"18446744073709551616"), 422, ["slots", "at most 2000"], id="2**64"),
    pytest.param(lambda: event_with("slots", b"1e308"), 422, ["slots", "at most 2000"], id="1e308"),
    pytest.param(lambda: event_with("slots", b"20.5"), 422, ["slots", "must be an integer"], id="a fraction"),
    pytest.param(
        lambda: event_with("children", b"-0", enrolled("A", 1)),
        422,
        ["children"],
        id="negative zero: -0 children (at least 1)",
    ),
    pytest.param(
        lambda: event_with("children", b"-0.0", enrolled("A", 1)),
        422,
        ["children"],
        id="negative zero: -0.0 children (at least 1)",
    ),
    pytest.param(lambda: event_with("slots", b"-1"), 422, ["slots"], id="negative slots"),
    # -- lone surrogates --
    pytest.param(lambda: event_with("name", b'"\\ud800"'), 400, NOT_JSON + ["surrogate"], id="lone \\ud800 in name"),
    pytest.param(lambda: event_with("note", b'"x\\udc00y"'), 400, NOT_JSON + ["surrogate"], id="lone \\udc00 in note"),
    pytest.param(
        lambda: event_bytes()[:-1] + b',"\\ud800":1}', 400, NOT_JSON + ["surrogate"], id="lone surrogate as a key"
    ),
    pytest.param(
        lambda: event_bytes()[:-1].replace(b'"event_id":"', b'"event_id":"\\ud800', 1) + b"}",
        400,
        NOT_JSON + ["surrogate"],
        id="lone surrogate in event_id",
    ),
    # -- NUL characters --
    pytest.param(lambda: event_bytes(filed("A\u0000")), 422, ["institution_id", "pattern"], id="NUL in institution_id"),
    pytest.param(
        lambda: event_bytes(filed("A", township="dayu\u0000")), 422, ["township", "not allowed"], id="NUL in township"
    ),
]


@pytest.mark.parametrize("make_body, status, says", BODIES)
def test_a_bad_body_is_refused_with_a_4xx_that_says_why_and_nothing_is_recorded(api, make_body, status, says):
    body = make_body()
    assert_refused(api, lambda: post(api, body), status, says)


def test_a_nul_in_an_event_id_is_refused_with_a_422(api):
    """PostgreSQL text cannot hold NUL: such an id must be refused before any lookup."""
    body = event_bytes({**filed("A"), "event_id": "e-1\u0000"})
    assert_refused(api, lambda: post(api, body), 422, ["event_id", "pattern"])


# ---- POST /api/events: size ---------------------------------------------------------------------

LIMIT = f"{MAX_BODY_BYTES:,} bytes"


def test_a_body_over_the_limit_with_content_length_is_413(api):
    body = b"[" + b" " * MAX_BODY_BYTES + b"]"
    response = assert_refused(api, lambda: post(api, body), 413, [LIMIT])
    assert response.request.headers["content-length"] == str(len(body))


def test_a_body_over_the_limit_streamed_without_content_length_is_413(api):
    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(MAX_BODY_BYTES // MIB + 1):
            yield b" " * MIB
        yield b"]"

    response = assert_refused(api, lambda: post(api, chunks()), 413, ["exceeds", LIMIT])
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"


def test_a_streamed_body_is_read_no_further_than_the_limit(api):
    """At the ASGI level, chunk by chunk: the app stops reading once past the limit (it does not
    buffer an endless body) and answers 413."""
    import anyio

    received, sent = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b" " * MIB, "more_body": received < 64}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [
        (b"content-type", b"application/json"),
        *((k.lower().encode(), v.encode()) for k, v in api.headers("admin").items()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": EVENTS,
        "raw_path": EVENTS.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("testclient", 50000),
        "server": ("testserver", 80),
    }
    before = api.platform.registry.position()
    anyio.run(api.client.app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    assert (
        LIMIT in orjson.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))["error"]
    )
    assert received <= MAX_BODY_BYTES // MIB + 1, f"read {received} MiB of an endless body"
    assert api.platform.registry.position() == before


def test_a_declared_content_length_over_the_limit_is_413_before_the_body_is_read(api):
    assert_refused(
        api,
        lambda: post(api, b"[]", **{"Content-Length": str(MAX_BODY_BYTES + 1)}),
        413,
        [f"{MAX_BODY_BYTES + 1:,} bytes", LIMIT],
    )


def test_a_content_length_of_5000_digits_is_413(api):
    # regression: int() refuses more than 4,300 digits (a 500)
    assert_refused(
        api, lambda: post(api, b"[]", **{"Content-Length": "9" * 5000}), 413, ["more than 10^18 bytes", LIMIT]
    )


@pytest.mark.parametrize(
    "declared",
    [b"abc", b"-1", b"1e9", "\u00b2".encode("latin-1"), b" 2 "],
    ids=["letters", "negative", "exponent", "superscript two", "spaces"],
)
def test_a_content_length_that_is_not_a_number_is_ignored_and_the_body_judged(api, declared):
    assert_refused(api, lambda: post(api, b"[]", **{"Content-Length": declared}), 422, ["no events"])


def test_a_body_of_exactly_the_limit_is_read(api):
    body = b"[" + b" " * (MAX_BODY_BYTES - 2) + b"]"
    assert len(body) == MAX_BODY_BYTES
    assert_refused(api, lambda: post(api, body), 422, ["no events"])


# ---- POST /api/events: content type -------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/x-ndjson",
        "application/jsonx",
        "application/*",
        "*/*",
        "",
    ],
    ids=lambda value: value or "empty",
)
def test_a_body_that_is_not_application_json_is_415(api, content_type):
    response = assert_refused(api, lambda: post(api, event_bytes(), content_type), 415, ["application/json"])
    assert (content_type.split(";")[0] or "no content type") in what_is_wrong(response)


def test_a_body_without_a_content_type_is_415(api):
    response = assert_refused(api, lambda: post(api, event_bytes(), None), 415, ["application/json"])
    assert "content-type" not in response.request.headers
    assert "no content type" in what_is_wrong(response)


def test_a_form_is_415(api):
    assert_refused(
        api,
        lambda: api.client.post(EVENTS, data={"event_id": "x"}, headers=api.headers("admin")),
        415,
        ["application/json", "x-www-form-urlencoded"],
    )


def test_a_multipart_upload_is_415(api):
    files = {"events": ("events.json", event_bytes(), "application/json")}
    assert_refused(
        api,
        lambda: api.client.post(EVENTS, files=files, headers=api.headers("admin")),
        415,
        ["application/json", "multipart/form-data"],
    )


# ---- POST /api/events: edge values that are not errors -------------------------------------------


def test_valid_edge_values_are_recorded_as_what_they_mean(api):
    """Not bad input, but next to it: the same parser and validator accept these, as JSON means them."""
    event = filed("EDGE", name="托育点 \U0001f600", inclusive=True)
    body = event_with("slots", b"-0.0", event)  # negative zero is zero; kept as the integer 0
    body = body[:-1] + b',"note": "\\ud83d\\ude00"}'  # a surrogate pair is one character
    response = post(api, body, "Application/JSON; charset=UTF-8")
    assert response.status_code == 201, response.text
    api.wait_for_view()
    [stored] = api.client.get("/api/institutions/EDGE", headers=api.headers("admin")).json()["events"]
    assert stored["event"]["slots"] == 0 and isinstance(stored["event"]["slots"], int)
    assert stored["event"]["note"] == "\U0001f600" and stored["event"]["name"] == "托育点 \U0001f600"


def test_with_duplicate_keys_the_last_one_counts(api):
    """Documented behaviour: as JSON.parse and Python's json, the last of duplicate keys counts
    (and is what is validated and stored)."""
    body = orjson.dumps(filed("DUP"))[:-1] + b',"slots": 7}'
    response = post(api, body)
    assert response.status_code == 201, response.text
    assert api.client.get("/api/institutions/DUP", headers=api.headers("admin")).json()["institution"]["slots"] == 7


# ---- query strings ---------------------------------------------------------------------------------

QUERIES = [
    ("/api/kpi?as_of=garbage", "as_of", ["not a date"]),
    ("/api/kpi?as_of=" + "9" * 5000, "as_of", ["not a date"]),
    ("/api/kpi?as_of=" + "x" * 60_000, "as_of", ["not a date"]),
    ("/api/kpi?as_of=99999-12-31", "as_of", ["not a date"]),
    ("/api/kpi?as_of=2024-02-30", "as_of", ["not a date"]),
    ("/api/kpi?as_of=2024-13-01", "as_of", ["not a date"]),
    ("/api/kpi?as_of=-2024-01-01", "as_of", ["not a date"]),
    ("/api/kpi?known_at=2024-01-01T24:00:00%2B08:00", "known_at", ["not a date"]),
    ("/api/kpi?as_of=2024-01-01T00:00:00%2B25:00", "as_of", ["not a date"]),
    ("/api/kpi?as_of=0001-01-01T00:00:00%2B14:00", "as_of", ["out of range"]),
    ("/api/kpi?known_at=9999-12-31T23:59:59-14:00", "known_at", ["out of range"]),
    ("/api/kpi?as_of=2024-01-01&known_at=0001-01-01T07:59:59%2B08:00", "known_at", ["out of range"]),
    ("/api/kpi?as_of=%00", "as_of", ["not a date"]),
    ("/api/kpi?as_of=%FF%FE", "as_of", ["not a date"]),
    ("/api/kpi?as_of=%ED%A0%80", "as_of", ["not a date"]),
    ("/api/closures?status=bogus", "status", ["'open' or 'all'"]),
    ("/api/closures?status=OPEN", "status", ["'open' or 'all'"]),
    ("/api/closures?status=", "status", ["'open' or 'all'"]),
    ("/api/closures?status=" + "o" * 60_000, "status", ["'open' or 'all'"]),
    ("/api/rectifications?status=bogus", "status", ["'open', 'overdue' or 'all'"]),
    ("/api/rectifications?status=overdue%00", "status", ["'open', 'overdue' or 'all'"]),
    ("/api/rectifications?status=%FF", "status", ["'open', 'overdue' or 'all'"]),
]


@pytest.mark.parametrize("path, field, says", [pytest.param(*query, id=short(query[0])) for query in QUERIES])
def test_a_bad_query_string_is_422_naming_the_parameter(api, path, field, says):
    response = assert_refused(api, lambda: api.client.get(path, headers=api.headers("admin")), 422, says)
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_repeated_query_parameter_takes_the_last_and_a_bad_last_is_422(api):
    path = "/api/kpi?as_of=2024-01-01&as_of=garbage"
    assert_refused(api, lambda: api.client.get(path, headers=api.headers("admin")), 422, ["'garbage'"])


# ---- routes, methods, tokens -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/api",
        "/api/event",
        "/api/events/1",
        "/api/institutions",
        "/api/kpi/extra",
        "/%00",
        "/api/" + "x" * 10_000,
        "/api/%FF",
    ],
    ids=short,
)
def test_an_unknown_route_is_404(api, path):
    headers = {**api.headers("admin"), "Content-Type": JSON}
    assert_refused(api, lambda: api.client.get(path, headers=headers), 404, ["not found"])
    assert_refused(api, lambda: api.client.post(path, content=event_bytes(), headers=headers), 404, ["not found"])


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("GET", EVENTS, "POST"),
        ("PUT", EVENTS, "POST"),
        ("PATCH", EVENTS, "POST"),
        ("DELETE", EVENTS, "POST"),
        ("OPTIONS", EVENTS, "POST"),
        ("POST", "/api/kpi", "GET"),
        ("DELETE", "/api/institutions/A", "GET"),
        ("PUT", "/api/closures", "GET"),
        ("POST", "/api/rectifications", "GET"),
        ("POST", "/api/registry", "GET"),
        ("POST", "/healthz", "GET"),
        ("POST", "/metrics", "GET"),
        ("PUT", "/api/whoami", "GET"),
    ],
)
def test_a_wrong_method_is_405_with_allow(api, method, path, allowed):
    headers = {**api.headers("admin"), "Content-Type": JSON}
    response = assert_refused(
        api,
        lambda: api.client.request(method, path, content=event_bytes(), headers=headers),
        405,
        ["method not allowed"],
    )
    assert response.headers["allow"] == allowed


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        b"",
        b"Bearer",
        b"Bearer ",
        b"Basic dXNlcjpwYXNz",
        b"bearer-ish token",
        b"Bearer \xff\xfe\x00",
        b"Bearer " + b"t" * 100_000,
        b"Bearer a b c",
    ],
    ids=[
        "none",
        "empty",
        "Bearer alone",
        "Bearer and a space",
        "Basic",
        "no scheme",
        "not ASCII",
        "100 kB token",
        "spaces",
    ],
)
def test_a_bad_token_is_401_and_nothing_is_recorded(api, authorization):
    headers = {"Content-Type": JSON}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = assert_refused(
        api, lambda: api.client.post(EVENTS, content=event_bytes(), headers=headers), 401, ["token"]
    )
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_auditor_posting_bad_input_is_403_not_a_body_error(api):
    assert_refused(
        api,
        lambda: api.client.post(EVENTS, content=b"{not json", headers={**api.headers("auditor"), "Content-Type": JSON}),
        403,
        ["auditor", "records nothing"],
    )


# ---- the on-call acknowledgement reads its body with the same guards ---------------------------------


@pytest.mark.parametrize(
    "declared, body, status, says",
    [
        (b"abc", b"", 400, ["empty"]),
        (b"9" * 5000, b"", 413, ["more than 10^18 bytes"]),
        (b"1", b"{", 400, NOT_JSON),
        (None, nested(10_000), 400, TOO_DEEP),
        (None, b'"\xff"', 400, NOT_UTF8),
    ],
    ids=["Content-Length letters", "Content-Length 5000 digits", "truncated", "deep", "not UTF-8"],
)
def test_a_bad_acknowledgement_body_is_a_4xx(api, declared, body, status, says):
    # regression: a Content-Length that int() refuses was a 500
    headers = {**api.headers("admin"), "Content-Type": JSON}
    if declared is not None:
        headers["Content-Length"] = declared
    assert_refused(api, lambda: api.client.post("/api/oncall/f-1/ack", content=body, headers=headers), status, says)
