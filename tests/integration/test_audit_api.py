"""/api/audit/...: trails, diffs, verification and checkpoints, for the auditor and admin roles."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.integration.api_helpers import ROLES, read, recorded
from tests.integration.audit_helpers import Tables
from tests.support.builders import CST, capacity, enrolled, filed

K0 = datetime(2025, 1, 10, 9, 0, tzinfo=CST)
K1 = datetime(2025, 1, 20, 9, 0, tzinfo=CST)
AUDIT_PATHS = [
    "/api/audit/trail/A1",
    "/api/audit/diff?from=2025-01-15&to=2025-01-25",
    "/api/audit/verify",
    "/api/audit/checkpoint",
]


@pytest.fixture
def audited(api):
    """Events recorded on 10 January, then a late filing and a correction on 20 January."""
    api.platform.registry.clock = lambda: K0
    recorded(
        api,
        "admin",
        filed("A1", slots=20, occurred_at="2025-01-05T09:00:00+08:00"),
        enrolled("A1", 5, occurred_at="2025-01-06T09:00:00+08:00"),
    )
    api.platform.registry.clock = lambda: K1
    recorded(
        api,
        "registry",
        filed("A2", slots=10, township="longquan", occurred_at="2025-01-08T09:00:00+08:00"),
        capacity("A1", 25, occurred_at="2025-01-09T09:00:00+08:00"),
    )
    return api


@pytest.mark.parametrize("path", AUDIT_PATHS)
def test_only_auditors_and_admins_read_the_audit_routes(audited, path):
    for role in ROLES:
        response = audited.client.get(path, headers=audited.headers(role))
        if role in ("auditor", "admin"):
            assert response.status_code == 200, (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert "auditor" in response.json()["error"]
    assert audited.client.get(path).status_code == 401


def test_the_trail_names_who_recorded_each_event_and_when(audited):
    trail = read(audited, "/api/audit/trail/A1")["events"]
    assert [(e["type"], e["recorded_at"][:10], e["recorded_by"].split(" ")[-1]) for e in trail] == [
        ("InstitutionFiled", "2025-01-10", "(admin)"),
        ("ChildrenEnrolled", "2025-01-10", "(admin)"),
        ("CapacityChanged", "2025-01-20", "(registry)"),
    ]


def test_the_trail_of_an_unknown_institution_is_404(audited):
    response = audited.client.get("/api/audit/trail/NOPE", headers=audited.headers("auditor"))
    assert response.status_code == 404 and "NOPE" in response.json()["error"]


def test_the_diff_names_the_changed_figures_and_the_late_events(audited):
    diff = read(audited, "/api/audit/diff", **{"from": "2025-01-15", "to": "2025-01-25", "as_of": "2025-01-12"})
    changes = {c["path"]: (c["before"], c["after"]) for c in diff["changes"]}
    assert changes["district.slots_total"] == (20, 35)
    assert [(e["type"], e["late"]) for e in diff["events"]] == [("InstitutionFiled", True), ("CapacityChanged", True)]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"to": "2025-01-25"}, "from"),
        ({"from": "2025-01-01"}, "to"),
        ({"from": "yesterday", "to": "2025-01-25"}, "from"),
        ({"from": "2025-01-01", "to": "2025-01-25", "as_of": "2025-02-30"}, "as_of"),
        ({"from": "2025-01-01", "to": "9999-12-31T23:00:00-14:00"}, "to"),
        ({"from": "2025-02-01", "to": "2025-01-25"}, "from"),
    ],
)
def test_bad_diff_parameters_are_400_naming_the_parameter(audited, params, field):
    response = audited.client.get("/api/audit/diff", headers=audited.headers("auditor"), params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["errors"][0]["field"] == field and field in body["error"]


def test_verify_and_checkpoint_report_a_tampered_record(audited):
    assert read(audited, "/api/audit/verify")["intact"] is True
    checkpoint = read(audited, "/api/audit/checkpoint")
    tokens = len(audited.tokens)  # each token's grant is an event in the record, before the four
    assert (checkpoint["position"], checkpoint["events"]) == (tokens + 4, tokens + 4)
    tables = Tables(audited.settings)
    tables.execute(f"DELETE FROM {tables.events} WHERE {tables.position} = 2")
    result = read(audited, "/api/audit/verify")
    assert result["intact"] is False
    assert (result["finding"]["kind"], result["finding"]["position"]) == ("deleted", 2)
    response = audited.client.get("/api/audit/checkpoint", headers=audited.headers("admin"))
    assert response.status_code == 409


def test_recording_into_a_store_altered_behind_the_platform_is_refused_with_503(audited):
    """The newest event deleted straight in the table (and, on PostgreSQL, its id handed out
    again): the chain cannot be extended, so nothing is recorded and the answer says why."""
    tables = Tables(audited.settings)
    newest = tables.execute(f"SELECT MAX({tables.position}) FROM {tables.events}")[0][0]
    tables.execute(f"DELETE FROM {tables.events} WHERE {tables.position} = ?", (newest,))
    if tables.postgres:
        tables.execute(f"SELECT setval(pg_get_serial_sequence('{tables.events}', 'notification_id'), {newest - 1})")
    before = tables.execute(f"SELECT COUNT(*) FROM {tables.events}")
    response = audited.client.post("/api/events", json=filed("A3"), headers=audited.headers("admin"))
    assert response.status_code == 503, response.text
    assert "平台之外被改动" in response.json()["error"]
    assert tables.execute(f"SELECT COUNT(*) FROM {tables.events}") == before
