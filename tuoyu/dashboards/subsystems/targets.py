"""Targets: pace and outcome of every target in force (kpis.md, "Targets"). Targets are evaluated
in the projections, so these rules compare the exported target series. Every missed target
alerts exactly once: the floor and the inclusive share (capacity) and the certified share have
their own alerts; TargetMissed covers the other kpis. Panels: the wall's row of plan targets."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.models import dashboard as dm

from tuoyu.alerts.config import Config
from tuoyu.alerts.rules import Alert, Record, after_due, by, missed, per_unit
from tuoyu.alerts.templates import IS_RATIO, RESPONSIBLE_UNIT, figure, number
from tuoyu.dashboards.panels import ANY_IS_BAD, at_least, big_stat, cells, grid, instant_table, mapped
from tuoyu.dashboards.promql import TOWNSHIPS_BELOW_FLOOR, district_target, plan_target
from tuoyu.domain.catalogue import KPI_NAMES_ZH

NAME = "targets"
OWN_ALERT_KPIS = ("township_min_slots", "inclusive_share", "certified_share")


def records(config: Config) -> list[Record]:
    return [
        Record(
            "target:childcare_target_actual:ratio_to_value",
            "max by (scope, kpi) (childcare_target_actual) / max by (scope, kpi) (childcare_target_value) > -1",
        ),
        Record(
            "target:childcare_target_gap:expected_minus_actual",
            "max by (scope, kpi) (childcare_target_expected) - max by (scope, kpi) (childcare_target_actual)",
        ),
    ]


def _behind(config: Config) -> str:
    since = by("scope, kpi", "childcare_target_behind_since_timestamp_seconds")
    return (
        by("scope, kpi", "childcare_target_actual")
        + " < "
        + by("scope, kpi", "childcare_target_expected")
        + " and on (scope, kpi) "
        + by("scope, kpi", "childcare_target_behind")
        + " == 1"
        + " and on (scope, kpi) "
        + by("scope, kpi", "childcare_target_due_timestamp_seconds")
        + " >= time()"
        + f" and on (scope, kpi) (time() - {since} > {config.rules.behind_pace_after.seconds:g})"
    )


def alerts(config: Config) -> list[Alert]:
    r = config.rules
    grace = r.after_due_grace.seconds
    others = '{kpi!~"' + "|".join(OWN_ALERT_KPIS) + '"}'
    due = by("scope, kpi", f"childcare_target_due_timestamp_seconds{others}")
    # Paged for target_missed_pages_for after the due day, then left to the reports.
    missed_lately = (
        after_due(others, grace) + f" and on (scope, kpi) (time() - {due} < {r.target_missed_pages_for.seconds:g})"
    )
    certified = '{kpi="certified_share"}'
    return [
        Alert(
            "TargetBehindPace",
            "warning",
            per_unit(_behind(config)),
            IS_RATIO + "目标进度落后：{{ $labels.scope }} {{ $labels.kpi }} 实际 " + number("$value"),
            IS_RATIO
            + "{{ $labels.scope }} 的 {{ $labels.kpi }} 目前为 "
            + number("$value")
            + "，按进度今日应达 "
            + figure("childcare_target_expected")
            + "，目标值 "
            + figure("childcare_target_value")
            + "；已连续落后超过 "
            + r.behind_pace_after
            + "。"
            + RESPONSIBLE_UNIT,
            r.pending_for,
            r.behind_pace_keep_firing_for,
        ),
        Alert(
            "TargetMissed",
            "critical",
            per_unit(missed(others, missed_lately)),
            IS_RATIO + "目标未按期完成：{{ $labels.scope }} {{ $labels.kpi }} 实际 " + number("$value"),
            IS_RATIO
            + "{{ $labels.scope }} 的 {{ $labels.kpi }} 截止日期已过，实际 "
            + number("$value")
            + "，目标值 "
            + figure("childcare_target_value")
            + "（截止后每日提醒，共 "
            + r.target_missed_pages_for
            + "）。"
            + RESPONSIBLE_UNIT,
            r.pending_for,
            r.keep_firing_for,
        ),
        Alert(
            "CaregiverCertificationBelowTarget",
            "warning",
            per_unit(missed(certified, after_due(certified, grace))),
            "保育人员持证率未达目标：{{ $value | humanizePercentage }}",
            "{{ $labels.scope }} 保育人员持证上岗率为 {{ $value | humanizePercentage }}，目标不低于 "
            + figure("childcare_target_value", "certified_share")
            + "（截止日期已过）。"
            + RESPONSIBLE_UNIT,
            r.pending_for,
            r.keep_firing_for,
        ),
    ]


def _target_text(kpi: str, percent: bool = False) -> str:
    value = plan_target(kpi)
    if value is None:
        return ""
    return f"（目标 {value:.0%}）" if percent else f"（目标 {value:g}）"


def _target_stat(x: int, title: str, kpi: str, expr: str, percent: bool = False) -> Any:
    return big_stat(
        title + _target_text(kpi, percent),
        expr,
        grid(x, 0, 3, 5),
        at_least(plan_target(kpi)),
        unit="percentunit" if percent else "none",
        decimals=1 if percent else 0,
        description=f"实际值；目标取自区规划（plan-targets.jsonl，指标 {kpi}）。"
        "当前生效的目标见 childcare_target_value。",
    )


OUTCOME_NAMES = {"1": "✔ 达成", "0": "✖ 未达成"}
OUTCOME_COLOURS = {"1": "green", "0": "red"}


def past_targets(where: dm.GridPos) -> Any:
    """The district's targets past their due date: the figure at the end of the due day, the
    value, the outcome and the responsible units (kpis.md, revision of 2026-11-30)."""
    district = '{scope="district"}'
    at_due = f"max by (kpi) (childcare_target_actual_at_due{district})"
    past = f" and on (kpi) {at_due}"
    columns = [
        ("截止日期", f"(max by (kpi) (childcare_target_due_timestamp_seconds{district}) - 1) * 1000{past}"),
        ("截止日实际", at_due),
        ("目标", f"max by (kpi) (childcare_target_value{district}){past}"),
        ("结果", f"{at_due} >= bool on (kpi) max by (kpi) (childcare_target_value{district})"),
    ]
    units = [("responsible_zh", "责任单位", f"max by (kpi, responsible_zh) (childcare_target_info{district}){past}")]
    return (
        instant_table(
            "已到期目标（截止日评定）",
            columns,
            "kpi",
            where,
            key_title="指标",
            sort_by="截止日期",
            descending=False,
            key_names=KPI_NAMES_ZH,
            labels=units,
            description="全区目标截止日结束时的实际值与结果（actual_at_due、outcome）及责任单位（牵头单位在前）；"
            "占比类指标以小数表示（0.6 即 60%）。",
        )
        .override_by_name("截止日期", [dm.DynamicConfigValue(id_val="unit", value="time:YYYY-MM-DD")])
        .override_by_name("截止日实际", [dm.DynamicConfigValue(id_val="decimals", value=2)])
        .override_by_name("结果", [mapped(OUTCOME_NAMES, OUTCOME_COLOURS), cells("color-background")])
    )


def panels(config: Config) -> dict[str, list[Any]]:
    floor = plan_target("township_min_slots")
    return {
        "tuoyu-overview": [
            _target_stat(0, "全区托位数", "slots_total", "district:childcare_slots:sum"),
            _target_stat(3, "新增托位", "new_slots", district_target("childcare_target_actual", "new_slots")),
            _target_stat(
                6, "普惠托位占比", "inclusive_share", "district:childcare_inclusive_slots:ratio", percent=True
            ),
            _target_stat(
                9, "普惠镇街覆盖率", "inclusive_coverage", "district:childcare_inclusive_coverage:ratio", percent=True
            ),
            big_stat(
                "低于托位下限的镇街" + (f"（下限 {floor:g}）" if floor is not None else ""),
                TOWNSHIPS_BELOW_FLOOR,
                grid(12, 0, 3, 5),
                ANY_IS_BAD,
                description="托位数低于每个镇街托位下限目标的镇街个数（目标：0 个）。",
            ),
            _target_stat(
                15,
                "保育人员持证率",
                "certified_share",
                district_target("childcare_target_actual", "certified_share"),
                percent=True,
            ),
            _target_stat(
                18, "机构负责人培训", "heads_trained", district_target("childcare_target_actual", "heads_trained")
            ),
            _target_stat(
                21,
                "保育人员培训",
                "caregivers_trained",
                district_target("childcare_target_actual", "caregivers_trained"),
            ),
            past_targets(grid(16, 5, 8, 15)),
        ]
    }
