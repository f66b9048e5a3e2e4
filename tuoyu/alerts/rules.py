"""Recording rules and alerts as data, rendered into Prometheus rule groups.

A subsystem (tuoyu/dashboards/subsystems/) lists its `Record`s and `Alert`s; `rule_group` renders
them with the labels and annotations every alert must carry (kpis.md, "Alerts"): `severity`,
`team`, Chinese `summary` and `description`, and `runbook_url` into the runbook's section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tuoyu.alerts.config import Config
from tuoyu.alerts.templates import readable
from tuoyu.domain.catalogue import TOWNSHIP_IDS

TEAM = "health-commission"
SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True)
class Record:
    record: str
    expr: str


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str
    expr: str
    summary: str
    description: str
    for_: str = "0m"
    keep_firing_for: str | None = None
    # Labels the alert always carries besides severity and team (e.g. the view it concerns).
    labels: dict[str, str] = field(default_factory=dict)
    # Extra annotations, e.g. a link to the list the on-call officer needs.
    links: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.name}: severity {self.severity!r}; allowed: {', '.join(SEVERITIES)}")

    def rule(self, config: Config) -> dict[str, Any]:
        rule: dict[str, Any] = {"alert": self.name, "expr": self.expr, "for": self.for_}
        if self.keep_firing_for:
            rule["keep_firing_for"] = self.keep_firing_for
        rule["labels"] = {"severity": self.severity, "team": TEAM, **self.labels}
        rule["annotations"] = {
            "summary": readable(self.summary),
            "description": readable(self.description),
            "runbook_url": f"{config.runbook_url}#{self.name.lower()}",
            "oncall_url": config.oncall_url,
            **self.links,
        }
        return rule


def rule_group(name: str, config: Config, records: list[Record], alerts: list[Alert]) -> dict[str, Any]:
    rules: list[dict[str, Any]] = [{"record": r.record, "expr": r.expr} for r in records]
    rules += [alert.rule(config) for alert in alerts]
    return {"groups": [{"name": f"childcare-{name}", "interval": config.rules.evaluation_interval, "rules": rules}]}


def by(labels: str, metric: str) -> str:
    return f"max by ({labels}) ({metric})"


def after_due(selector: str, grace_seconds: float) -> str:
    """`and`-operand: the target's due day ended more than `grace_seconds` ago (a "since" timestamp
    compared in the expression, not a `for`, so that a restart of Prometheus does not reset it)."""
    due = by("scope, kpi", f"childcare_target_due_timestamp_seconds{selector}")
    return f"on (scope, kpi) (time() - {due} > {grace_seconds:g})"


def missed(selector: str, after: str) -> str:
    """Targets matching `selector` whose actual is below their value, `and` the condition `after`."""
    return (
        by("scope, kpi", f"childcare_target_actual{selector}")
        + " < "
        + by("scope, kpi", f"childcare_target_value{selector}")
        + " and "
        + after
    )


RESPONSIBLE = "max by (scope, kpi, unit) (childcare_target_responsible)"


def per_unit(expr: str) -> str:
    """An alert about a target, once per responsible unit (kpis.md: "joined from
    childcare_target_responsible"): `expr`, one series per (scope, kpi), with each unit of its
    target as the label `unit`; a target naming no unit alerts once, without `unit`. A target
    about one township also carries `township`, so that its government is told (routing.py)."""
    joined = f"({expr}) * on (scope, kpi) group_right {RESPONSIBLE} or ({expr}) unless on (scope, kpi) {RESPONSIBLE}"
    return f'label_replace({joined}, "township", "$1", "scope", "({"|".join(TOWNSHIP_IDS)})")'
