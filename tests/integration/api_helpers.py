"""Helpers of the HTTP API tests (tests/integration/test_api.py): posting events as a role,
checking refusals, one event of each type ready to record, and reading /metrics."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.support.builders import (
    capacity,
    closed,
    enrolled,
    fee_cap,
    filed,
    filing_changed,
    graded,
    granted,
    guidance,
    incident,
    inspection,
    population,
    rectified,
    rehomed,
    reopened,
    resolved,
    revoked,
    staff,
    target,
    training,
    withdrawn,
)
from tuoyu import clock
from tuoyu.domain.catalogue import TOWNSHIP_IDS

ROLES = ["admin", "registry", "inspector", "auditor", "oncall", *(f"township:{t}" for t in TOWNSHIP_IDS)]

# The event types that name an institution (every one of them requires institution_id).
INSTITUTION_TYPES = frozenset(
    {
        "InstitutionFiled",
        "FilingChanged",
        "CapacityChanged",
        "InclusiveStatusGranted",
        "InclusiveStatusRevoked",
        "InstitutionClosed",
        "ChildrenRehomed",
        "InstitutionReopened",
        "ChildrenEnrolled",
        "ChildrenWithdrawn",
        "InspectionRecorded",
        "RectificationCompleted",
        "RiskCreditGraded",
        "StaffReported",
        "IncidentReported",
        "IncidentResolved",
    }
)
ALL_TYPES = INSTITUTION_TYPES | {
    "TrainingCompleted",
    "ParentingGuidanceHeld",
    "TargetSet",
    "PopulationReported",
    "InclusiveFeeCapSet",
}


# What each role may record (the contract of the issue), and words its 403 message must contain
# to say what the role may do.
def allowed_types(role: str) -> frozenset[str]:
    if role == "admin":
        return ALL_TYPES
    if role == "registry":
        return INSTITUTION_TYPES | {"PopulationReported"}
    if role == "inspector":
        return frozenset(
            {"InspectionRecorded", "RectificationCompleted", "RiskCreditGraded", "IncidentReported", "IncidentResolved"}
        )
    if role in ("auditor", "oncall"):
        return frozenset()
    return INSTITUTION_TYPES | {"TrainingCompleted", "ParentingGuidanceHeld", "PopulationReported"}


def capability_words(role: str) -> list[str]:
    if role == "registry":
        return ["institution events", "any township"]
    if role == "inspector":
        return ["InspectionRecorded", "RectificationCompleted", "RiskCreditGraded"]
    if role == "auditor":
        return ["reads everything", "records nothing"]
    if role == "oncall":
        return ["no events", "acknowledges alerts"]
    if role.startswith("township:"):
        own = role.split(":", 1)[1]
        return [f"institutions of {own}", "TrainingCompleted", "ParentingGuidanceHeld"]
    return []


# The contract metrics of kpis.md ("Prometheus metrics") and their labels.
CONTRACT_METRICS: dict[str, tuple[str, ...]] = {
    "childcare_slots": ("township",),
    "childcare_inclusive_slots": ("township",),
    "childcare_institutions": ("township", "kind"),
    "childcare_enrolled_children": ("township",),
    "childcare_emergency_closures_open": ("township",),
    "childcare_children_awaiting_rehoming": ("township",),
    "childcare_rectifications_open": ("township",),
    "childcare_rectifications_overdue": ("township",),
    "childcare_caregivers": ("township",),
    "childcare_certified_caregivers": ("township",),
    "childcare_trained_people": ("course",),
    "childcare_target_value": ("scope", "kpi"),
    "childcare_target_expected": ("scope", "kpi"),
    "childcare_target_actual": ("scope", "kpi"),
    "childcare_target_due_timestamp_seconds": ("scope", "kpi"),
    "childcare_target_behind": ("scope", "kpi"),
    "childcare_events_recorded": (),
    "childcare_projection_position": ("view",),
}
# Per-township metric -> the snapshot figure it publishes.
TOWNSHIP_METRIC_FIGURES = {
    "childcare_slots": "slots_total",
    "childcare_inclusive_slots": "slots_inclusive",
    "childcare_enrolled_children": "enrolled",
    "childcare_emergency_closures_open": "emergency_closures_open",
    "childcare_children_awaiting_rehoming": "children_awaiting_rehoming",
    "childcare_rectifications_open": "rectifications_open",
    "childcare_rectifications_overdue": "rectifications_overdue",
    "childcare_caregivers": "caregivers",
    "childcare_certified_caregivers": "certified_caregivers",
}

KPIS_MD = Path(__file__).resolve().parents[2] / "docs" / "spec" / "kpis.md"  # equal to ../shared (a test)


def metrics_table_of_kpis_md(text: str) -> dict[str, tuple[str, ...]]:
    """The metric table of kpis.md: metric name -> labels."""
    section = text.split("## Prometheus metrics", 1)[1].split("\n## ", 1)[0]
    table: dict[str, tuple[str, ...]] = {}
    for line in section.splitlines():
        if not line.startswith("| `childcare_"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        labels = tuple(label.strip() for label in cells[1].split(",") if label.strip())
        for name in re.findall(r"`(childcare_\w+)`", cells[0]):
            table[name] = labels
    return table


def shanghai_today(offset_days: int = 0) -> str:
    return (clock.today() + timedelta(days=offset_days)).isoformat()


# ---- talking to the API ------------------------------------------------------------------------


def post(api, role: str | None, body: Any):
    headers = api.headers(role) if role else {}
    return api.client.post("/api/events", json=body, headers=headers)


def recorded(api, role: str, *events: dict[str, Any]) -> dict[str, Any]:
    """Post `events` as `role` and insist they were all recorded (201)."""
    response = post(api, role, list(events))
    assert response.status_code == 201, response.text
    assert response.json()["recorded"] == len(events), response.text
    return response.json()


def position(api) -> int:
    """Events recorded by the test (after the grants of the fixture's tokens)."""
    return api.platform.registry.position() - api.start


def events_recorded(api) -> int:
    """Events recorded by the test, as /healthz says (after the grants of the fixture's tokens)."""
    return api.client.get("/healthz").json()["events_recorded"] - api.start


def refused(api, role: str, body: Any, status: int = 403) -> dict[str, Any]:
    """Post `body` as `role`, expect `status`, and check that nothing was recorded."""
    before = position(api)
    response = post(api, role, body)
    assert response.status_code == status, response.text
    assert position(api) == before, "a refused request must record nothing"
    assert events_recorded(api) == before
    return response.json()


def token_name(api, role: str) -> str:
    found = api.client.get("/api/whoami", headers=api.headers(role)).json()
    assert found["role"] == role
    return found["name"]


def read(api, path: str, role: str = "auditor", **params: Any):
    response = api.client.get(path, headers=api.headers(role), params=params or None)
    assert response.status_code == 200, response.text
    return response.json()


# ---- one event of each type ----------------------------------------------------------------------


def prepare_one_of_each(api, township: str, p: str = "") -> None:
    """As admin, record the institutions in `township` that `one_of_each` needs (ids prefixed `p`)."""
    recorded(
        api,
        "admin",
        filed(f"{p}OP", township=township, slots=20),
        enrolled(f"{p}OP", 5),
        inspection(f"{p}OP", f"{p}INS-OPEN", rectify_by=shanghai_today(30)),
        filed(f"{p}INC", township=township, inclusive=True),
        filed(f"{p}CL", township=township),
        filed(f"{p}SH", township=township),
        enrolled(f"{p}SH", 5),
        closed(f"{p}SH", emergency=True),
        filed(f"{p}RO", township=township),
        closed(f"{p}RO", emergency=False),
        incident(f"{p}OP", f"{p}INC-OPEN"),
    )


def one_of_each(township: str, p: str = "") -> dict[str, dict[str, Any]]:
    """One valid event of every type, each about its own prepared state so they are independent."""
    return {
        "InstitutionFiled": filed(f"{p}NEW", township=township),
        "FilingChanged": filing_changed(f"{p}OP"),
        "CapacityChanged": capacity(f"{p}OP", 30),
        "InclusiveStatusGranted": granted(f"{p}OP"),
        "InclusiveStatusRevoked": revoked(f"{p}INC"),
        "InstitutionClosed": closed(f"{p}CL"),
        "ChildrenRehomed": rehomed(f"{p}SH", 2),
        "InstitutionReopened": reopened(f"{p}RO"),
        "ChildrenEnrolled": enrolled(f"{p}OP", 1),
        "ChildrenWithdrawn": withdrawn(f"{p}OP", 1),
        "InspectionRecorded": inspection(f"{p}OP", f"{p}INS-NEW", outcome="pass"),
        "RectificationCompleted": rectified(f"{p}OP", f"{p}INS-OPEN"),
        "RiskCreditGraded": graded(f"{p}OP"),
        "StaffReported": staff(f"{p}OP", 4, 3),
        "TrainingCompleted": training("head", 7, township=township),
        "ParentingGuidanceHeld": guidance(40, township=township),
        "TargetSet": target("district", "slots_total", 100),
        "IncidentReported": incident(f"{p}OP", f"{p}INC-NEW"),
        "IncidentResolved": resolved(f"{p}OP", f"{p}INC-OPEN"),
        "PopulationReported": population(township, 2024, 50_000),
        "InclusiveFeeCapSet": fee_cap(2000, "2025-01-01"),
    }


# ---- /metrics -------------------------------------------------------------------------------------


def scrape(api) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Every sample of /metrics: sample name -> [(labels, value)]."""
    response = api.client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return samples


def sample(samples, name: str, **labels: str) -> float:
    found = [value for got, value in samples[name] if got == labels]
    assert len(found) == 1, f"{name}{labels}: {samples.get(name)}"
    return found[0]
