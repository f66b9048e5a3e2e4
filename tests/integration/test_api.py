"""The HTTP API, in-process, on SQLite and PostgreSQL (the `api` fixture of tests/conftest.py).

Every route, every role: what each token may record and read, what is refused (401, 403, 409,
422) with nothing recorded, and that what the API shows (KPIs, lists, the public registry,
metrics, health) is what the recorded events make.
"""

from __future__ import annotations

import time

from eventsourcing.persistence import IntegrityError
from fastapi.routing import APIRoute

from tests.integration.api_helpers import (
    ALL_TYPES,
    CONTRACT_METRICS,
    INSTITUTION_TYPES,
    KPIS_MD,
    ROLES,
    TOWNSHIP_METRIC_FIGURES,
    allowed_types,
    capability_words,
    events_recorded,
    metrics_table_of_kpis_md,
    one_of_each,
    position,
    post,
    prepare_one_of_each,
    read,
    recorded,
    refused,
    sample,
    scrape,
    shanghai_today,
    token_name,
)
from tests.support.builders import (
    capacity,
    closed,
    enrolled,
    filed,
    graded,
    granted,
    guidance,
    inspection,
    rectified,
    rehomed,
    reopened,
    staff,
    target,
    training,
)
from tuoyu import clock
from tuoyu.contracts import townships_document
from tuoyu.domain.catalogue import COURSES, INSTITUTION_KINDS, TOWNSHIP_IDS
from tuoyu.projections.facts import day_end
from tuoyu.service.timeargs import parse_moment
from tuoyu.service.tokens import revoke_token
from tuoyu.views.projector import VIEW_NAME
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import replay_snapshot

READ_ROUTES = [
    "/api/kpi",
    "/api/institutions/A",
    "/api/closures",
    "/api/rectifications",
    "/api/incidents",
    "/api/whoami",
]
PUBLIC_ROUTES = ["/api/registry", "/metrics", "/healthz", "/openapi.json"]
CENTROIDS = {t["id"]: t["centroid"] for t in townships_document()["townships"]}


def own_township(role: str) -> str:
    return role.split(":", 1)[1] if role.startswith("township:") else "dayu"


# ---- roles: who may record what ----------------------------------------------------------------


def test_each_role_records_exactly_the_event_types_it_is_allowed_and_is_refused_the_others(api):
    assert sorted(api.tokens) == sorted(ROLES), "a new role needs its row in api_helpers.allowed_types"
    for role in ROLES:
        _records_its_types_and_is_refused_the_others(api, role)


def _records_its_types_and_is_refused_the_others(api, role):
    township, p = own_township(role), f"{role.replace(':', '-')}-"
    prepare_one_of_each(api, township, p)
    allowed = allowed_types(role)
    for kind, event in one_of_each(township, p).items():
        before = position(api)
        response = post(api, role, event)
        if kind in allowed:
            assert response.status_code == 201, f"{role} {kind}: {response.text}"
            assert response.json()["recorded"] == 1
            assert response.json()["position"] - api.start == position(api) == before + 1
            continue
        assert response.status_code == 403, f"{role} {kind}: {response.text}"
        assert position(api) == before == events_recorded(api), f"{role} {kind}: a refusal recorded something"
        message = response.json()["error"]
        assert f"role {role}" in message
        missing = [w for w in capability_words(role) if w not in message]
        assert not missing, f"{missing} not in the 403 message: {message}"
        if role != "auditor":  # refused before the body is read
            [problem] = response.json()["errors"]
            assert (problem["index"], problem["event_id"]) == (0, event["event_id"])
            assert problem["message"] == message


def test_the_role_table_covers_every_event_type_of_the_schema():
    from tuoyu.domain.catalogue import EVENT_TYPES, INSTITUTION_EVENT_TYPES

    assert ALL_TYPES == set(EVENT_TYPES)
    assert INSTITUTION_TYPES == INSTITUTION_EVENT_TYPES
    assert allowed_types("admin") == set(EVENT_TYPES)


def test_the_registry_files_and_the_inspector_inspects_in_every_township(api):
    body = recorded(api, "registry", *(filed(f"R-{t}", township=t) for t in TOWNSHIP_IDS))
    assert body["recorded"] == len(TOWNSHIP_IDS) == 13
    recorded(
        api,
        "inspector",
        *(inspection(f"R-{t}", f"I-{t}") for t in TOWNSHIP_IDS),
        graded("R-qingshui"),
        rectified("R-qingshui", "I-qingshui"),
    )
    api.wait_for_view()
    snapshot = read(api, "/api/kpi")
    assert all(snapshot["townships"][t]["institutions_operating"] == 1 for t in TOWNSHIP_IDS)
    assert snapshot["district"]["rectifications_open"] == 12


