"""The fold skips an event type it does not know and counts it, instead of crashing (a
KeyError stopped the projector and the workers) or silently moving past it."""

from __future__ import annotations

from tuoyu.projections.fold import apply, new_part, unknown_counts


def fact(position: int, event: dict, township: str | None = "dayu") -> dict:
    return {
        "position": position,
        "recorded_at": "2026-01-01T00:00:00+08:00",
        "event": event,
        "context": {"township": township},
        "recorded_by": "test",
    }


def test_an_unknown_institution_event_type_is_counted_not_a_crash():
    part = new_part()
    at = "2026-01-01T00:00:00+08:00"
    apply(part, fact(1, {"type": "InstitutionRelocated", "institution_id": "A1", "occurred_at": at}))
    apply(part, fact(2, {"type": "SchoolYearOpened", "occurred_at": at}))
    apply(part, fact(3, {"type": "InstitutionRelocated", "institution_id": "A2", "occurred_at": at}))
    assert part["unknown"] == {"InstitutionRelocated": 2, "SchoolYearOpened": 1}
    assert part["position"] == 3 and part["institutions"] == {}
    assert unknown_counts([part, new_part()]) == {"InstitutionRelocated": 2, "SchoolYearOpened": 1}


def test_the_platforms_own_records_are_known_and_change_no_figure():
    part = new_part()
    for n, kind in enumerate(("TokenGranted", "TokenRevoked", "PersonalDataRedacted"), start=1):
        apply(part, fact(n, {"type": kind, "occurred_at": "2026-01-01T00:00:00+08:00"}, None))
    assert "unknown" not in part and part["position"] == 3
