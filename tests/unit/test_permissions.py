"""Who may record the event types of kpis.md's revision of 2026-11-30 (docs/decisions.md)."""

from __future__ import annotations

import pytest

from tuoyu.domain.permissions import refusal

INCIDENT = {"type": "IncidentReported"}
RESOLUTION = {"type": "IncidentResolved"}
TOWNSHIP_POPULATION = {"type": "PopulationReported", "scope": "dayu"}
DISTRICT_POPULATION = {"type": "PopulationReported", "scope": "district"}
FEE_CAP = {"type": "InclusiveFeeCapSet"}
TARGET = {"type": "TargetSet"}


@pytest.mark.parametrize("role", ["admin", "registry", "inspector", "township:dayu"])
@pytest.mark.parametrize("event", [INCIDENT, RESOLUTION], ids=lambda e: e["type"])
def test_incidents_are_reported_and_resolved_by_admin_registry_inspectors_and_the_institutions_township(role, event):
    assert refusal(role, event, "dayu") is None


@pytest.mark.parametrize("role", ["auditor", "oncall"])
def test_auditors_and_oncall_officers_record_no_incident(role):
    assert f"role {role} may not record IncidentReported" in refusal(role, INCIDENT, "dayu")


def test_a_township_officer_may_not_report_an_incident_of_another_township():
    reason = refusal("township:chengzi", INCIDENT, "dayu")
    assert "role township:chengzi may record only" in reason and "this IncidentReported is in dayu" in reason


@pytest.mark.parametrize("role", ["admin", "registry", "township:dayu"])
def test_a_townships_population_is_reported_by_admin_registry_and_that_township(role):
    assert refusal(role, TOWNSHIP_POPULATION, "dayu") is None


def test_the_district_population_is_not_a_township_officers_to_report():
    assert "this PopulationReported names no township" in refusal("township:dayu", DISTRICT_POPULATION, None)
    assert refusal("registry", DISTRICT_POPULATION, None) is None


def test_a_township_officer_may_not_report_another_townships_population():
    assert "is in dayu" in refusal("township:chengzi", TOWNSHIP_POPULATION, "dayu")


@pytest.mark.parametrize("role", ["registry", "inspector", "auditor", "oncall", "township:dayu"])
@pytest.mark.parametrize("event", [FEE_CAP, TARGET], ids=lambda e: e["type"])
def test_fee_caps_and_targets_are_the_admins_only(role, event):
    assert f"may not record {event['type']}" in refusal(role, event, None)
    assert refusal("admin", event, None) is None


def test_an_inspector_may_not_report_a_population():
    assert "may not record PopulationReported" in refusal("inspector", TOWNSHIP_POPULATION, "dayu")