def test_a_township_officer_can_record_nothing_for_another_township(api):
    officer = "township:dayu"
    prepare_one_of_each(api, "chengzi")
    before = read(api, "/api/institutions/OP")
    # Every event type about chengzi: its institutions, its training and guidance, and targets.
    for kind, event in one_of_each("chengzi").items():
        body = refused(api, officer, event)
        assert f"role {officer}" in body["error"], kind
        assert "institutions of dayu" in body["error"], kind
        if kind not in ("TargetSet", "InclusiveFeeCapSet"):  # the admin's alone, in any township
            assert "is in chengzi" in body["error"], f"{kind}: {body['error']}"
    foreign = [
        training("caregiver", 5, institution_id="OP"),  # an institution of chengzi
        training("caregiver", 5, institution_id="OP", township="dayu"),  # ... even if it says dayu
        guidance(10),  # no township
        target("dayu", "slots_total", 100),  # TargetSet, even for dayu
        target("district", "new_slots", 100),
    ]
    for event in foreign:
        body = refused(api, officer, event)
        assert f"role {officer}" in body["error"]
    assert "names no township" in refused(api, officer, guidance(10))["error"]
    assert "may not record TargetSet" in refused(api, officer, target("dayu"))["error"]
    # A batch with one event of its own and one of another township records nothing.
    recorded(api, "admin", filed("MINE", township="dayu"))
    mine, theirs = enrolled("MINE", 1), enrolled("OP", 1)
    body = refused(api, officer, [mine, theirs])
    assert [(p["index"], p["event_id"]) for p in body["errors"]] == [(1, theirs["event_id"])]
    body = refused(api, officer, [enrolled("OP", 2), enrolled("MINE", 2)])
    assert [p["index"] for p in body["errors"]] == [0]
    assert read(api, "/api/institutions/MINE")["institution"]["enrolled"] == 0
    after = read(api, "/api/institutions/OP")
    assert after == before, "the other township's institution must be untouched"
    # Its own township is fine; an institution nobody filed gets the rule's 422, not a 403.
    recorded(api, officer, mine, training("head", 3, township="dayu"), guidance(8, township="dayu"))
    body = refused(api, officer, enrolled("GHOST", 1), status=422)
    assert body["errors"][0]["field"] == "institution_id" and "not filed" in body["errors"][0]["message"]


def test_the_auditor_reads_every_route_and_records_nothing(api):
    recorded(api, "admin", filed("A"), enrolled("A", 2))
    api.wait_for_view()
    for path in [*READ_ROUTES, *PUBLIC_ROUTES]:
        response = api.client.get(path, headers=api.headers("auditor"))
        assert response.status_code == 200, f"{path}: {response.text}"
    for params in ({"as_of": "2024-12-31"}, {"status": "all"}):
        assert (
            api.client.get(
                "/api/kpi" if "as_of" in params else "/api/closures", params=params, headers=api.headers("auditor")
            ).status_code
            == 200
        )
    for body in (guidance(5, township="dayu"), [guidance(5, township="dayu")], target()):
        refused_body = refused(api, "auditor", body)
        assert "auditor" in refused_body["error"] and "records nothing" in refused_body["error"]


def test_every_role_reads_the_kpis_the_lists_and_an_institution_and_knows_who_it_is(api):
    recorded(api, "admin", filed("A"))
    for role in ROLES:
        assert read(api, "/api/whoami", role)["role"] == role
        assert read(api, "/api/kpi", role)["position"] == api.start + 1
        assert read(api, "/api/kpi", role, as_of="2024-12-31")["position"] == api.start + 1
        assert read(api, "/api/institutions/A", role)["institution"]["institution_id"] == "A"
        assert read(api, "/api/closures", role, status="all")["closures"] == []
        assert read(api, "/api/rectifications", role, status="all")["rectifications"] == []


# ---- tokens: 401 -------------------------------------------------------------------------------


def _assert_unauthorized(response):
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]


def test_without_a_valid_token_protected_routes_answer_401_with_www_authenticate_and_public_ones_200(api):
    for headers in (
        {},
        {"Authorization": "Bearer tuoyu_not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": api.tokens["admin"]},
    ):
        for path in READ_ROUTES:
            _assert_unauthorized(api.client.get(path, headers=headers))
        _assert_unauthorized(api.client.post("/api/events", json=filed("X"), headers=headers))
        assert position(api) == 0
        for path in PUBLIC_ROUTES:
            assert api.client.get(path, headers=headers).status_code == 200, path


