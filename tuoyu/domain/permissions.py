"""Who may record what: the roles of the platform and the events each may submit."""

from __future__ import annotations

from typing import Any

from tuoyu.domain.catalogue import INSTITUTION_EVENT_TYPES, TOWNSHIP_IDS

# Inspectors grade, inspect and follow up; a safety incident is often found or handled on a
# visit, so they report and resolve incidents too (docs/decisions.md).
INSPECTOR_TYPES = frozenset(
    {"InspectionRecorded", "RectificationCompleted", "RiskCreditGraded", "IncidentReported", "IncidentResolved"}
)
REGISTRY_TYPES = INSTITUTION_EVENT_TYPES | {"PopulationReported"}
# What a township officer records for its own township (institutions of it, or naming it).
TOWNSHIP_TYPES = INSTITUTION_EVENT_TYPES | {"TrainingCompleted", "ParentingGuidanceHeld", "PopulationReported"}
FIXED_ROLES = ("admin", "registry", "inspector", "auditor", "oncall")
ACKNOWLEDGING_ROLES = ("admin", "oncall")
AUDITING_ROLES = ("admin", "auditor")  # the audit routes: trails, diffs, verification
ROLE_HELP = {
    "admin": "everything, including TargetSet and InclusiveFeeCapSet",
    "registry": "institution events (filings, capacity, inclusive status, closures, children, staff, "
    "inspections, incidents) in any township, and PopulationReported",
    "inspector": "InspectionRecorded, RectificationCompleted, RiskCreditGraded, IncidentReported and IncidentResolved",
    "auditor": "nothing: it reads everything and writes nothing",
    "oncall": "no events; it acknowledges alerts (POST /api/oncall/{fingerprint}/ack)",
}


def valid_role(role: str) -> bool:
    if role in FIXED_ROLES:
        return True
    return role.startswith("township:") and role.split(":", 1)[1] in TOWNSHIP_IDS


def role_help(role: str) -> str:
    if role.startswith("township:"):
        township = role.split(":", 1)[1]
        return (
            f"institution events for institutions of {township}, and TrainingCompleted, "
            f"ParentingGuidanceHeld and PopulationReported in {township}"
        )
    return ROLE_HELP[role]


def refusal(role: str, event: dict[str, Any], township: str | None) -> str | None:
    """Why `role` may not record `event` (whose institution or activity is in `township`), or None."""
    kind = event["type"]
    if role == "admin":
        return None
    if role == "registry" and kind in REGISTRY_TYPES:
        return None
    if role == "inspector" and kind in INSPECTOR_TYPES:
        return None
    if role.startswith("township:"):
        own = role.split(":", 1)[1]
        if kind in TOWNSHIP_TYPES and township == own:
            return None
        if kind in INSTITUTION_EVENT_TYPES and township is None:
            # An institution nobody filed: the rules will say so, and no township's data is touched.
            return None
        if kind in TOWNSHIP_TYPES:
            where = f"is in {township}" if township else "names no township"
            return f"role {role} may record only {role_help(role)}; this {kind} {where}"
    return f"role {role} may not record {kind}; it may record {role_help(role)}"
