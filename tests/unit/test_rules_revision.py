"""The rules of kpis.md's revision of 2026-11-30, on the in-memory store: incidents, population
reports, fee caps and the new TargetSet kpis and `responsible`. Each rejection checks the field,
the words of the message and that nothing of the batch was recorded."""

from __future__ import annotations

import pytest

from tests.support.builders import (
    NOW,
    assert_problem,
    closed,
    enrolled,
    fee_cap,
    filed,
    guidance,
    incident,
    institution,
    population,
    record,
    rejected,
    resolved,
    stored_event_ids,
    target,
)
from tests.support.builders import in_memory_app as memory_registry
from tuoyu.domain.catalogue import ACCEPTED_WHEN_CLOSED, UNIT_IDS


@pytest.fixture
def app():
    registry = memory_registry(NOW)
    yield registry
    registry.close()


# ---- incidents --------------------------------------------------------------------------------


def test_an_incident_is_reported_and_resolved_and_the_institution_shows_it_open_meanwhile(app):
    record(app, filed("A"), incident("A", "INC-1", category="fire_safety", severity="general"))
    assert list(institution(app, "A").open_incidents) == ["INC-1"]
    assert institution(app, "A").open_incidents["INC-1"]["category"] == "fire_safety"
    record(app, resolved("A", "INC-1"))
    assert institution(app, "A").open_incidents == {}


def test_a_closed_institution_accepts_incidents_reported_and_resolved():
    assert {"IncidentReported", "IncidentResolved"} <= ACCEPTED_WHEN_CLOSED


def test_an_incident_can_come_to_light_after_the_closure_and_be_resolved(app):
    record(app, filed("A"), closed("A", emergency=False))
    assert record(app, incident("A", "INC-1"), resolved("A", "INC-1")).recorded == 2


def test_an_incident_id_reported_twice_is_rejected_even_for_another_institution(app):
    record(app, filed("A"), filed("B"), incident("A", "INC-1"))
    again = incident("B", "INC-1")
    problem = rejected(app, [guidance(), again])
    assert_problem(problem, index=1, field="incident_id", event_id=again["event_id"])
    assert problem.message == (
        "IncidentReported rejected: incident INC-1 is already reported; an incident id can be reported once"
    )


def test_an_incident_id_reported_twice_in_one_batch_is_rejected(app):
    record(app, filed("A"))
    problem = rejected(app, [incident("A", "INC-1"), incident("A", "INC-1")])
    assert_problem(problem, index=1, field="incident_id", says=["INC-1", "already reported"])


def test_an_incident_once_resolved_cannot_be_reported_again_under_its_id(app):
    record(app, filed("A"), incident("A", "INC-1"), resolved("A", "INC-1"))
    problem = rejected(app, [incident("A", "INC-1")])
    assert_problem(problem, index=0, field="incident_id", says=["INC-1", "already reported"])


def test_resolving_an_incident_never_reported_is_rejected_and_names_the_open_ones(app):
    record(app, filed("A"), incident("A", "INC-1"))
    problem = rejected(app, [enrolled("A", 1), resolved("A", "INC-9")])
    assert_problem(problem, index=1, field="incident_id")
    assert problem.message == (
        "IncidentResolved rejected: A has no open incident INC-9; IncidentResolved needs an "
        "incident of this institution reported and not yet resolved; open: INC-1"
    )
    assert institution(app, "A").enrolled == 0


def test_resolving_an_incident_twice_is_rejected(app):
    record(app, filed("A"), incident("A", "INC-1"), resolved("A", "INC-1"))
    problem = rejected(app, [resolved("A", "INC-1")])
    assert_problem(problem, index=0, field="incident_id", says=["no open incident INC-1", "open: none"])


def test_resolving_another_institutions_incident_is_rejected(app):
    record(app, filed("A"), filed("B"), incident("A", "INC-1"))
    problem = rejected(app, [resolved("B", "INC-1")])
    assert_problem(problem, index=0, field="incident_id", says=["B has no open incident INC-1"])
    assert list(institution(app, "A").open_incidents) == ["INC-1"]


def test_an_incident_of_an_unfiled_institution_is_rejected(app):
    problem = rejected(app, [incident("NOPE", "INC-1")])
    assert_problem(problem, index=0, field="institution_id", says=["NOPE", "is not filed"])


@pytest.mark.parametrize(
    "field, value, allowed",
    [
        ("category", "theft", "personal_safety, food_safety, fire_safety, health, other"),
        ("severity", "minor", "general, serious, major"),
    ],
)
def test_an_incident_of_an_unknown_category_or_severity_is_rejected_naming_the_allowed_values(
    app, field, value, allowed
):
    record(app, filed("A"))
    problem = rejected(app, [incident("A", "INC-1", **{field: value})])
    assert_problem(problem, index=0, field=field, says=[repr(value), f"allowed values: {allowed}"])


