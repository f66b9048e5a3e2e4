"""Consistency check: the live view the embedded projector stored, against a replay from zero
of the same events (up to the position the view says it has applied)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from tuoyu.projections.snapshot import view_position
from tuoyu.views.projector import VIEW_NAME
from tuoyu.views.reading import NOT_FOLDED, read_facts
from tuoyu.views.replay import fold_all

MISSING = "<missing>"


@dataclass
class CheckReport:
    view: str
    stored: bool  # False: the projector has not stored this view yet (nothing to compare)
    position: int = 0  # the position the view has applied (its tracking record)
    store_position: int = 0
    differences: list[tuple[str, Any, Any]] = field(default_factory=list)  # (path, live, replayed)

    @property
    def consistent(self) -> bool:
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "stored": self.stored,
            "position": self.position,
            "store_position": self.store_position,
            "consistent": self.consistent,
            "differences": [{"path": p, "live": live, "replayed": replayed} for p, live, replayed in self.differences],
        }


def check_view(events_recorder: Any, view_recorder: Any, name: str = VIEW_NAME) -> CheckReport:
    store_position = events_recorder.max_notification_id() or 0
    stored = view_recorder.load_view(name)
    if stored is None:
        return CheckReport(name, False, 0, store_position)
    tracked = view_recorder.max_tracking_id(name) or 0
    live = orjson.loads(stored)
    replayed, _ = fold_all(read_facts(events_recorder, upto=tracked, skip=NOT_FOLDED))
    # The same JSON round trip the projector's stored state went through (tuples become lists).
    replayed = orjson.loads(orjson.dumps(replayed))
    report = CheckReport(name, True, tracked, store_position, list(differences(live, replayed)))
    if not report.differences and isinstance(live, dict) and live and view_position(live) != tracked:
        report.differences.append(("position", view_position(live), tracked))
    return report


def differences(live: Any, replayed: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    if isinstance(live, dict) and isinstance(replayed, dict):
        for key in sorted(set(live) | set(replayed), key=str):
            inner = f"{path}.{key}" if path else str(key)
            if key not in live:
                yield inner, MISSING, replayed[key]
            elif key not in replayed:
                yield inner, live[key], MISSING
            else:
                yield from differences(live[key], replayed[key], inner)
    elif live != replayed:
        yield path, live, replayed
