"""Builders of interchange events and assertions shared by the unit and integration tests.

Every builder returns a valid event (a dict in the format of events.schema.json) with a
fresh event_id; keyword arguments add or override fields, so a test states only what matters.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from tuoyu.domain.application import Outcome, Registry
from tuoyu.domain.institution import Institution
from tuoyu.domain.problems import EventsRejected, Problem
from tuoyu.service.config import Settings
from tuoyu.service.wiring import open_registry

CST = timezone(timedelta(hours=8))
# The fixed moment of recording ("now") of every registry the tests open.
NOW = datetime(2025, 1, 15, 10, 0, 0, tzinfo=CST)
AT = "2024-06-01T09:00:00+08:00"
RECORDED_BY = "test"

_ids = itertools.count(1)


def new_id(prefix: str = "ev") -> str:
    return f"{prefix}-{next(_ids):06d}"


def open_app(settings: Settings, now: datetime = NOW) -> Registry:
    return open_registry(settings, clock=lambda: now)


def in_memory_app(now: datetime = NOW) -> Registry:
    """The registry on eventsourcing's in-memory store (with the platform's claims): the domain's
    rules, decided exactly as on SQLite or PostgreSQL, without a database."""
    return Registry(env={"PERSISTENCE_MODULE": "tuoyu.persistence.memory"}, clock=lambda: now)


def _event(type_: str, fields: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    return {"event_id": new_id(), "type": type_, "occurred_at": AT, **fields, **extra}


# ---- institution events -----------------------------------------------------------------


def filed(
    inst: str,
    *,
    slots: int = 20,
    township: str = "dayu",
    kind: str = "community",
    inclusive: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    return _event(
        "InstitutionFiled",
        {
            "institution_id": inst,
            "name": f"托育点 {inst}",
            "township": township,
            "kind": kind,
            "slots": slots,
            "inclusive": inclusive,
        },
        extra,
    )


def filing_changed(inst: str, **extra: Any) -> dict[str, Any]:
    return _event("FilingChanged", {"institution_id": inst, "changes": {"name": f"新名称 {inst}"}}, extra)


def capacity(inst: str, slots: int, **extra: Any) -> dict[str, Any]:
    return _event("CapacityChanged", {"institution_id": inst, "slots": slots}, extra)


def granted(inst: str, **extra: Any) -> dict[str, Any]:
    return _event("InclusiveStatusGranted", {"institution_id": inst}, extra)


def revoked(inst: str, **extra: Any) -> dict[str, Any]:
    return _event("InclusiveStatusRevoked", {"institution_id": inst}, extra)


def closed(inst: str, *, emergency: bool = True, **extra: Any) -> dict[str, Any]:
    return _event("InstitutionClosed", {"institution_id": inst, "emergency": emergency}, extra)


def rehomed(inst: str, children: int, **extra: Any) -> dict[str, Any]:
    return _event("ChildrenRehomed", {"institution_id": inst, "children": children}, extra)


def reopened(inst: str, **extra: Any) -> dict[str, Any]:
    return _event("InstitutionReopened", {"institution_id": inst}, extra)


def enrolled(inst: str, children: int, **extra: Any) -> dict[str, Any]:
    return _event("ChildrenEnrolled", {"institution_id": inst, "children": children}, extra)


def withdrawn(inst: str, children: int, **extra: Any) -> dict[str, Any]:
    return _event("ChildrenWithdrawn", {"institution_id": inst, "children": children}, extra)


def inspection(inst: str, inspection_id: str, outcome: str = "rectify", **extra: Any) -> dict[str, Any]:
    fields = {"institution_id": inst, "inspection_id": inspection_id, "kind": "routine", "outcome": outcome}
    if outcome == "rectify":
        fields["rectify_by"] = "2024-07-01"
    return _event("InspectionRecorded", fields, extra)


def rectified(inst: str, inspection_id: str, **extra: Any) -> dict[str, Any]:
    return _event("RectificationCompleted", {"institution_id": inst, "inspection_id": inspection_id}, extra)


def graded(inst: str, **extra: Any) -> dict[str, Any]:
    return _event("RiskCreditGraded", {"institution_id": inst, "risk": "low", "credit": "A"}, extra)


def staff(inst: str, caregivers: int, certified: int, **extra: Any) -> dict[str, Any]:
    return _event(
        "StaffReported", {"institution_id": inst, "caregivers": caregivers, "certified_caregivers": certified}, extra
    )


def incident(
    inst: str, incident_id: str, *, category: str = "food_safety", severity: str = "serious", **extra: Any
) -> dict[str, Any]:
    return _event(
        "IncidentReported",
        {"institution_id": inst, "incident_id": incident_id, "category": category, "severity": severity},
        extra,
    )


def resolved(inst: str, incident_id: str, **extra: Any) -> dict[str, Any]:
    return _event("IncidentResolved", {"institution_id": inst, "incident_id": incident_id}, extra)


# ---- programme events -------------------------------------------------------------------


def training(course: str = "caregiver", people: int = 10, **extra: Any) -> dict[str, Any]:
    return _event("TrainingCompleted", {"course": course, "people": people}, extra)


def guidance(participants: int = 30, **extra: Any) -> dict[str, Any]:
    return _event("ParentingGuidanceHeld", {"format": "offline", "participants": participants}, extra)


def target(
    scope: str = "district",
    kpi: str = "slots_total",
    value: float = 1000,
    *,
    start: str = "2024-01-01",
    due: str = "2025-12-31",
    **extra: Any,
) -> dict[str, Any]:
    return _event("TargetSet", {"scope": scope, "kpi": kpi, "value": value, "start": start, "due": due}, extra)


def population(scope: str = "district", year: int = 2024, people: int = 400_000, **extra: Any) -> dict[str, Any]:
    return _event("PopulationReported", {"scope": scope, "year": year, "population": people}, extra)


def fee_cap(monthly_fee_yuan: float = 2000, start: str = "2024-01-01", **extra: Any) -> dict[str, Any]:
    return _event("InclusiveFeeCapSet", {"monthly_fee_yuan": monthly_fee_yuan, "start": start}, extra)


# ---- recording and inspecting the store -------------------------------------------------


def record(app: Registry, *events: Any) -> Outcome:
    return app.record(list(events), recorded_by=RECORDED_BY)


def institution(app: Registry, inst: str) -> Institution:
    """The institution as the stored events make it."""
    return app.repository.get(Institution.create_id(inst))


def stored_events(app: Registry) -> list[dict[str, Any]]:
    """Every stored interchange event, in recorded order (read from the store itself)."""
    notifications = app.recorder.select_notifications(start=1, limit=1_000_000)
    return [orjson.loads(n.state)["event"] for n in notifications]


def stored_event_ids(app: Registry) -> list[str]:
    return [e["event_id"] for e in stored_events(app)]


def rejected_all(app: Registry, batch: Sequence[Any], error: type[Exception] = EventsRejected) -> list[Problem]:
    """Submit `batch`, expect `error`, check that nothing of the batch was stored; the problems."""
    position, before = app.position(), stored_event_ids(app)
    with pytest.raises(error) as caught:
        app.record(list(batch), recorded_by=RECORDED_BY)
    after = stored_event_ids(app)
    assert app.position() == position, "a rejected batch must not move the position"
    assert after == before, "a rejected batch must store nothing"
    for event in batch:
        if isinstance(event, dict) and event.get("event_id") not in before:
            assert event.get("event_id") not in after
    return caught.value.problems


def rejected(app: Registry, batch: Sequence[Any], error: type[Exception] = EventsRejected) -> Problem:
    """Like rejected_all, for a batch with exactly one problem: that problem."""
    problems = rejected_all(app, batch, error)
    assert len(problems) == 1, [p.describe() for p in problems]
    return problems[0]


def assert_problem(
    problem: Problem, *, index: int, field: str | None, says: Sequence[str] = (), event_id: Any = ...
) -> None:
    """The problem points at `index` and `field` and its message names every word of `says`."""
    assert (problem.index, problem.field) == (index, field), problem.describe()
    if event_id is not ...:
        assert problem.event_id == event_id, problem.describe()
    missing = [w for w in says if w not in problem.message]
    assert not missing, f"{missing} not in the message: {problem.message}"