# ---- population ---------------------------------------------------------------------------------


def test_a_population_is_reported_for_the_district_and_for_a_township_with_or_without_under3(app):
    outcome = record(app, population("district", 2024, 400_000, under3=9_000), population("dayu", 2024, 90_000))
    assert outcome.recorded == 2


def test_under3_above_the_population_is_rejected(app):
    report = population("dayu", 2024, 1_000, under3=1_001)
    problem = rejected(app, [guidance(), report])
    assert_problem(problem, index=1, field="under3", event_id=report["event_id"])
    assert problem.message == (
        "PopulationReported rejected: under3 1001 exceeds the population 1000 of dayu in "
        "2024; children under three are part of the population"
    )


def test_under3_equal_to_the_population_is_accepted(app):
    assert record(app, population("dayu", 2024, 1_000, under3=1_000)).recorded == 1


@pytest.mark.parametrize(
    "fields, field, says",
    [
        ({"scope": "beijing"}, "scope", ["'beijing' is not allowed", "district, dayu"]),
        ({"population": 0}, "population", ["at least 1"]),
        ({"year": 1999}, "year", ["at least 2000"]),
    ],
)
def test_a_population_report_out_of_the_format_is_rejected(app, fields, field, says):
    problem = rejected(app, [{**population("dayu"), **fields}])
    assert_problem(problem, index=0, field=field, says=says)


# ---- fee caps -------------------------------------------------------------------------------------


def test_a_fee_cap_is_recorded_and_a_second_one_does_not_replace_the_first_in_the_store(app):
    assert record(app, fee_cap(2000, "2024-01-01"), fee_cap(1800, "2025-01-01")).recorded == 2


@pytest.mark.parametrize(
    "fields, field, says",
    [
        ({"monthly_fee_yuan": 0}, "monthly_fee_yuan", ["0"]),
        ({"start": "2024-02-30"}, "start", ["not a date"]),
    ],
)
def test_a_fee_cap_out_of_the_format_is_rejected(app, fields, field, says):
    problem = rejected(app, [{**fee_cap(), **fields}])
    assert_problem(problem, index=0, field=field, says=says)


# ---- targets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kpi",
    [
        "new_inclusive_slots",
        "kindergarten_new_inclusive_slots",
        "slots_per_1000",
        "inspected_share",
        "assessed_share",
        "offline_guidance_activities",
    ],
)
def test_every_new_kpi_is_accepted_for_the_district_and_for_a_township(app, kpi):
    assert record(app, target("district", kpi, 1), target("dayu", kpi, 1)).recorded == 2


def test_a_slots_per_1000_target_is_accepted_for_a_township_without_a_population(app):
    assert record(app, target("qingshui", "slots_per_1000", 4.5)).recorded == 1


@pytest.mark.parametrize("kpi", ["inclusive_coverage", "township_min_slots"])
def test_district_only_kpis_stay_district_only(app, kpi):
    problem = rejected(app, [target("dayu", kpi, 1)])
    assert_problem(problem, index=0, field="kpi", says=[kpi, "district only"])


def test_a_target_names_its_responsible_units_lead_first(app):
    assert (
        record(
            app, target("district", "new_slots", 600, responsible=["education_commission", "health_commission"])
        ).recorded
        == 1
    )


def test_a_responsible_unit_not_in_units_json_is_rejected_naming_every_allowed_id(app):
    bad = target("district", "new_slots", 600, responsible=["health_commission", "mayor_office"])
    problem = rejected(app, [bad])
    assert_problem(problem, index=0, field="responsible.1")
    assert problem.message == f"'mayor_office' is not allowed; allowed values: {', '.join(UNIT_IDS)}"


def test_a_unit_named_twice_is_rejected(app):
    problem = rejected(app, [target(responsible=["finance", "finance"])])
    assert_problem(problem, index=0, field="responsible", says=["non-unique"])


def test_a_rejected_batch_of_new_events_records_nothing(app):
    record(app, filed("A"))
    before = stored_event_ids(app)
    rejected(app, [incident("A", "INC-1"), population("dayu", 2024, 10, under3=11), fee_cap()])
    assert stored_event_ids(app) == before


@pytest.mark.parametrize("kind", [["IncidentReported"], {"a": 1}, 7, None])
def test_an_event_whose_type_is_not_a_string_is_rejected_not_a_crash(app, kind):
    problem = rejected(app, [{"event_id": "x-1", "type": kind, "incident_id": "INC-1"}])
    assert_problem(problem, index=0, field="type", says=["unknown event type"])