def test_a_revoked_token_answers_401_and_the_other_tokens_keep_working(api):
    [record] = [t for t in api.platform.tokens.all() if t.role == "registry"]
    assert token_name(api, "registry") == record.name
    revoke_token(api.platform.tokens, record.name)
    for path in READ_ROUTES:
        _assert_unauthorized(api.client.get(path, headers=api.headers("registry")))
    _assert_unauthorized(post(api, "registry", filed("X")))
    assert position(api) == 1  # the revocation, recorded; nothing else
    assert [t.revoked_at is not None for t in api.platform.tokens.all() if t.name == record.name] == [True]
    recorded(api, "admin", filed("X"))


# ---- POST /api/events: 201, 200 no-op, 409, 422, body errors ------------------------------------


def test_one_event_or_an_array_is_recorded_with_201_recorded_and_position(api):
    single = post(api, "admin", filed("A"))
    assert single.status_code == 201
    assert single.json() == {"recorded": 1, "position": api.start + 1, "duplicates": 0}
    batch = post(api, "admin", [enrolled("A", 3), staff("A", 2, 1), guidance(9, township="dayu")])
    assert batch.status_code == 201
    assert batch.json() == {"recorded": 3, "position": api.start + 4, "duplicates": 0}
    assert events_recorded(api) == position(api) == 4


def test_the_same_event_again_is_a_no_op_answered_200_with_recorded_0(api):
    event = filed("A")
    recorded(api, "registry", event)
    again = post(api, "registry", event)
    assert again.status_code == 200, again.text
    assert again.json() == {"recorded": 0, "position": api.start + 1, "duplicates": 1}
    # Re-sent by another role that may record it: still the same event, still nothing new.
    assert post(api, "admin", event).json()["recorded"] == 0
    # A batch of an old event and a new one records the new one only.
    mixed = post(api, "registry", [event, enrolled("A", 1)])
    assert mixed.status_code == 201
    assert mixed.json() == {"recorded": 1, "position": api.start + 2, "duplicates": 1}
    assert [e["event"]["event_id"] for e in read(api, "/api/institutions/A")["events"]].count(event["event_id"]) == 1


def test_a_reused_event_id_with_other_content_is_409_and_nothing_is_recorded(api):
    event = filed("A", slots=20)
    recorded(api, "registry", event)
    other = {**event, "slots": 25}
    body = refused(api, "admin", [guidance(3, township="dayu"), other], status=409)
    [problem] = body["errors"]
    assert problem["index"] == 1 and problem["event_id"] == event["event_id"] and problem["field"] == "event_id"
    assert "different content" in problem["message"]
    assert read(api, "/api/institutions/A")["institution"]["slots"] == 20


def test_writers_that_keep_colliding_get_409_and_nothing_is_recorded(api, monkeypatch):
    def always_beaten(*args, **kwargs):
        raise IntegrityError("another writer changed the aggregate first")

    monkeypatch.setattr("tuoyu.domain.application.RETRY_SECONDS", 0.1)
    monkeypatch.setattr(api.platform.registry, "save", always_beaten)
    body = refused(api, "admin", [filed("A"), enrolled("A", 1)], status=409)
    assert "concurrent" in body["errors"][0]["message"]


def test_an_invalid_batch_is_422_with_index_event_id_field_and_message_and_nothing_recorded(api):
    recorded(api, "admin", filed("A", slots=10))
    good, bad_schema, bad_rule = enrolled("A", 2), filed("B", slots="many"), enrolled("A", 50)
    body = refused(api, "admin", [good, bad_schema, bad_rule], status=422)
    problems = {p["index"]: p for p in body["errors"]}
    assert set(problems) == {1, 2}
    assert all(set(p) == {"index", "event_id", "field", "message"} for p in body["errors"])
    assert (problems[1]["event_id"], problems[1]["field"]) == (bad_schema["event_id"], "slots")
    assert "integer" in problems[1]["message"]
    assert (problems[2]["event_id"], problems[2]["field"]) == (bad_rule["event_id"], "children")
    assert "ChildrenEnrolled rejected" in problems[2]["message"]
    assert read(api, "/api/institutions/A")["institution"]["enrolled"] == 0
    no_id = refused(api, "admin", {"type": "ParentingGuidanceHeld"}, status=422)
    assert no_id["errors"][0]["index"] == 0 and no_id["errors"][0]["event_id"] is None


