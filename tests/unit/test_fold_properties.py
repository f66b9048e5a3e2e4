"""Properties of the fold over random histories that include kpis.md's revision (incidents,
population, fee caps, gradings, assessments, health training, the new target kpis), recorded in
memory through the rules: a view kept as events arrive equals a replay, the district is the sum
of its townships, shares stay within [0, 1], and a target past due keeps its judgement whatever
arrives later, unless it occurred before the due day."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.builders import in_memory_app as memory_registry
from tuoyu.domain.catalogue import (
    INCIDENT_CATEGORIES,
    INCIDENT_SEVERITIES,
    INSTITUTION_KINDS,
    QUALITY_DIMENSIONS,
    TARGET_KPIS,
    TOWNSHIP_IDS,
)
from tuoyu.domain.problems import EventsRejected
from tuoyu.projections.facts import SHANGHAI, partition_of
from tuoyu.projections.figures import ADDITIVE, ADDITIVE_BREAKDOWNS
from tuoyu.projections.fold import apply
from tuoyu.projections.moments import day_last
from tuoyu.projections.snapshot import build_snapshot, new_view
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import fold_all

T0 = datetime(2023, 11, 1, 9, 0, tzinfo=SHANGHAI)
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=SHANGHAI)
DUES = ("2024-06-30", "2024-12-31", "2025-06-30")
SHARE_FIGURES = (
    "inclusive_share",
    "occupancy",
    "certified_share",
    "inspected_share",
    "assessed_share",
    "kindergarten_share",
)
SHARE_KPIS = ("inclusive_share", "certified_share", "inclusive_coverage", "inspected_share", "assessed_share")
WHAT = [
    "file",
    "file",
    "file",
    "enrol",
    "close",
    "reopen",
    "grant",
    "capacity",
    "staff",
    "inspect",
    "inspect",
    "inspect",
    "assess",
    "assess",
    "grade",
    "report",
    "resolve",
    "train",
    "guide",
    "population",
    "cap",
    "target",
    "target",
    "target",
    "rename",
]
VALUES = (0, 0.25, 0.5, 1, 5, 20)  # some targets are met, some missed
TARGETS_SET_AT = "2023-12-01T09:00:00+08:00"  # before every start: in force in every view of a due day

# One step: (what, which institution, which township, a number, a day after T0, a flag).
steps = st.tuples(
    st.sampled_from(WHAT), st.integers(0, 5), st.integers(0, 3), st.integers(0, 40), st.integers(0, 700), st.booleans()
)


def to_event(n: int, step: tuple) -> dict:
    what, i, t, number, day, flag = step
    occurred = (T0 + timedelta(days=day, hours=number % 24)).isoformat()
    base = {"event_id": f"h-{n}", "occurred_at": occurred, "institution_id": f"I{i}"}
    plain = {"event_id": f"h-{n}", "occurred_at": occurred}
    township = TOWNSHIP_IDS[t]
    return {
        "file": lambda: {
            **base,
            "type": "InstitutionFiled",
            "name": f"机构{i}",
            "township": township,
            "kind": INSTITUTION_KINDS[(i + t) % len(INSTITUTION_KINDS)],
            "slots": number,
            "inclusive": flag,
            "monthly_fee_yuan": 1000 + 100 * number,
        },
        "enrol": lambda: {**base, "type": "ChildrenEnrolled", "children": max(1, number // 4)},
        "close": lambda: {**base, "type": "InstitutionClosed", "emergency": flag},
        "reopen": lambda: {**base, "type": "InstitutionReopened"},
        "grant": lambda: {**base, "type": "InclusiveStatusGranted", "monthly_fee_yuan": 1500 + 50 * number},
        "capacity": lambda: {**base, "type": "CapacityChanged", "slots": number + 10},
        "staff": lambda: {
            **base,
            "type": "StaffReported",
            "caregivers": number // 4,
            "certified_caregivers": number // 6,
            **({"health_staff": number % 3} if flag else {}),
        },
        "inspect": lambda: {
            **base,
            "type": "InspectionRecorded",
            "inspection_id": f"X{n}",
            "kind": ["routine", "unannounced", "complaint", "supervision"][number % 4],
            "outcome": "fail" if flag else "pass",
        },
        "assess": lambda: {
            **base,
            "type": "InspectionRecorded",
            "inspection_id": f"Q{n}",
            "kind": "quality_assessment",
            "outcome": "pass",
            "scores": {d: 50 + (number * k) % 50 for k, d in enumerate(QUALITY_DIMENSIONS) if k % 3 or flag},
        },
        "grade": lambda: {
            **base,
            "type": "RiskCreditGraded",
            "risk": ["low", "medium", "high"][number % 3],
            "credit": "ABCD"[number % 4],
        },
        "report": lambda: {
            **base,
            "type": "IncidentReported",
            "incident_id": f"E{number % 9}",
            "category": INCIDENT_CATEGORIES[number % 5],
            "severity": INCIDENT_SEVERITIES[number % 3],
        },
        "resolve": lambda: {**base, "type": "IncidentResolved", "incident_id": f"E{number % 9}"},
        "train": lambda: {
            **plain,
            "type": "TrainingCompleted",
            "course": ["head", "caregiver", "health"][number % 3],
            "people": number + 1,
            **({"institution_id": f"I{i}"} if flag else {"township": township}),
        },
        "guide": lambda: {
            **plain,
            "type": "ParentingGuidanceHeld",
            "format": "offline" if flag else "online",
            "participants": number,
            **({"township": township} if number % 2 else {}),
        },
        "population": lambda: {
            **plain,
            "type": "PopulationReported",
            "scope": township if flag else "district",
            "year": 2023 + number % 3,
            "population": 1000 + 500 * number,
        },
        "cap": lambda: {
            **plain,
            "type": "InclusiveFeeCapSet",
            "monthly_fee_yuan": 1500 + 100 * number,
            "start": (T0 + timedelta(days=day)).date().isoformat(),
        },
        "target": lambda: {
            **plain,
            "occurred_at": TARGETS_SET_AT,
            "type": "TargetSet",
            "scope": township if flag else "district",
            "kpi": TARGET_KPIS[(number + i) % len(TARGET_KPIS)],
            "value": VALUES[number % len(VALUES)],
            "start": "2024-01-01",
            "due": DUES[day % 3],
            "responsible": ["health_commission"],
        },
        "rename": lambda: {
            **base,
            "type": "FilingChanged",
            "changes": {"kind": INSTITUTION_KINDS[number % len(INSTITUTION_KINDS)]},
        },
    }[what]()


def record_all(app, events: list[dict]) -> None:
    for event in events:
        try:
            app.record([event], "hypothesis")
        except EventsRejected:
            pass  # a random step may break a rule; the properties are about what was accepted


def check_sums_and_shares(snapshot: dict) -> None:
    district, townships = snapshot["district"], list(snapshot["townships"].values())
    for name in ADDITIVE:
        total = sum(t[name] for t in townships)
        if name.endswith("_trained") or name.startswith("guidance"):
            assert district[name] >= total, name  # the district also holds what names no township
        elif isinstance(total, float):
            assert abs(district[name] - total) < 1e-6, name
        else:
            assert district[name] == total, name
    for name, keys in ADDITIVE_BREAKDOWNS.items():
        for key in keys:
            assert abs(district[name][key] - sum(t[name][key] for t in townships)) < 1e-6, (name, key)
    for scope in (district, *townships):
        for name in SHARE_FIGURES:
            assert scope[name] is None or 0 <= scope[name] <= 1, (name, scope[name])
        assert scope["incidents_open_serious"] <= scope["incidents_open"]
        assert scope["high_risk_uninspected"] <= scope["institutions_by_risk"]["high"]
        assert scope["inspected_institutions"] <= scope["institutions_operating"]
    for target in snapshot["targets"]:
        if target["kpi"] in SHARE_KPIS:
            assert 0 <= target["actual"] <= 1 and 0 <= target["baseline"] <= 1, target
            assert target["actual_at_due"] is None or 0 <= target["actual_at_due"] <= 1, target


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history=st.lists(steps, min_size=1, max_size=60),
    cuts=st.sets(st.integers(0, 60), max_size=12),
    as_of_day=st.integers(0, 700),
)
def test_a_view_kept_as_events_arrive_equals_a_replay_and_its_figures_add_up(history, cuts, as_of_day):
    live, applied = new_view(), 0
    with memory_registry(NOW) as app:
        for n, step in enumerate(history):
            record_all(app, [to_event(n, step)])
            if n in cuts:
                for fact in read_facts(app.recorder, after=max(0, applied - 2)):  # two again: no double count
                    apply(live[partition_of(fact)], fact)
                    applied = fact["position"]
        for fact in read_facts(app.recorder, after=applied):
            apply(live[partition_of(fact)], fact)
        replayed, _ = fold_all(read_facts(app.recorder))
        assert live == replayed
        snapshot = build_snapshot(live, NOW, NOW)
        assert snapshot == build_snapshot(replayed, NOW, NOW)
        check_sums_and_shares(snapshot)
        as_of = T0 + timedelta(days=as_of_day, hours=12)
        past, _ = fold_all(read_facts(app.recorder), as_of=as_of, known_at=NOW)
        check_sums_and_shares(build_snapshot(past, as_of, NOW))


def judgements(app, at: datetime) -> dict[tuple, tuple]:
    """(scope, kpi, value, start, due) -> (actual_at_due, outcome) of every target past due at `at`."""
    view, _ = fold_all(read_facts(app.recorder))
    return {
        (t["scope"], t["kpi"], t["value"], t["start"], t["due"]): (t["actual_at_due"], t["outcome"])
        for t in build_snapshot(view, at, at)["targets"]
        if t["outcome"] is not None
    }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.lists(steps, min_size=20, max_size=70), later=st.lists(steps, min_size=1, max_size=30))
def test_a_past_targets_judgement_never_changes_as_events_occurring_after_its_due_day_arrive(history, later):
    judged_at = datetime(2026, 1, 10, tzinfo=SHANGHAI)  # every due date of DUES has passed
    with memory_registry(NOW) as app:
        record_all(app, [to_event(n, step) for n, step in enumerate(history)])
        before = judgements(app, judged_at)
        # Later events (no target among them) occur after the last due day, in 2026.
        after_due = [
            (what if what != "target" else "guide", i, t, number, 792 + day % 400, flag)
            for what, i, t, number, day, flag in later
        ]
        record_all(app, [to_event(1000 + n, step) for n, step in enumerate(after_due)])
        after = judgements(app, judged_at + timedelta(days=400))
        assert after == before


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.lists(steps, min_size=30, max_size=90))
def test_a_targets_actual_at_due_is_its_actual_in_the_view_as_of_the_end_of_its_due_day(history):
    """When each event occurs no earlier than the one recorded before it (as in practice), the
    dated quantities the fold keeps give at due exactly what an as-of replay gives."""
    days = sorted(step[4] for step in history)
    in_order = [(*step[:4], day, step[5]) for step, day in zip(history, days, strict=True)]
    with memory_registry(NOW) as app:
        record_all(app, [to_event(n, step) for n, step in enumerate(in_order)])
        view, _ = fold_all(read_facts(app.recorder))
        for target in build_snapshot(view, NOW, NOW)["targets"]:
            due_end = datetime.fromisoformat(target["due"] + "T23:59:59.999999+08:00")
            assert day_last(target["due"]) == round(due_end.timestamp() * 1_000_000)
            past, _ = fold_all(read_facts(app.recorder), as_of=due_end)
            then = {
                (t["scope"], t["kpi"], t["value"], t["start"], t["due"]): t["actual"]
                for t in build_snapshot(past, due_end, NOW)["targets"]
            }
            key = (target["scope"], target["kpi"], target["value"], target["start"], target["due"])
            if key in then:  # (not when set after its due day, or replaced since)
                assert target["actual_at_due"] == then[key], target
