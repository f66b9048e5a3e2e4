"""Prometheus recording and alert rules, rendered from the tunables (alerts/tunables.yaml).

Targets are evaluated in the projections (kpis.md, "Targets"), so these rules compare the
exported target series; PromQL only sums townships and watches the pipeline. Every missed
target alerts exactly once: the floor, the inclusive share and the certified share have
their own alerts; TargetMissed covers the other kpis.
"""

from __future__ import annotations

from typing import Any

from tuoyu.alerts.catalogue import ALERTS
from tuoyu.domain.catalogue import DISTRICT, DISTRICT_NAME_ZH, KPI_NAMES_ZH, TOWNSHIPS

TEAM = "health-commission"
OWN_ALERT_KPIS = ("township_min_slots", "inclusive_share", "certified_share")


def _by(labels: str, metric: str) -> str:
    return f"max by ({labels}) ({metric})"


def _after_due(kpi_filter: str) -> str:
    return f"on (scope, kpi) {_by('scope, kpi', f'childcare_target_due_timestamp_seconds{kpi_filter}')} < time()"


# Figures are printed as the commission reads them: shares as percentages, counts as whole
# numbers. (`humanize` would print a 0.6 share as "600m" and 1055 slots as "1.055k".)
RATIO_KPIS = ("inclusive_share", "inclusive_coverage", "certified_share")
PERCENT = "humanizePercentage"
COUNT = 'printf "%.0f"'
# For alerts over any kpi: declared once at the start of an annotation, read by _number().
IS_RATIO = '{{ $ratio := match "^(' + "|".join(RATIO_KPIS) + ')$" $labels.kpi }}'


def _number(pipeline: str, kpi: str | None = None) -> str:
    """Template text printing `pipeline` for `kpi`, or for the alert's kpi label (after IS_RATIO)."""
    if kpi is not None:
        return "{{ " + pipeline + " | " + (PERCENT if kpi in RATIO_KPIS else COUNT) + " }}"
    return ("{{ if $ratio }}{{ " + pipeline + " | " + PERCENT + " }}{{ else }}{{ " + pipeline + " | " + COUNT
            + " }}{{ end }}")


def _missed(selector: str) -> str:
    """Targets matching `selector` whose actual is below their value after the due day."""
    return (_by("scope, kpi", f"childcare_target_actual{selector}") + " < "
            + _by("scope, kpi", f"childcare_target_value{selector}") + " and " + _after_due(selector))


def _figure(metric: str, kpi: str | None = None) -> str:
    """A query template quoting another target series of the same scope and kpi."""
    return ('{{ with printf "max(' + metric + '{scope=\'%s\',kpi=\'%s\'})" $labels.scope $labels.kpi | query }}'
            + _number(". | first | value", kpi) + "{{ end }}")


def _names(label: str, names: dict[str, str]) -> str:
    """A template printing the Chinese name of a label's value (the id itself if unknown)."""
    branches = [f'{{{{ {"if" if n == 0 else "else if"} eq $labels.{label} "{key}" }}}}{name}'
                for n, (key, name) in enumerate(names.items())]
    return "".join(branches) + f"{{{{ else }}}}{{{{ $labels.{label} }}}}{{{{ end }}}}"


# Officials read names, not ids: 永定镇, not yongding; 托位总数, not slots_total.
READABLE = {
    "{{ $labels.township }}": _names("township", {t.id: t.name_zh for t in TOWNSHIPS}),
    "{{ $labels.scope }}": _names("scope", {DISTRICT: DISTRICT_NAME_ZH, **{t.id: t.name_zh for t in TOWNSHIPS}}),
    "{{ $labels.kpi }}": _names("kpi", KPI_NAMES_ZH),
}


def _readable(text: str) -> str:
    for raw, named in READABLE.items():
        text = text.replace(raw, named)
    return text


def _alert(name: str, expr: str, for_: str, summary: str, description: str, runbook: str,
           keep_firing_for: str | None = None) -> dict[str, Any]:
    severity, _ = ALERTS[name]
    summary, description = _readable(summary), _readable(description)
    rule: dict[str, Any] = {"alert": name, "expr": expr, "for": for_}
    if keep_firing_for:
        rule["keep_firing_for"] = keep_firing_for
    rule["labels"] = {"severity": severity, "team": TEAM}
    rule["annotations"] = {"summary": summary, "description": description,
                           "runbook_url": f"{runbook}#{name.lower()}"}
    return rule


