"""Supervision and safety (kpis.md, revision of 2026-11-30; plan tasks 2, 7, 9, 10 and 14): open
serious incidents, high-risk institutions left uninspected, failed inspections, new institutions
without pre-job health training, inclusive fees above the cap. The windows (90 days, this year,
365 days) are computed in the projections from the evaluation time, so the rules only compare
the exported counts. Panels: the supervision dashboard (supervision_board.py) and the township
page's supervision numbers."""

from __future__ import annotations

from typing import Any

from tuoyu.alerts.config import Config
from tuoyu.alerts.rules import Alert, Record
from tuoyu.dashboards.panels import ANY_IS_BAD, big_stat, grid
from tuoyu.dashboards.promql import of_township
from tuoyu.dashboards.supervision_board import supervision_board
from tuoyu.projections.moments import DAY
from tuoyu.projections.supervision import HEALTH_TRAINING_WINDOW, SEEN_WINDOW

NAME = "supervision"
SERIOUS = '{severity=~"serious|major"}'
INCIDENTS = "max by (township, category, severity) (childcare_incidents_open{selector})"
SEEN_DAYS = SEEN_WINDOW // DAY
TRAINING_DAYS = HEALTH_TRAINING_WINDOW // DAY
# The open serious incidents of the alert's township by category and severity, with the category's
# Chinese name (childcare_incident_category_info), for the description.
_SERIOUS_BY_CATEGORY = (
    "{{ range printf `sum by (category, severity) (max by (township, category, severity) "
    '(childcare_incidents_open{township=%q,severity=~"serious|major"})) > 0` $labels.township | query'
    ' | sortByLabel "category" }}'
    "{{ $category := .Labels.category }}{{ $severity := .Labels.severity }}{{ $count := .Value }}"
    "{{ with printf `childcare_incident_category_info{category=%q}` $category | query }}"
    '{{ . | first | label "name_zh" }}{{ else }}{{ $category }}{{ end }}'
    '（{{ if eq $severity "major" }}重大{{ else }}较大{{ end }}）{{ $count | printf "%.0f" }} 起；{{ end }}'
)
FEE_CAP = (
    '{{ with query "max(childcare_inclusive_fee_cap_yuan)" }}{{ . | first | value | printf "%.0f" }}'
    "{{ else }}（未设定）{{ end }}"
)


def _sum_of_townships(metric: str) -> str:
    return f"sum(max by (township) ({metric}))"


def _share(level: str, counted: str) -> Record:
    """Of the operating institutions, those counted (this year's visits, the 365 days' assessments)."""
    if level == "township":
        expr = f"max by (township) ({counted}) / on (township) township:childcare_institutions:sum > -1"
    else:
        expr = _sum_of_townships(counted) + " / sum(township:childcare_institutions:sum) > -1"
    return Record(f"{level}:{counted}:ratio", expr)


def _mean(level: str, name: str, by: str) -> Record:
    """Any level's mean is a sum over a count (kpis.md): never a mean of the townships' means."""
    sums, counts = (f"max by (township{by}) ({name}_{part})" for part in ("sum", "count"))
    if level == "district":
        outer = f"sum by ({by.lstrip(', ')}) " if by else "sum"
        sums, counts = f"{outer}({sums})", f"{outer}({counts})"
    return Record(f"{level}:{name}:mean", f"{sums} / {counts} > -1")


def records(config: Config) -> list[Record]:
    counts = (
        "childcare_high_risk_uninspected",
        "childcare_failed_inspection_institutions",
        "childcare_new_institutions_without_health_training",
        "childcare_inclusive_over_cap",
    )
    return [
        Record(
            "township:childcare_institutions:sum",
            "sum by (township) (max by (township, kind) (childcare_institutions))",
        ),
        *(
            _share(level, counted)
            for counted in ("childcare_inspected_institutions", "childcare_assessed_institutions")
            for level in ("township", "district")
        ),
        _mean("township", "childcare_quality_score", ", dimension"),
        _mean("district", "childcare_quality_score", ", dimension"),
        _mean("township", "childcare_inclusive_fee_yuan", ""),
        _mean("district", "childcare_inclusive_fee_yuan", ""),
        Record(
            "district:childcare_incidents_open:sum", f"sum by (category, severity) ({INCIDENTS.format(selector='')})"
        ),
        Record(
            "township:childcare_incidents_open_serious:sum", f"sum by (township) ({INCIDENTS.format(selector=SERIOUS)})"
        ),
        *(Record(f"district:{metric}:sum", _sum_of_townships(metric)) for metric in counts),
    ]


