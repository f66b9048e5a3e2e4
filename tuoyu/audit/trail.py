"""Trails (every event of one institution, who recorded it and when) and diffs (which figures
changed between two knowledge times, and the events recorded in between)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from tuoyu.domain.institution import Institution
from tuoyu.projections.facts import Fact, fact_from_stored, partition_of
from tuoyu.views.reading import with_personal_values
from tuoyu.views.replay import replay_snapshot

# Snapshot members that describe the snapshot itself rather than a figure.
_META = ("as_of", "known_at", "position")


def trail(recorder: Any, institution_id: str) -> list[dict[str, Any]] | None:
    """Every recorded event of an institution, oldest first; None if none was ever recorded."""
    rows = recorder.select_originator_states(Institution.create_id(institution_id))
    if not rows:
        return None
    return [_entry(fact) for fact in with_personal_values(recorder, [fact_from_stored(p, s) for p, s in rows])]


def _entry(fact: Fact) -> dict[str, Any]:
    event = fact["event"]
    return {
        "position": fact["position"],
        "event_id": event.get("event_id"),
        "type": event.get("type"),
        "township": fact["context"].get("township"),
        "institution_id": event.get("institution_id"),
        "occurred_at": event.get("occurred_at"),
        "recorded_at": fact["recorded_at"],
        "recorded_by": fact.get("recorded_by"),
        "event": event,
    }


def figures(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot's figures as flat paths: district.slots_total, townships.dayu.enrolled,
    targets.district.slots_total.2024-01-01.actual ..."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}", inner)
        else:
            flat[prefix] = value

    for key, value in snapshot.items():
        if key in _META:
            continue
        if key == "targets":
            for target in value:
                walk(f"targets.{target['scope']}.{target['kpi']}.{target['start']}", target)
        else:
            walk(key, value)
    return flat


def _scope(path: str) -> str:
    """The partition a figure belongs to: a township id, or "district" for district-wide ones."""
    head, _, rest = path.partition(".")
    if head == "townships" or head == "targets":
        return rest.partition(".")[0]
    return "district"


def diff(
    read_facts: Callable[[], Iterable[Fact]], known_from: datetime, known_to: datetime, as_of: datetime
) -> dict[str, Any]:
    """What changed between the snapshots known at `known_from` and at `known_to`, both as of
    `as_of`, and the events recorded in (known_from, known_to] that changed them.

    An event is `late` when it occurred by known_from but was recorded after it (a late filing
    or a correction of the earlier report). Each change names the events of its scope (its
    township; for district figures, every counted event).
    """
    before = replay_snapshot(read_facts(), as_of, as_of, known_from)
    after = replay_snapshot(read_facts(), as_of, as_of, known_to)
    old, new = figures(before), figures(after)
    events = []
    for fact in read_facts():
        recorded = datetime.fromisoformat(fact["recorded_at"])
        if not known_from < recorded <= known_to:
            continue
        occurred = datetime.fromisoformat(fact["event"]["occurred_at"])
        entry = _entry(fact)
        del entry["event"]
        entry["counted"] = occurred <= as_of  # events after as_of cannot change figures as of then
        entry["late"] = occurred <= known_from
        entry["scope"] = partition_of(fact)
        events.append(entry)
    counted = [e for e in events if e["counted"]]
    changes = []
    for path in sorted(set(old) | set(new), key=lambda p: (p.split(".")[0] != "district", p)):
        if old.get(path) == new.get(path):
            continue
        scope = _scope(path)
        causes = [e["position"] for e in counted if scope == "district" or e["scope"] == scope]
        changes.append({"path": path, "before": old.get(path), "after": new.get(path), "events": causes})
    return {
        "from": before["known_at"],
        "to": after["known_at"],
        "as_of": after["as_of"],
        "position_from": before["position"],
        "position_to": after["position"],
        "changes": changes,
        "events": events,
    }
