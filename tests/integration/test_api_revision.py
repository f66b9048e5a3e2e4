"""The API of kpis.md's revision of 2026-11-30, in-process on SQLite and PostgreSQL: incidents
recorded by the roles that may, GET /api/incidents, an institution's supervision, the new
figures in the live snapshot and the new series on /metrics."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.integration.api_helpers import read, recorded, refused, sample, scrape
from tests.support.builders import fee_cap, filed, graded, incident, inspection, population, resolved, target
from tuoyu import clock
from tuoyu.projections.facts import SHANGHAI
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import replay_snapshot

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=SHANGHAI)  # after every event below (most occur on 2024-06-01)


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.set_to(NOW):
        yield


SCORES = {
    "management": 81,
    "staffing": 77,
    "environment": 90,
    "safety": 66,
    "health": 84,
    "family_community": 79,
    "activities": 88,
}


def test_incidents_open_and_all_newest_first_with_township_category_severity_and_times(api):
    recorded(api, "registry", filed("A", township="dayu", name="大峪托育点"), filed("B", township="qingshui"))
    recorded(
        api,
        "inspector",
        incident(
            "A",
            "F-1",
            category="food_safety",
            severity="serious",
            children_affected=6,
            occurred_at="2024-06-01T09:00:00+08:00",
        ),
    )
    recorded(
        api,
        "township:qingshui",
        incident("B", "P-1", category="personal_safety", severity="general", occurred_at="2024-06-03T09:00:00+08:00"),
        resolved("B", "P-1", occurred_at="2024-06-04T09:00:00+08:00"),
    )
    api.wait_for_view()
    found = read(api, "/api/incidents", "oncall")
    assert found["status"] == "open"
    [open_one] = found["incidents"]
    assert {
        k: open_one[k]
        for k in (
            "incident_id",
            "institution_id",
            "name",
            "township",
            "category",
            "severity",
            "children_affected",
            "reported_at",
            "resolved_at",
            "open",
        )
    } == {
        "incident_id": "F-1",
        "institution_id": "A",
        "name": "大峪托育点",
        "township": "dayu",
        "category": "food_safety",
        "severity": "serious",
        "children_affected": 6,
        "reported_at": "2024-06-01T09:00:00+08:00",
        "resolved_at": None,
        "open": True,
    }
    every = read(api, "/api/incidents", "township:chengzi", status="all")["incidents"]
    assert [(i["incident_id"], i["open"], i["resolved_at"]) for i in every] == [
        ("P-1", False, "2024-06-04T09:00:00+08:00"),
        ("F-1", True, None),
    ]


def test_an_unknown_incident_status_is_422_and_no_token_is_401(api):
    response = api.client.get("/api/incidents", params={"status": "closed"}, headers=api.headers("auditor"))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "status"
    assert api.client.get("/api/incidents").status_code == 401


def test_resolving_an_incident_that_is_not_open_is_422_and_records_nothing(api):
    recorded(api, "admin", filed("A"))
    body = refused(api, "inspector", resolved("A", "NOPE"), status=422)
    assert body["errors"][0]["field"] == "incident_id" and "no open incident NOPE" in body["errors"][0]["message"]


def test_an_institution_shows_its_grade_latest_scores_latest_outcome_and_open_incidents(api):
    recorded(
        api,
        "admin",
        filed("A"),
        graded("A", risk="high", credit="C"),
        inspection("A", "Q-1", outcome="pass", kind="quality_assessment", scores=SCORES),
        inspection("A", "I-2", outcome="fail", kind="unannounced"),
        incident("A", "F-1", occurred_at="2024-06-05T09:00:00+08:00"),
        incident("A", "F-2", category="fire_safety", severity="major", occurred_at="2024-06-02T09:00:00+08:00"),
        incident("A", "F-3"),
        resolved("A", "F-3"),
    )
    state = read(api, "/api/institutions/A")["institution"]
    assert (state["risk"], state["credit"], state["latest_inspection_outcome"]) == ("high", "C", "fail")
    assert state["latest_quality_scores"] == SCORES
    assert [(i["incident_id"], i["category"], i["severity"]) for i in state["open_incidents"]] == [
        ("F-2", "fire_safety", "major"),
        ("F-1", "food_safety", "serious"),
    ]


def test_the_live_snapshot_carries_the_new_figures_and_targets_and_equals_a_replay(api):
    recorded(
        api,
        "admin",
        filed("A", inclusive=True, monthly_fee_yuan=2600),
        population("dayu", 2024, 20_000),
        fee_cap(2500, "2024-01-01"),
        incident("A", "F-1"),
        target("district", "slots_per_1000", 4.5, responsible=["health_commission", "education_commission"]),
    )
    api.wait_for_view()
    live = read(api, "/api/kpi")
    dayu = live["townships"]["dayu"]
    assert (dayu["population"], dayu["slots_per_1000"], dayu["inclusive_over_cap"], dayu["incidents_open_serious"]) == (
        20_000,
        1.0,
        1,
        1,
    )
    assert live["district"]["inclusive_fee_cap_yuan"] == 2500
    [goal] = live["targets"]
    assert goal["responsible"] == ["health_commission", "education_commission"]
    assert goal["actual"] == 0  # the district has no population of its own reported: null counts 0
    assert replay_snapshot(read_facts(api.platform.registry.recorder), NOW) == live


def test_metrics_publish_the_new_series_of_the_live_view(api):
    recorded(
        api,
        "admin",
        filed("A", township="yanchi", inclusive=True, monthly_fee_yuan=2600),
        graded("A", risk="high", credit="D"),
        fee_cap(2500, "2024-01-01"),
        population("district", 2024, 400_000),
        incident("A", "F-1", category="health", severity="major"),
        target("district", "new_slots", 10, start="2024-01-01", due="2024-12-31", responsible=["finance"]),
    )
    api.wait_for_view()
    samples = scrape(api)
    assert sample(samples, "childcare_incidents_open", township="yanchi", category="health", severity="major") == 1
    assert sample(samples, "childcare_institutions_by_risk", township="yanchi", risk="high") == 1
    assert sample(samples, "childcare_high_risk_uninspected", township="yanchi") == 1
    assert sample(samples, "childcare_inclusive_over_cap", township="yanchi") == 1
    assert sample(samples, "childcare_inclusive_fee_cap_yuan") == 2500
    assert sample(samples, "childcare_population", scope="district") == 400_000
    assert sample(samples, "childcare_target_responsible", scope="district", kpi="new_slots", unit="finance") == 1
    assert sample(samples, "childcare_target_actual_at_due", scope="district", kpi="new_slots") == 20
