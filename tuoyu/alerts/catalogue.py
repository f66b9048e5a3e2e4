"""The alerts of kpis.md: names, severities, the scope labels they carry, runbook anchors."""

from __future__ import annotations

ALERTS = {
    "EmergencyClosureOpen": ("critical", "closures"),
    "ChildrenAwaitingRehomingTooLong": ("critical", "closures"),
    "RectificationOverdue": ("warning", "closures"),
    "TownshipBelowSlotFloor": ("warning", "capacity"),
    "InclusiveShareBelowTarget": ("warning", "capacity"),
    "TargetBehindPace": ("warning", "targets"),
    "TargetMissed": ("critical", "targets"),
    "CaregiverCertificationBelowTarget": ("warning", "targets"),
    "ProjectionLagging": ("warning", "pipeline"),
    "KpiMetricsAbsent": ("critical", "pipeline"),
}
KPI_ALERTS = tuple(name for name, (_, group) in ALERTS.items() if group != "pipeline")
RULE_FILES = ("capacity", "targets", "closures", "pipeline")