def capacity_rules(t: dict[str, Any], runbook: str) -> dict[str, Any]:
    slots_floor = 'label_replace(' + _missed('{kpi="township_min_slots"}') + ', "township", "$1", "scope", "(.*)")'
    share = _missed('{kpi="inclusive_share"}')
    return {"name": "childcare-capacity", "interval": t["evaluation_interval"], "rules": [
        {"record": "district:childcare_slots:sum", "expr": "sum(max by (township) (childcare_slots))"},
        {"record": "district:childcare_inclusive_slots:sum",
         "expr": "sum(max by (township) (childcare_inclusive_slots))"},
        {"record": "district:childcare_inclusive_slots:ratio",
         "expr": "district:childcare_inclusive_slots:sum / district:childcare_slots:sum > -1"},
        {"record": "township:childcare_inclusive_slots:ratio",
         "expr": "max by (township) (childcare_inclusive_slots) / max by (township) (childcare_slots) > -1"},
        {"record": "district:childcare_enrolled_children:ratio",
         "expr": "sum(max by (township) (childcare_enrolled_children)) / district:childcare_slots:sum > -1"},
        {"record": "township:childcare_enrolled_children:ratio",
         "expr": "max by (township) (childcare_enrolled_children) / max by (township) (childcare_slots) > -1"},
        {"record": "district:childcare_inclusive_coverage:ratio",
         "expr": "(count(max by (township) (childcare_inclusive_slots) > 0) or vector(0)) "
                 "/ count(max by (township) (childcare_slots))"},
        {"record": "district:childcare_institutions:sum", "expr": "sum by (kind) (max by (township, kind) "
                                                                 "(childcare_institutions))"},
        _alert("TownshipBelowSlotFloor", slots_floor, t["after_due_for"],
               "镇街托位未达下限：{{ $labels.township }} 现有 {{ $value }} 个托位",
               "{{ $labels.township }} 现有托位 {{ $value }} 个，低于每个镇街至少 "
               + _figure("childcare_target_value", "township_min_slots") + " 个托位的目标（截止日期已过）。", runbook),
        _alert("InclusiveShareBelowTarget", share, t["after_due_for"],
               "普惠托位占比未达目标：{{ $value | humanizePercentage }}",
               "{{ $labels.scope }} 普惠托位占比为 {{ $value | humanizePercentage }}，目标不低于 "
               + _figure("childcare_target_value", "inclusive_share") + "（截止日期已过）。", runbook),
    ]}


def target_rules(t: dict[str, Any], runbook: str) -> dict[str, Any]:
    others = 'kpi!~"' + "|".join(OWN_ALERT_KPIS) + '"'
    behind = (_by("scope, kpi", "childcare_target_actual") + " < " + _by("scope, kpi", "childcare_target_expected")
              + " and on (scope, kpi) " + _by("scope, kpi", "childcare_target_behind") + " == 1"
              + " and on (scope, kpi) " + _by("scope, kpi", "childcare_target_due_timestamp_seconds") + " >= time()")
    missed = _missed("{" + others + "}")
    certified = _missed('{kpi="certified_share"}')
    return {"name": "childcare-targets", "interval": t["evaluation_interval"], "rules": [
        {"record": "target:childcare_target_actual:ratio_to_value",
         "expr": "max by (scope, kpi) (childcare_target_actual) / max by (scope, kpi) (childcare_target_value) > -1"},
        {"record": "target:childcare_target_gap:expected_minus_actual",
         "expr": "max by (scope, kpi) (childcare_target_expected) - max by (scope, kpi) (childcare_target_actual)"},
        _alert("TargetBehindPace", behind, t["behind_pace_for"],
               IS_RATIO + "目标进度落后：{{ $labels.scope }} {{ $labels.kpi }} 实际 " + _number("$value"),
               IS_RATIO + "{{ $labels.scope }} 的 {{ $labels.kpi }} 目前为 " + _number("$value") + "，按进度今日应达 "
               + _figure("childcare_target_expected") + "，目标值 " + _figure("childcare_target_value") + "。",
               runbook, keep_firing_for=t["behind_pace_keep_firing_for"]),
        _alert("TargetMissed", missed, t["after_due_for"],
               IS_RATIO + "目标未按期完成：{{ $labels.scope }} {{ $labels.kpi }} 实际 " + _number("$value"),
               IS_RATIO + "{{ $labels.scope }} 的 {{ $labels.kpi }} 截止日期已过，实际 " + _number("$value") + "，目标值 "
               + _figure("childcare_target_value") + "。", runbook),
        _alert("CaregiverCertificationBelowTarget", certified, t["after_due_for"],
               "保育人员持证率未达目标：{{ $value | humanizePercentage }}",
               "{{ $labels.scope }} 保育人员持证上岗率为 {{ $value | humanizePercentage }}，目标不低于 "
               + _figure("childcare_target_value", "certified_share") + "（截止日期已过）。", runbook),
    ]}


