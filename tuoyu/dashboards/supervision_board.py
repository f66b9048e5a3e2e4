"""The supervision dashboard (监督管理): risk and credit grades per township, inspected and assessed
shares against their targets, quality scores per dimension (district and per township, a sum over
a count), open incidents by category and severity, failed inspections, high-risk institutions left
uninspected, health training, inclusive fees against the cap, and the supervision alerts.

The contract's metrics carry no institution ids (kpis.md: no institution ids as labels), so the
dashboard counts institutions per township; which institutions they are is in the API
(`/api/institutions/{id}`, `/api/incidents`). Risk and credit are exported separately (by risk, by
credit), so the grades are shown side by side per township, not crossed.
"""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.models import dashboard as dm

from tuoyu.dashboards.panels import (
    ANY_IS_BAD,
    alerts_table,
    at_least,
    bars,
    big_stat,
    grid,
    instant_table,
    series_named,
    trend,
)
from tuoyu.dashboards.promql import TOWNSHIP_NAMES, district_target, per_township, plan_target
from tuoyu.domain.catalogue import (
    CREDIT_NAMES_ZH,
    CREDITS,
    INCIDENT_CATEGORY_NAMES_ZH,
    INCIDENT_SEVERITIES,
    INCIDENT_SEVERITY_NAMES_ZH,
    QUALITY_DIMENSION_NAMES_ZH,
    QUALITY_DIMENSIONS,
    RISK_NAMES_ZH,
    RISKS,
    UNGRADED,
)
from tuoyu.projections.moments import DAY
from tuoyu.projections.supervision import SEEN_WINDOW

SEEN_DAYS = SEEN_WINDOW // DAY
SUPERVISION_ALERTS = (
    "SeriousIncidentOpen|HighRiskInstitutionUninspected|InstitutionFailedInspection|"
    "HealthTrainingMissing|InclusiveFeeAboveCap"
)


def _share_stat(x: int, title: str, kpi: str, expr: str) -> Any:
    target = plan_target(kpi)
    suffix = f"（目标 {target:.0%}）" if target is not None else ""
    return big_stat(
        title + suffix,
        expr,
        grid(x, 0, 3, 5),
        at_least(target),
        unit="percentunit",
        decimals=0,
        description=f"实际值；目标取自区规划（指标 {kpi}），规划未设时以灰色显示，当前生效的目标见下方趋势。",
    )


def _numbers() -> list[Any]:
    return [
        big_stat(
            "未结较大及重大安全事件",
            "sum(township:childcare_incidents_open_serious:sum)",
            grid(0, 0, 3, 5),
            ANY_IS_BAD,
            description="严重程度为较大或重大、尚未办结的安全事件（触发 SeriousIncidentOpen）。",
        ),
        big_stat(
            "未结安全事件",
            "sum(district:childcare_incidents_open:sum)",
            grid(3, 0, 3, 5),
            [(None, "green"), (1, "orange")],
            description="各类、各严重程度尚未办结的安全事件。",
        ),
        big_stat(
            f"高风险超 {SEEN_DAYS} 天未检查",
            "district:childcare_high_risk_uninspected:sum",
            grid(6, 0, 3, 5),
            ANY_IS_BAD,
            description=f"最近风险分级为高、近 {SEEN_DAYS} 天内无任何检查的运营机构。",
        ),
        big_stat(
            "最近一次检查不合格",
            "district:childcare_failed_inspection_institutions:sum",
            grid(9, 0, 3, 5),
            ANY_IS_BAD,
            description="最近一次检查（任何类型）结果为不合格的运营机构。",
        ),
        _share_stat(12, "年度检查覆盖率", "inspected_share", "district:childcare_inspected_institutions:ratio"),
        _share_stat(15, "质量评估覆盖率", "assessed_share", "district:childcare_assessed_institutions:ratio"),
        big_stat(
            "未完成岗前卫生保健培训",
            "district:childcare_new_institutions_without_health_training:sum",
            grid(18, 0, 3, 5),
            ANY_IS_BAD,
            description="2023 年以来备案、备案满 90 天仍无岗前卫生保健培训的运营机构。",
        ),
        big_stat(
            "超出普惠收费上限",
            "district:childcare_inclusive_over_cap:sum",
            grid(21, 0, 3, 5),
            ANY_IS_BAD,
            description="月收费高于现行上限的普惠机构。",
        ),
    ]


def _shares() -> list[Any]:
    columns = [
        ("运营机构", "max by (township) (township:childcare_institutions:sum)"),
        ("本年已检查", per_township("childcare_inspected_institutions")),
        ("检查覆盖率", "max by (township) (township:childcare_inspected_institutions:ratio)"),
        ("近365天已评估", per_township("childcare_assessed_institutions")),
        ("评估覆盖率", "max by (township) (township:childcare_assessed_institutions:ratio)"),
    ]
    table = (
        instant_table(
            "各镇街检查与质量评估",
            columns,
            "township",
            grid(12, 5, 12, 9),
            key_title="镇街",
            sort_by="检查覆盖率",
            descending=False,
            key_names=TOWNSHIP_NAMES,
            description="检查：本年日常、飞行、投诉或督导检查；评估：近 365 天内的质量评估。覆盖率最低的镇街在前。",
        )
        .override_by_name("检查覆盖率", _percent_cells())
        .override_by_name("评估覆盖率", _percent_cells())
    )
    return [
        trend(
            "检查与质量评估覆盖率（对照目标）",
            [
                ("年度检查覆盖率", "district:childcare_inspected_institutions:ratio"),
                ("质量评估覆盖率", "district:childcare_assessed_institutions:ratio"),
                ("检查覆盖率目标", district_target("childcare_target_value", "inspected_share")),
                ("评估覆盖率目标", district_target("childcare_target_value", "assessed_share")),
            ],
            grid(0, 5, 12, 9),
            unit="percentunit",
            description="全区覆盖率与当前生效的目标（childcare_target_value）；年度检查覆盖率每年 1 月 1 日从 0 起算。",
        ),
        table,
    ]


