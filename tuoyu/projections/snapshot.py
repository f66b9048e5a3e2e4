"""The snapshot of kpis.md: every figure of the district and each township, and the targets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tuoyu.domain.catalogue import DISTRICT, TOWNSHIP_IDS
from tuoyu.projections.facts import SHANGHAI
from tuoyu.projections.figures import district_figures, offers_inclusive_care, township_figures
from tuoyu.projections.fold import Part, new_part
from tuoyu.projections.moments import instant
from tuoyu.projections.provision import fee_cap_in_force
from tuoyu.projections.targets import targets_in_force

View = dict[str, Part]  # partition key (township id or "district") -> part


def new_view() -> View:
    return {key: new_part() for key in (DISTRICT, *TOWNSHIP_IDS)}


def view_position(view: View) -> int:
    return max(part["position"] for part in view.values())


def build_snapshot(view: View, as_of: datetime, known_at: datetime, position: int | None = None) -> dict[str, Any]:
    """The snapshot as of business time `as_of`, evaluated then (overdue, windows, this year, pace)."""
    at, today = instant(as_of), as_of.astimezone(SHANGHAI).date().isoformat()
    cap = fee_cap_in_force(view[DISTRICT], today)
    townships = {t: township_figures(view[t], at, cap) for t in TOWNSHIP_IDS}
    covered = sum(1 for t in TOWNSHIP_IDS if offers_inclusive_care(view[t]))
    floor = view[DISTRICT]["targets"].get("township_min_slots")
    district = district_figures(townships, view[DISTRICT], covered, floor["value"] if floor else None, at)
    return {
        "as_of": _iso(as_of),
        "known_at": _iso(known_at),
        "position": view_position(view) if position is None else position,
        "district": district,
        "townships": townships,
        "targets": targets_in_force(view, {DISTRICT: district, **townships}, as_of),
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")
