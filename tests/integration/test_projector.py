"""The embedded projector: live view equals a replay, whatever the interleaving, and a
projector killed mid-run resumes without loss or double counting."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.stores import fresh_store
from tuoyu.demo.synthetic import synthetic_events
from tuoyu.domain.catalogue import INSTITUTION_KINDS, TOWNSHIP_IDS
from tuoyu.domain.problems import EventsRejected
from tuoyu.projections.facts import SHANGHAI
from tuoyu.projections.figures import ADDITIVE, ADDITIVE_BREAKDOWNS
from tuoyu.projections.snapshot import build_snapshot
from tuoyu.service.wiring import open_projector, open_registry
from tuoyu.views.reading import read_facts
from tuoyu.views.replay import fold_all

TUOYU = str(Path(sys.executable).parent / "tuoyu")
T0 = datetime(2024, 1, 1, 9, 0, tzinfo=SHANGHAI)
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=SHANGHAI)

# One step of a random history: (what, which institution, which township, a number, a day, a flag).
steps = st.tuples(
    st.sampled_from(
        [
            "file",
            "file",
            "enrol",
            "enrol",
            "withdraw",
            "capacity",
            "close",
            "rehome",
            "reopen",
            "grant",
            "revoke",
            "staff",
            "inspect",
            "rectify",
            "train",
            "target",
            # kpis.md, revision of 2026-11-30
            "assess",
            "grade",
            "report",
            "resolve",
            "population",
            "cap",
            "guide",
        ]
    ),
    st.integers(0, 5),
    st.integers(0, 3),
    st.integers(0, 40),
    st.integers(0, 900),
    st.booleans(),
)


def to_event(n: int, step: tuple) -> dict:
    what, i, t, number, day, flag = step
    base = {"event_id": f"p-{n}", "occurred_at": (T0 + timedelta(days=day)).isoformat(), "institution_id": f"I{i}"}
    return {
        "file": lambda: {
            **base,
            "type": "InstitutionFiled",
            "name": f"机构{i}",
            "township": TOWNSHIP_IDS[t],
            "kind": INSTITUTION_KINDS[t],
            "slots": number,
            "inclusive": flag,
            "monthly_fee_yuan": 1500 + 50 * number,
        },
        "enrol": lambda: {**base, "type": "ChildrenEnrolled", "children": max(1, number // 4)},
        "withdraw": lambda: {**base, "type": "ChildrenWithdrawn", "children": max(1, number // 8)},
        "capacity": lambda: {**base, "type": "CapacityChanged", "slots": number},
        "close": lambda: {**base, "type": "InstitutionClosed", "emergency": flag},
        "rehome": lambda: {**base, "type": "ChildrenRehomed", "children": max(1, number // 8)},
        "reopen": lambda: {**base, "type": "InstitutionReopened", **({"slots": number} if flag else {})},
        "grant": lambda: {**base, "type": "InclusiveStatusGranted"},
        "revoke": lambda: {**base, "type": "InclusiveStatusRevoked"},
        "staff": lambda: {
            **base,
            "type": "StaffReported",
            "caregivers": number // 4,
            "certified_caregivers": number // 6,
        },
        "inspect": lambda: {
            **base,
            "type": "InspectionRecorded",
            "inspection_id": f"X{number % 7}",
            "kind": "routine",
            "outcome": "rectify" if flag else "pass",
            "rectify_by": "2024-09-01",
        },
        "rectify": lambda: {**base, "type": "RectificationCompleted", "inspection_id": f"X{number % 7}"},
        "train": lambda: {
            "event_id": f"p-{n}",
            "occurred_at": base["occurred_at"],
            "type": "TrainingCompleted",
            "course": ["head", "caregiver", "health"][number % 3],
            "people": number + 1,
            **({"township": TOWNSHIP_IDS[t]} if flag else {}),
        },
        "target": lambda: {
            "event_id": f"p-{n}",
            "occurred_at": base["occurred_at"],
            "type": "TargetSet",
            "scope": "district" if flag else TOWNSHIP_IDS[t],
            "kpi": TARGETED[number % len(TARGETED)],
            "value": number / 40 if number % 2 else number,
            "start": "2024-01-01",
            "due": ["2024-06-30", "2024-12-31", "2025-12-31"][day % 3],
            "responsible": ["health_commission"],
        },
        **_revision_steps(n, step, base),
    }[what]()


# Every kpi a township may have, plus the district-only floor (set only for the district).
TARGETED = [
    "slots_total",
    "new_slots",
    "township_min_slots",
    "new_inclusive_slots",
    "kindergarten_new_inclusive_slots",
    "slots_per_1000",
    "inspected_share",
    "assessed_share",
    "offline_guidance_activities",
    "heads_trained",
]


def _revision_steps(n: int, step: tuple, base: dict) -> dict:
    what, i, t, number, day, flag = step
    plain = {"event_id": f"p-{n}", "occurred_at": base["occurred_at"]}
    return {
        "assess": lambda: {
            **base,
            "type": "InspectionRecorded",
            "inspection_id": f"Q{n}",
            "kind": "quality_assessment",
            "outcome": "fail" if flag else "pass",
            "scores": {"safety": number + 50, "health": 60},
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
            "incident_id": f"E{number % 5}",
            "category": ["food_safety", "fire_safety", "health"][number % 3],
            "severity": ["general", "serious", "major"][day % 3],
        },
        "resolve": lambda: {**base, "type": "IncidentResolved", "incident_id": f"E{number % 5}"},
        "population": lambda: {
            **plain,
            "type": "PopulationReported",
            "scope": TOWNSHIP_IDS[t] if flag else "district",
            "year": 2023 + number % 3,
            "population": 1000 + 100 * number,
        },
        "cap": lambda: {
            **plain,
            "type": "InclusiveFeeCapSet",
            "monthly_fee_yuan": 1000 + 100 * number,
            "start": (T0 + timedelta(days=day)).date().isoformat(),
        },
        "guide": lambda: {
            **plain,
            "type": "ParentingGuidanceHeld",
            "format": "offline" if flag else "online",
            "participants": number,
            "township": TOWNSHIP_IDS[t],
        },
    }


def check_view_invariants(snapshot: dict) -> None:
    district, townships = snapshot["district"], snapshot["townships"].values()
    for name in ADDITIVE:
        if name.endswith("_trained") or name.startswith("guidance"):
            assert district[name] >= sum(t[name] for t in townships), name  # district also has un-townshipped sessions
        else:
            assert abs(district[name] - sum(t[name] for t in townships)) < 1e-6, name
    for name, keys in ADDITIVE_BREAKDOWNS.items():
        for key in keys:
            assert abs(district[name][key] - sum(t[name][key] for t in townships)) < 1e-6, (name, key)
    for t in townships:
        assert 0 <= t["enrolled"] <= t["slots_total"]
        assert 0 <= t["certified_caregivers"] <= t["caregivers"]
    for scope in (district, *townships):
        for share in ("inclusive_share", "certified_share", "inspected_share", "assessed_share", "kindergarten_share"):
            assert scope[share] is None or 0 <= scope[share] <= 1, share


def run_history(kind: str, tmp: Path, history: list, cuts: list[int], as_of_day: int) -> None:
    with (
        fresh_store(kind, tmp) as settings_,
        open_registry(settings_, clock=lambda: NOW) as app,
        open_projector(settings_, batch=3) as projector,
    ):
        check_history(app, projector, history, cuts, as_of_day)


def check_history(app, projector, history: list, cuts: list[int], as_of_day: int) -> None:
    for n, step in enumerate(history):
        try:
            app.record([to_event(n, step)], "hypothesis")
        except EventsRejected:
            pass  # a random step may break a rule; the property is about what was accepted
        if n in cuts:
            projector.catch_up(limit=1 + n % 4)
    projector.catch_up()
    replayed, position = fold_all(read_facts(app.recorder))
    assert projector.view == replayed
    assert projector.position == position == app.position()
    live = build_snapshot(projector.view, NOW, NOW)
    assert live == build_snapshot(replayed, NOW, NOW)
    check_view_invariants(live)
    for inst in projector.view[TOWNSHIP_IDS[0]]["institutions"].values():
        assert 0 <= inst["enrolled"] <= inst["slots"]
    as_of = T0 + timedelta(days=as_of_day)
    past, _ = fold_all(read_facts(app.recorder), as_of=as_of, known_at=NOW)
    check_view_invariants(build_snapshot(past, as_of, NOW))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    history=st.lists(steps, min_size=1, max_size=60),
    cuts=st.lists(st.integers(0, 60), max_size=10),
    as_of_day=st.integers(0, 900),
)
def test_the_live_view_equals_a_replay_and_keeps_its_invariants_on_sqlite(tmp_path, history, cuts, as_of_day):
    run_history("sqlite", tmp_path, history, cuts, as_of_day)


@pytest.mark.postgres
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    history=st.lists(steps, min_size=1, max_size=40),
    cuts=st.lists(st.integers(0, 40), max_size=8),
    as_of_day=st.integers(0, 900),
)
def test_the_live_view_equals_a_replay_and_keeps_its_invariants_on_postgres(tmp_path, history, cuts, as_of_day):
    run_history("postgres", tmp_path, history, cuts, as_of_day)


def test_a_projector_killed_mid_run_resumes_and_ends_equal_to_a_full_replay(store_settings, store_env, tmp_path):
    total = 20000
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in synthetic_events(total, seed=11)))
    subprocess.run([TUOYU, "import", str(source)], env=store_env, check=True, capture_output=True)

    follower = subprocess.Popen([TUOYU, "project", "--quiet", "--batch", "50", "--poll", "0.1"], env=store_env)
    with open_projector(store_settings) as projector:
        killed_at = kill_when_past(follower, projector, 2000)
    assert 0 < killed_at < total, f"the projector was not caught mid-run (position {killed_at} of {total})"

    subprocess.run([TUOYU, "project", "--once", "--quiet"], env=store_env, check=True, timeout=120)
    with open_projector(store_settings) as resumed, open_registry(store_settings) as registry:
        replayed, position = fold_all(read_facts(registry.recorder))
        assert resumed.position == position == total
        assert resumed.view == replayed


def kill_when_past(follower: subprocess.Popen, projector, position: int) -> int:
    """SIGKILL the following process once the view it commits is past `position`; where it was."""
    try:
        deadline = time.monotonic() + 60
        while projector.position < position and time.monotonic() < deadline:
            time.sleep(0.02)
        follower.send_signal(signal.SIGKILL)
        follower.wait(10)
    finally:
        if follower.poll() is None:
            follower.kill()
    return projector.position
