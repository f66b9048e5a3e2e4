"""Lists people browse, read from the view: closures, rectifications, incidents, the public registry."""

from __future__ import annotations

from typing import Any

from tuoyu.domain.catalogue import KIND_NAMES_ZH, TOWNSHIP_BY_ID, TOWNSHIP_IDS
from tuoyu.projections.moments import instant
from tuoyu.projections.snapshot import View


def _institutions(view: View):
    for township in TOWNSHIP_IDS:
        for iid, inst in view[township]["institutions"].items():
            yield township, iid, inst


def closures(view: View, status: str) -> list[dict[str, Any]]:
    """Closures, newest first. `open`: emergency closures not reopened with children still
    awaiting a place (as counted in emergency_closures_open); `all`: every closure."""
    found = []
    for township in TOWNSHIP_IDS:
        part = view[township]
        for closure in part["closures"]:
            inst = part["institutions"].get(closure["institution_id"], {})
            awaiting = closure["children_affected"] - closure["children_rehomed"]
            is_open = closure["emergency"] and closure["reopened_at"] is None and awaiting > 0
            if status == "all" or is_open:
                found.append(
                    {
                        **closure,
                        "township": township,
                        "name": inst.get("name"),
                        "children_awaiting": max(0, awaiting) if closure["reopened_at"] is None else 0,
                        "open": is_open,
                    }
                )
    return sorted(found, key=lambda c: c["closed_at"], reverse=True)


def rectifications(view: View, status: str, today: str) -> list[dict[str, Any]]:
    """`open`: not completed; `overdue`: open with rectify_by before today; `all`: every one."""
    found = []
    for township in TOWNSHIP_IDS:
        part = view[township]
        for case in part["rectifications"].values():
            is_open = case["completed_at"] is None
            overdue = is_open and case["rectify_by"] < today
            if status == "all" or (status == "open" and is_open) or (status == "overdue" and overdue):
                inst = part["institutions"].get(case["institution_id"], {})
                found.append(
                    {**case, "township": township, "name": inst.get("name"), "open": is_open, "overdue": overdue}
                )
    return sorted(found, key=lambda c: c["rectify_by"])


def incidents(view: View, status: str) -> list[dict[str, Any]]:
    """Safety incidents, newest report first. `open`: reported and not resolved; `all`: every one."""
    found = []
    for township in TOWNSHIP_IDS:
        part = view[township]
        for case in part["incidents"].values():
            is_open = case["resolved_at"] is None
            if status == "all" or is_open:
                inst = part["institutions"].get(case["institution_id"], {})
                found.append({**case, "township": township, "name": inst.get("name"), "open": is_open})
    return sorted(found, key=lambda c: instant(c["reported_at"]), reverse=True)


def registry(view: View) -> dict[str, Any]:
    """The public map (备案机构电子地图): operating filed institutions, public fields only."""
    features = []
    for township, iid, inst in _institutions(view):
        if not inst["operating"]:
            continue
        located = inst.get("location")
        centroid = TOWNSHIP_BY_ID[township]
        lon, lat = (located["lon"], located["lat"]) if located else (centroid.lon, centroid.lat)
        features.append(
            {
                "type": "Feature",
                "id": iid,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "institution_id": iid,
                    "name": inst.get("name"),
                    "kind": inst["kind"],
                    "kind_zh": KIND_NAMES_ZH.get(inst["kind"]),
                    "township": township,
                    "township_zh": centroid.name_zh,
                    "address": inst.get("address"),
                    "slots": inst["slots"],
                    "inclusive": inst["inclusive"],
                    "monthly_fee_yuan": inst.get("monthly_fee_yuan"),
                    "location_source": "filed" if located else "township_centroid",
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