def test_a_body_that_is_not_events_is_refused_and_nothing_is_recorded(api):
    for content, content_type, status in [
        (b"[]", "application/json", 422),  # an empty array
        (b'"InstitutionFiled"', "application/json", 422),  # neither an event nor an array
        (b"{not json", "application/json", 400),
        (b"", "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),  # not UTF-8
        (b"{}", "text/plain", 415),
    ]:
        response = api.client.post(
            "/api/events", content=content, headers={**api.headers("admin"), "Content-Type": content_type}
        )
        assert response.status_code == status, (content, response.text)
        assert response.json()["error"]
        if status == 422:
            [problem] = response.json()["errors"]
            assert set(problem) == {"index", "event_id", "field", "message"} and problem["message"]
        assert position(api) == 0


# ---- GET /api/kpi --------------------------------------------------------------------------------


def _record_a_district(api) -> None:
    recorded(
        api,
        "registry",
        filed("A", township="dayu", slots=40, inclusive=True, location={"lat": 39.93, "lon": 116.1}),
        filed("B", township="chengzi", slots=30),
        filed("C", township="dayu", slots=10, kind="private"),
    )
    recorded(api, "township:dayu", enrolled("A", 12), staff("A", 6, 4), enrolled("C", 3))
    recorded(api, "township:chengzi", enrolled("B", 10), staff("B", 5, 5))
    recorded(api, "township:dayu", closed("C", emergency=True))
    recorded(
        api,
        "inspector",
        inspection("A", "I-1", rectify_by=shanghai_today(-10)),
        inspection("B", "I-2", rectify_by=shanghai_today(20)),
        graded("B"),
    )
    recorded(
        api,
        "admin",
        training("head", 5),
        training("caregiver", 8, township="dayu"),
        guidance(30, township="dayu"),
        # due in the past, so that `expected` does not move with the clock between two reads
        target("district", "slots_total", 100, start="2024-01-01", due="2024-12-31"),
        target("dayu", "certified_share", 0.9, start="2024-01-01", due="2024-12-31"),
    )


def _without_times(snapshot):
    return {k: v for k, v in snapshot.items() if k not in ("as_of", "known_at")}


def test_the_live_kpi_snapshot_equals_a_replay_of_the_store(api):
    _record_a_district(api)
    api.wait_for_view()
    live = read(api, "/api/kpi")
    replayed = replay_snapshot(read_facts(api.platform.registry.recorder), clock.now())
    assert _without_times(live) == _without_times(replayed)
    assert live["position"] == api.start + position(api)
    assert set(live["townships"]) == set(TOWNSHIP_IDS)
    dayu = live["townships"]["dayu"]
    assert (dayu["slots_total"], dayu["slots_inclusive"], dayu["enrolled"]) == (40, 40, 12)
    assert (dayu["emergency_closures_open"], dayu["children_awaiting_rehoming"]) == (1, 3)
    assert (dayu["rectifications_open"], dayu["rectifications_overdue"]) == (1, 1)
    assert (dayu["caregivers_trained"], dayu["guidance_activities"], dayu["guidance_participants"]) == (8, 1, 30)
    assert live["district"]["heads_trained"] == 5 and live["district"]["slots_total"] == 70
    assert {(t["scope"], t["kpi"], t["status"]) for t in live["targets"]} == {
        ("district", "slots_total", "missed"),
        ("dayu", "certified_share", "missed"),
    }


def test_the_kpi_snapshot_as_of_a_business_time_and_a_knowledge_time_equals_a_replay_and_bad_times_are_422(api):
    recorded(api, "admin", filed("A", slots=20, occurred_at="2024-03-01T09:00:00+08:00"))
    between = clock.now()
    time.sleep(0.02)
    recorded(
        api,
        "admin",
        filed("B", slots=30, occurred_at="2025-03-01T09:00:00+08:00"),
        enrolled("A", 4, occurred_at="2025-03-02T09:00:00+08:00"),
    )
    facts = lambda: read_facts(api.platform.registry.recorder)  # noqa: E731
    cases = [
        ({"as_of": "2024-12-31"}, 20, 3),
        ({"known_at": between.isoformat()}, 20, 1),
        ({"as_of": "2025-03-01T12:00:00+08:00", "known_at": clock.now().isoformat()}, 50, 3),
        ({"as_of": "2024-12-31", "known_at": "2020-01-01"}, 0, 0),
    ]
    for params, slots, at in cases:
        snapshot = read(api, "/api/kpi", **params)
        as_of, known_at = (parse_moment(params[n], n) if n in params else None for n in ("as_of", "known_at"))
        replayed = replay_snapshot(facts(), clock.now(), as_of, known_at)
        if as_of is None:
            assert _without_times(snapshot) == _without_times(replayed), params
        else:
            assert snapshot == replayed, params
        assert snapshot["district"]["slots_total"] == slots, params
        assert snapshot["position"] == api.start + at, params
    assert read(api, "/api/kpi", as_of="2024-12-31")["as_of"] == "2024-12-31T23:59:59+08:00"
    assert read(api, "/api/kpi", as_of="2025-03-01T12:00:00+08:00")["district"]["enrolled"] == 0
    # A time that is not a date or a date-time is 422, naming the parameter.
    for params, field in [
        ({"as_of": "yesterday"}, "as_of"),
        ({"as_of": "2024-13-01"}, "as_of"),
        ({"known_at": "soon"}, "known_at"),
        ({"as_of": "2024-12-31", "known_at": "x"}, "known_at"),
    ]:
        response = api.client.get("/api/kpi", params=params, headers=api.headers("auditor"))
        assert response.status_code == 422, response.text
        [problem] = response.json()["errors"]
        assert problem["field"] == field and params[field] in problem["message"]


# ---- GET /api/institutions/{id} ---------------------------------------------------------------------


def test_an_institution_shows_its_state_and_its_events_oldest_first_with_who_recorded_each_and_unknown_is_404(api):
    events = [
        (("registry", filed("A", slots=20, address="新桥大街 1 号"))),
        ("township:dayu", enrolled("A", 6)),
        ("inspector", inspection("A", "I-1", rectify_by=shanghai_today(5))),
        ("admin", capacity("A", 25)),
        ("township:dayu", staff("A", 3, 2)),
    ]
    for role, event in events:
        recorded(api, role, event)
    recorded(api, "admin", filed("OTHER"), enrolled("OTHER", 1))
    found = read(api, "/api/institutions/A")
    state = found["institution"]
    assert (state["institution_id"], state["township"], state["slots"], state["enrolled"]) == ("A", "dayu", 25, 6)
    assert state["operating"] is True and state["open_rectifications"] == ["I-1"]
    assert state["name"] == "托育点 A" and state["address"] == "新桥大街 1 号"
    assert found["version"] == len(events)
    assert [e["event"] for e in found["events"]] == [event for _, event in events]
    assert [e["version"] for e in found["events"]] == list(range(1, len(events) + 1))
    recorded_at = [e["recorded_at"] for e in found["events"]]
    assert recorded_at == sorted(recorded_at)
    assert [e["recorded_by"] for e in found["events"]] == [f"{token_name(api, role)} ({role})" for role, _ in events]
    assert all(e["occurred_at"] == e["event"]["occurred_at"] for e in found["events"])
    response = api.client.get("/api/institutions/NOPE", headers=api.headers("auditor"))
    assert response.status_code == 404
    assert "NOPE" in response.json()["error"]


# ---- GET /api/closures and /api/rectifications ------------------------------------------------------


def test_closures_open_lists_emergency_closures_with_children_awaiting_and_all_lists_every_closure(api):
    at = lambda day: f"2024-0{day}-01T09:00:00+08:00"  # noqa: E731
    recorded(
        api,
        "admin",
        filed("OPEN"),
        enrolled("OPEN", 5),
        closed("OPEN", emergency=True, occurred_at=at(5)),
        filed("DONE", township="chengzi"),
        enrolled("DONE", 3),
        closed("DONE", emergency=True, occurred_at=at(4)),
        rehomed("DONE", 3),
        filed("CALM"),
        enrolled("CALM", 2),
        closed("CALM", emergency=False, occurred_at=at(3)),
        filed("BACK"),
        enrolled("BACK", 4),
        closed("BACK", emergency=True, occurred_at=at(2)),
        reopened("BACK", occurred_at=at(6)),
    )
    api.wait_for_view()
    open_ = read(api, "/api/closures", status="open")
    assert open_["status"] == "open"
    [only] = open_["closures"]
    assert (only["institution_id"], only["township"], only["children_awaiting"], only["open"]) == (
        "OPEN",
        "dayu",
        5,
        True,
    )
    assert only["name"] == "托育点 OPEN" and only["emergency"] is True
    assert read(api, "/api/closures") == open_, "open is the default"
    every = read(api, "/api/closures", status="all")["closures"]
    assert [c["institution_id"] for c in every] == ["OPEN", "DONE", "CALM", "BACK"], "newest first"
    assert {c["institution_id"]: c["open"] for c in every} == {
        "OPEN": True,
        "DONE": False,
        "CALM": False,
        "BACK": False,
    }
    assert {c["institution_id"]: c["children_rehomed"] for c in every}["DONE"] == 3
    assert next(c for c in every if c["institution_id"] == "BACK")["reopened_at"] == at(6)
    assert read(api, "/api/kpi")["district"]["emergency_closures_open"] == len(open_["closures"])


def test_rectifications_open_overdue_and_all_follow_the_rectify_by_date_and_completion_and_bad_status_is_422(api):
    recorded(api, "admin", filed("A"), filed("B", township="yongding"))
    late, due, done = shanghai_today(-10), shanghai_today(30), shanghai_today(-40)
    recorded(
        api,
        "inspector",
        inspection("A", "LATE", rectify_by=late),
        inspection("B", "DUE", rectify_by=due),
        inspection("A", "DONE", rectify_by=done),
        inspection("B", "PASS", outcome="pass"),
        rectified("A", "DONE"),
    )
    api.wait_for_view()
    listed = {status: read(api, "/api/rectifications", status=status) for status in ("open", "overdue", "all")}
    assert all(listed[s]["status"] == s for s in listed)
    ids = {s: [r["inspection_id"] for r in listed[s]["rectifications"]] for s in listed}
    assert ids == {"open": ["LATE", "DUE"], "overdue": ["LATE"], "all": ["DONE", "LATE", "DUE"]}
    assert read(api, "/api/rectifications") == listed["open"], "open is the default"
    late_case = listed["overdue"]["rectifications"][0]
    assert (late_case["institution_id"], late_case["township"], late_case["rectify_by"]) == ("A", "dayu", late)
    assert late_case["open"] is True and late_case["overdue"] is True and late_case["completed_at"] is None
    done_case = listed["all"]["rectifications"][0]
    assert done_case["open"] is False and done_case["completed_at"] is not None
    district = read(api, "/api/kpi")["district"]
    assert (district["rectifications_open"], district["rectifications_overdue"]) == (2, 1)
    # A status the lists do not know is 422.
    for path, status in [
        ("/api/closures", "overdue"),
        ("/api/closures", "closed"),
        ("/api/rectifications", "late"),
        ("/api/rectifications", ""),
    ]:
        response = api.client.get(path, params={"status": status}, headers=api.headers("auditor"))
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "status"


# ---- GET /api/registry (public) ----------------------------------------------------------------------

PUBLIC_PROPERTIES = {
    "institution_id",
    "name",
    "kind",
    "kind_zh",
    "township",
    "township_zh",
    "address",
    "slots",
    "inclusive",
    "monthly_fee_yuan",
    "location_source",
}


def test_the_public_registry_is_geojson_of_operating_institutions_with_public_fields_only(api):
    assert api.client.get("/api/registry").json() == {"type": "FeatureCollection", "features": []}
    recorded(
        api,
        "registry",
        filed(
            "LOC",
            township="datai",
            slots=30,
            inclusive=True,
            address="军庄路 8 号",
            monthly_fee_yuan=1800,
            location={"lat": 39.95, "lon": 116.05},
            operator="某公司",
            credit_code="91110109MA01ABCD2X",
        ),
        filed("NOLOC", township="qingshui", slots=12, kind="employer"),
        filed("SHUT", township="dayu"),
        filed("AGAIN", township="dayu", slots=8),
    )
    recorded(api, "township:datai", enrolled("LOC", 9), staff("LOC", 4, 3))
    recorded(api, "inspector", inspection("LOC", "I-1", rectify_by=shanghai_today(-1)), graded("LOC"))
    recorded(
        api,
        "admin",
        closed("SHUT"),
        closed("AGAIN", emergency=False),
        reopened("AGAIN", slots=10),
        granted("NOLOC", monthly_fee_yuan=900),
    )
    api.wait_for_view()
    response = api.client.get("/api/registry")  # no token
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert set(features) == {"LOC", "NOLOC", "AGAIN"}, "only operating institutions"
    for feature in features.values():
        assert set(feature) == {"type", "id", "geometry", "properties"}
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
        assert set(feature["properties"]) == PUBLIC_PROPERTIES
    loc = features["LOC"]
    assert loc["geometry"]["coordinates"] == [116.05, 39.95]
    assert loc["properties"] == {
        "institution_id": "LOC",
        "name": "托育点 LOC",
        "kind": "community",
        "kind_zh": "社区托育点",
        "township": "datai",
        "township_zh": loc["properties"]["township_zh"],
        "address": "军庄路 8 号",
        "slots": 30,
        "inclusive": True,
        "monthly_fee_yuan": 1800,
        "location_source": "filed",
    }
    noloc = features["NOLOC"]["properties"]
    centroid = CENTROIDS["qingshui"]
    assert features["NOLOC"]["geometry"]["coordinates"] == [centroid["lon"], centroid["lat"]]
    assert noloc["location_source"] == "township_centroid"
    assert (noloc["inclusive"], noloc["monthly_fee_yuan"], noloc["kind"]) == (True, 900, "employer")
    assert features["AGAIN"]["properties"]["slots"] == 10
    text = response.text
    for secret in (
        "enrolled",
        "caregivers",
        "inspection",
        "closure",
        "rectif",
        "risk",
        "credit",
        "operator",
        "某公司",
        "91110109MA01ABCD2X",
    ):
        assert secret not in text, f"{secret!r} is not public"


# ---- GET /metrics -------------------------------------------------------------------------------------


def test_the_metric_table_of_this_suite_is_the_one_of_kpis_md():
    assert metrics_table_of_kpis_md(KPIS_MD.read_text(encoding="utf-8")) == CONTRACT_METRICS


def test_metrics_publish_every_contract_metric_with_its_labels_and_the_values_of_the_kpi_snapshot(api):
    _record_a_district(api)
    api.wait_for_view()
    snapshot = read(api, "/api/kpi")
    samples = scrape(api)
    for name, labels in CONTRACT_METRICS.items():
        assert name in samples, f"{name} is missing"
        assert all(set(got) == set(labels) for got, _ in samples[name]), f"{name}: {samples[name][:3]}"
    for name in TOWNSHIP_METRIC_FIGURES:
        assert {got["township"] for got, _ in samples[name]} == set(TOWNSHIP_IDS), name
    assert {(got["township"], got["kind"]) for got, _ in samples["childcare_institutions"]} == {
        (t, k) for t in TOWNSHIP_IDS for k in INSTITUTION_KINDS
    }
    assert {got["course"] for got, _ in samples["childcare_trained_people"]} == set(COURSES)
    for township in ("dayu", "chengzi", "miaofengshan"):
        figures = snapshot["townships"][township]
        for name, figure in TOWNSHIP_METRIC_FIGURES.items():
            assert sample(samples, name, township=township) == figures[figure], (township, name)
        for kind in INSTITUTION_KINDS:
            assert (
                sample(samples, "childcare_institutions", township=township, kind=kind)
                == figures["institutions_by_kind"][kind]
            )
    assert sample(samples, "childcare_slots", township="dayu") == 40
    assert sample(samples, "childcare_children_awaiting_rehoming", township="dayu") == 3
    assert sample(samples, "childcare_rectifications_overdue", township="dayu") == 1
    for course, figure in (
        ("head", "heads_trained"),
        ("caregiver", "caregivers_trained"),
        ("health", "health_trained"),
    ):
        assert sample(samples, "childcare_trained_people", course=course) == snapshot["district"][figure]
    assert len(snapshot["targets"]) == 2
    for t in snapshot["targets"]:
        key = {"scope": t["scope"], "kpi": t["kpi"]}
        assert sample(samples, "childcare_target_value", **key) == t["value"]
        assert sample(samples, "childcare_target_expected", **key) == t["expected"]
        assert sample(samples, "childcare_target_actual", **key) == t["actual"]
        assert sample(samples, "childcare_target_due_timestamp_seconds", **key) == day_end(t["due"]).timestamp()
        assert sample(samples, "childcare_target_behind", **key) == (1 if t["status"] in ("behind", "missed") else 0)
    assert sample(samples, "childcare_events_recorded") == api.start + position(api) == snapshot["position"]
    assert sample(samples, "childcare_projection_position", view=VIEW_NAME) == api.start + position(api)
    assert any(name.startswith("process_") for name in samples)
    assert any(name.startswith("python_") for name in samples)
    for name, _ in samples.items():
        if name.startswith("childcare_"):
            for got, _ in samples[name]:
                assert not {"institution_id", "name", "institution"} & set(got), name
    # They follow new events once the view has applied them.
    recorded(api, "township:longquan", filed("L", township="longquan", slots=15))
    api.wait_for_view()
    samples = scrape(api)
    assert sample(samples, "childcare_slots", township="longquan") == 15
    assert sample(samples, "childcare_events_recorded") == api.start + position(api)


# ---- GET /healthz and /openapi.json -----------------------------------------------------------------


def test_healthz_reports_the_store_reachable_the_projector_position_and_its_lag_or_503_when_unreachable(
    api, monkeypatch
):
    empty = api.client.get("/healthz").json()
    assert empty == {
        "status": "ok",
        "store": "reachable",
        "events_recorded": api.start,
        "projection_position": api.start,
        "projection_lag": 0,
    }
    recorded(api, "admin", filed("A"), enrolled("A", 1), guidance(3, township="dayu"))
    health = api.client.get("/healthz").json()
    assert health["events_recorded"] == api.start + 3
    assert health["projection_lag"] == health["events_recorded"] - health["projection_position"] >= 0
    api.wait_for_view()
    assert api.client.get("/healthz").json() == {
        **empty,
        "events_recorded": api.start + 3,
        "projection_position": api.start + 3,
    }

    def down():
        raise ConnectionError("connection refused")

    monkeypatch.setattr(api.platform.registry, "position", down)
    response = api.client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable" and "connection refused" in response.json()["store"]


def test_openapi_lists_every_route_with_its_method_and_the_interchange_schema(api):
    document = api.client.get("/openapi.json").json()
    expected = {
        ("/api/events", "post"),
        ("/api/kpi", "get"),
        ("/api/institutions/{institution_id}", "get"),
        ("/api/closures", "get"),
        ("/api/rectifications", "get"),
        ("/api/registry", "get"),
        ("/api/whoami", "get"),
        ("/metrics", "get"),
        ("/healthz", "get"),
        ("/api/incidents", "get"),
    }
    listed = {(path, method) for path, item in document["paths"].items() for method in item}
    assert expected <= listed
    served = {
        (route.path, method.lower())
        for route in api.client.app.routes
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in route.methods
    }
    assert served <= listed, f"served but not documented: {served - listed}"
    schemas = document["components"]["schemas"]
    assert "InterchangeEvent" in schemas and all(t in schemas for t in ALL_TYPES)


# ---- the live snapshot cache ----------------------------------------------------------------------


def test_a_view_change_while_the_live_snapshot_is_built_is_not_hidden_by_the_cache(api, monkeypatch):
    """The projector may apply events and invalidate the cached snapshot just as a reader finishes
    building it from the older view; the next read must rebuild, not serve the old one for 30 s."""
    import tuoyu.service.platform as platform_module

    built = []
    original = platform_module.build_snapshot

    def build_then_the_view_changes(*args, **kwargs):
        snapshot = original(*args, **kwargs)
        built.append(snapshot["position"])
        if len(built) == 1:
            api.platform._invalidate()  # what the projector's on_change does after applying an event
        return snapshot

    monkeypatch.setattr(platform_module, "build_snapshot", build_then_the_view_changes)
    monkeypatch.setattr(platform_module, "SNAPSHOT_MIN_AGE_SECONDS", 0.0)
    api.platform.refresh_snapshot()
    api.platform.live_snapshot()
    api.platform.live_snapshot()
    assert len(built) == 2, "a snapshot built while the view changed must not be cached"
    api.platform.live_snapshot()
    assert len(built) == 2, "an unchanged view is served from the cache"


def test_while_events_stream_in_the_live_snapshot_is_rebuilt_at_most_once_a_second(api, monkeypatch):
    import tuoyu.service.platform as platform_module

    built = []
    original = platform_module.build_snapshot
    monkeypatch.setattr(platform_module, "build_snapshot", lambda *a, **k: built.append(1) or original(*a, **k))
    api.platform.refresh_snapshot()
    api.platform.live_snapshot()
    api.platform._invalidate()
    api.platform.live_snapshot()
    assert len(built) == 1, "a change within the second is served from the cache"
    monkeypatch.setattr(platform_module, "SNAPSHOT_MIN_AGE_SECONDS", 0.0)
    api.platform.live_snapshot()
    assert len(built) == 2, "once the second has passed, the change is shown"


def test_a_township_officer_resending_another_townships_event_is_refused_not_told_it_exists(api):
    event = {
        "event_id": "foreign-1",
        "type": "InstitutionFiled",
        "occurred_at": "2024-03-01T09:00:00+08:00",
        "institution_id": "CZ-1",
        "name": "城子托育点",
        "township": "chengzi",
        "kind": "community",
        "slots": 20,
        "inclusive": True,
    }
    assert post(api, "registry", event).status_code == 201
    again = post(api, "township:dayu", event)
    assert again.status_code == 403, again.text
    assert "township:dayu" in again.json()["error"]