def alerts(config: Config) -> list[Alert]:
    r = config.rules
    serious = "sum by (township) (" + INCIDENTS.format(selector=SERIOUS) + ") > 0"
    return [
        Alert(
            "SeriousIncidentOpen",
            "critical",
            serious,
            "安全事件未处置完毕：{{ $labels.township }} 有 {{ $value }} 起较大或重大安全事件",
            "{{ $labels.township }} 有 {{ $value }} 起较大或重大安全事件尚未处置完毕："
            + _SERIOUS_BY_CATEGORY
            + "请核实幼儿伤情与处置进展，处置完毕后记录事件办结（IncidentResolved）（目标：0 起）。",
            r.pending_for,
            r.keep_firing_for,
        ),
        Alert(
            "HighRiskInstitutionUninspected",
            "warning",
            "max by (township) (childcare_high_risk_uninspected) > 0",
            f"高风险机构超过 {SEEN_DAYS} 天未检查：{{{{ $labels.township }}}} {{{{ $value }}}} 家",
            f"{{{{ $labels.township }}}} 有 {{{{ $value }}}} 家风险等级为高的运营机构近 {SEEN_DAYS} 天内未接受任何检查"
            "（目标：0 家）；请按分级监管要求安排检查。",
            r.pending_for,
            r.keep_firing_for,
        ),
        Alert(
            "InstitutionFailedInspection",
            "warning",
            "max by (township) (childcare_failed_inspection_institutions) > 0",
            "最近一次检查不合格：{{ $labels.township }} {{ $value }} 家机构",
            "{{ $labels.township }} 有 {{ $value }} 家运营机构最近一次检查结果为不合格（目标：0 家）；"
            "请督促整改并安排复查。",
            r.pending_for,
            r.keep_firing_for,
        ),
        Alert(
            "HealthTrainingMissing",
            "warning",
            "max by (township) (childcare_new_institutions_without_health_training) > 0",
            "新设机构未完成岗前卫生保健培训：{{ $labels.township }} {{ $value }} 家",
            f"{{{{ $labels.township }}}} 有 {{{{ $value }}}} 家 2023 年以来备案的运营机构备案已满 {TRAINING_DAYS} 天，"
            f"备案后 {TRAINING_DAYS} 天内没有岗前卫生保健培训记录（目标：0 家）。",
            r.pending_for,
            r.keep_firing_for,
        ),
        Alert(
            "InclusiveFeeAboveCap",
            "warning",
            "max by (township) (childcare_inclusive_over_cap) > 0",
            "普惠收费超出上限：{{ $labels.township }} {{ $value }} 家机构",
            "{{ $labels.township }} 有 {{ $value }} 家普惠托育机构月收费高于现行普惠收费上限 "
            + FEE_CAP
            + " 元（目标：0 家）；请核查收费标准。",
            r.pending_for,
            r.keep_firing_for,
        ),
    ]


def _township_page() -> list[Any]:
    return [
        big_stat(
            "未结较大及重大安全事件",
            'sum(max by (township, category, severity) (childcare_incidents_open{severity=~"serious|major",'
            'township="$township"})) or vector(0)',
            grid(0, 21, 4, 5),
            ANY_IS_BAD,
        ),
        big_stat(
            f"高风险超 {SEEN_DAYS} 天未检查",
            of_township("childcare_high_risk_uninspected"),
            grid(4, 21, 4, 5),
            ANY_IS_BAD,
        ),
        big_stat(
            "最近一次检查不合格", of_township("childcare_failed_inspection_institutions"), grid(8, 21, 4, 5), ANY_IS_BAD
        ),
        big_stat(
            "年度检查覆盖率",
            'township:childcare_inspected_institutions:ratio{township="$township"}',
            grid(12, 21, 4, 5),
            [(None, "blue")],
            unit="percentunit",
            decimals=0,
            description="本年有日常、飞行、投诉或督导检查的运营机构占比。",
        ),
        big_stat(
            "质量评估覆盖率",
            'township:childcare_assessed_institutions:ratio{township="$township"}',
            grid(16, 21, 4, 5),
            [(None, "blue")],
            unit="percentunit",
            decimals=0,
            description="近 365 天内有质量评估的运营机构占比。",
        ),
        big_stat(
            "未完成岗前卫生保健培训",
            of_township("childcare_new_institutions_without_health_training"),
            grid(20, 21, 4, 5),
            ANY_IS_BAD,
        ),
    ]


def panels(config: Config) -> dict[str, list[Any]]:
    return {"tuoyu-supervision": supervision_board(), "tuoyu-township": _township_page()}