def _percent_cells() -> list[Any]:
    return [
        dm.DynamicConfigValue(id_val="unit", value="percentunit"),
        dm.DynamicConfigValue(id_val="decimals", value=0),
    ]


def _grades() -> list[Any]:
    risk = [
        (
            RISK_NAMES_ZH[r] if r != UNGRADED else "风险未评级",
            per_township("childcare_institutions_by_risk", f'{{risk="{r}"}}'),
        )
        for r in (*RISKS, UNGRADED)
    ]
    credit = [
        (
            CREDIT_NAMES_ZH[c] if c != UNGRADED else "信用未评级",
            per_township("childcare_institutions_by_credit", f'{{credit="{c}"}}'),
        )
        for c in (*CREDITS, UNGRADED)
    ]
    return [
        instant_table(
            "风险与信用等级（按镇街，运营机构数）",
            risk + credit,
            "township",
            grid(0, 14, 12, 9),
            key_title="镇街",
            sort_by="高风险",
            key_names=TOWNSHIP_NAMES,
            description="各运营机构最近一次风险信用分级；风险与信用分别计数。",
        )
    ]


def _scores() -> list[Any]:
    district = series_named(
        bars(
            "质量评估平均分（全区，按维度）",
            "district:childcare_quality_score:mean",
            "{{dimension}}",
            grid(12, 14, 6, 9),
            description="各运营机构最近一次质量评估的得分，按维度求平均（总分 ÷ 计分机构数）。",
        ),
        QUALITY_DIMENSION_NAMES_ZH,
    )
    columns = [
        (QUALITY_DIMENSION_NAMES_ZH[d], f'max by (township) (township:childcare_quality_score:mean{{dimension="{d}"}})')
        for d in QUALITY_DIMENSIONS
    ]
    townships = instant_table(
        "质量评估平均分（按镇街与维度）",
        columns,
        "township",
        grid(0, 23, 16, 9),
        key_title="镇街",
        sort_by=QUALITY_DIMENSION_NAMES_ZH["safety"],
        descending=False,
        key_names=TOWNSHIP_NAMES,
        description="镇街内各运营机构最近一次质量评估得分的平均（总分 ÷ 计分机构数）；无评估的镇街为空。",
    )
    return [district, townships]


def _incidents() -> list[Any]:
    columns = [
        (INCIDENT_SEVERITY_NAMES_ZH[s], f'sum by (category) (district:childcare_incidents_open:sum{{severity="{s}"}})')
        for s in INCIDENT_SEVERITIES
    ]
    columns.append(("合计", "sum by (category) (district:childcare_incidents_open:sum)"))
    return [
        instant_table(
            "未结安全事件（按类别与严重程度）",
            columns,
            "category",
            grid(18, 14, 6, 9),
            key_title="类别",
            sort_by="合计",
            key_names=INCIDENT_CATEGORY_NAMES_ZH,
            description="已报告、尚未办结的安全事件（含已关停机构的事件）。",
        )
    ]


def _attention() -> list[Any]:
    failed = series_named(
        bars(
            "最近一次检查不合格的机构（按镇街）",
            per_township("childcare_failed_inspection_institutions"),
            "{{township}}",
            grid(16, 23, 4, 9),
        ),
        TOWNSHIP_NAMES,
    )
    unseen = series_named(
        bars(
            f"高风险超 {SEEN_DAYS} 天未检查（按镇街）",
            per_township("childcare_high_risk_uninspected"),
            "{{township}}",
            grid(20, 23, 4, 9),
        ),
        TOWNSHIP_NAMES,
    )
    return [failed, unseen]


def _fees() -> list[Any]:
    columns = [
        ("平均月收费（元）", "max by (township) (township:childcare_inclusive_fee_yuan:mean)"),
        ("有收费标准的普惠机构", per_township("childcare_inclusive_fee_yuan_count")),
        ("超出上限", per_township("childcare_inclusive_over_cap")),
        ("未完成岗前卫生保健培训", per_township("childcare_new_institutions_without_health_training")),
        ("卫生保健人员", per_township("childcare_health_staff")),
    ]
    return [
        instant_table(
            "普惠收费与卫生保健（按镇街）",
            columns,
            "township",
            grid(0, 32, 10, 8),
            key_title="镇街",
            sort_by="超出上限",
            key_names=TOWNSHIP_NAMES,
            description="普惠机构的月收费（有收费标准者）与现行上限；新设机构岗前卫生保健培训与卫生保健人员。",
        ),
        big_stat(
            "现行普惠收费上限（元/月）",
            "max(childcare_inclusive_fee_cap_yuan)",
            grid(10, 32, 3, 8),
            [(None, "blue")],
            no_value="未设定",
        ),
        big_stat(
            "普惠机构平均月收费（元）",
            "district:childcare_inclusive_fee_yuan:mean",
            grid(13, 32, 3, 8),
            [(None, "blue")],
        ),
        alerts_table(
            "监督管理告警", f'ALERTS{{alertstate="firing",alertname=~"{SUPERVISION_ALERTS}"}}', grid(16, 32, 8, 8)
        ),
    ]


def supervision_board() -> list[Any]:
    return [*_numbers(), *_shares(), *_grades(), *_scores(), *_incidents(), *_attention(), *_fees()]