def closure_rules(t: dict[str, Any], runbook: str) -> dict[str, Any]:
    deadline = t["rehoming_deadline_hours"] * 3600
    awaiting = "max by (township) (childcare_children_awaiting_rehoming) > 0"
    too_long = (awaiting + " and on (township) (time() - max by (township) "
                "(childcare_emergency_closure_opened_timestamp_seconds) > " + str(deadline) + ")")
    return {"name": "childcare-closures", "interval": t["evaluation_interval"], "rules": [
        {"record": "district:childcare_children_awaiting_rehoming:sum",
         "expr": "sum(max by (township) (childcare_children_awaiting_rehoming))"},
        {"record": "district:childcare_emergency_closures_open:sum",
         "expr": "sum(max by (township) (childcare_emergency_closures_open))"},
        _alert("EmergencyClosureOpen", awaiting, t["emergency_closure_for"],
               "应急关停：{{ $labels.township }} 有 {{ $value }} 名幼儿待安置",
               "{{ $labels.township }} 有托育机构应急关停，{{ $value }} 名幼儿尚待分流安置；要求关停后 "
               + str(t["rehoming_deadline_hours"]) + " 小时内全部安置。", runbook),
        _alert("ChildrenAwaitingRehomingTooLong", too_long, "0m",
               "应急关停超过 " + str(t["rehoming_deadline_hours"]) + " 小时仍有 {{ $value }} 名幼儿未安置",
               "{{ $labels.township }} 应急关停已超过 " + str(t["rehoming_deadline_hours"])
               + " 小时，仍有 {{ $value }} 名幼儿待安置（目标：0 名）。", runbook),
        _alert("RectificationOverdue", "max by (township) (childcare_rectifications_overdue) > 0",
               t["rectification_overdue_for"],
               "整改逾期：{{ $labels.township }} 有 {{ $value }} 项整改超过期限",
               "{{ $labels.township }} 有 {{ $value }} 项督导检查整改超过整改期限仍未完成（目标：0 项）。", runbook),
    ]}


def pipeline_rules(t: dict[str, Any], runbook: str) -> dict[str, Any]:
    lag = "max by (view) (max(childcare_events_recorded) - on () group_right max by (view) (childcare_projection_position))"
    return {"name": "childcare-pipeline", "interval": t["evaluation_interval"], "rules": [
        {"record": "view:childcare_projection_lag:events", "expr": lag},
        _alert("ProjectionLagging", f"view:childcare_projection_lag:events > {t['projection_lag_events']}",
               t["projection_lag_for"],
               "视图滞后：{{ $labels.view }} 落后 {{ $value }} 个事件",
               "视图 {{ $labels.view }} 落后最新记录 {{ $value }} 个事件，已持续 " + t["projection_lag_for"]
               + "（阈值 " + str(t["projection_lag_events"]) + " 个）；看板和告警数据可能不是最新。", runbook),
        _alert("KpiMetricsAbsent", "absent(childcare_slots)", t["metrics_absent_for"],
               "托育指标缺失：Prometheus 未采集到 childcare_slots",
               "已 " + t["metrics_absent_for"] + " 未采集到托育指标（应有 13 个镇街的 childcare_slots），"
               "服务或数据管道可能已停止；其他指标告警在此期间被抑制。", runbook),
    ]}


def render_rules(tunables: dict[str, Any]) -> dict[str, dict[str, Any]]:
    t, runbook = tunables["rules"], tunables["runbook_base_url"]
    return {
        "capacity": {"groups": [capacity_rules(t, runbook)]},
        "targets": {"groups": [target_rules(t, runbook)]},
        "closures": {"groups": [closure_rules(t, runbook)]},
        "pipeline": {"groups": [pipeline_rules(t, runbook)]},
    }
