"""Readable tables for people at a terminal, in Chinese."""

from __future__ import annotations

import unicodedata
from typing import Any

from tuoyu.domain.catalogue import DISTRICT_NAME_ZH, KPI_NAMES_ZH, RATIO_KPIS, TOWNSHIP_BY_ID, UNIT_NAMES_ZH

STATUS_ZH = {"met": "已达成", "missed": "未达成(逾期)", "behind": "进度落后", "on_track": "进度正常"}
OUTCOME_ZH = {"met": "达成", "missed": "未达成", None: "—"}
COLUMNS = (
    ("slots_total", "托位"),
    ("slots_inclusive", "普惠托位"),
    ("inclusive_share", "普惠占比"),
    ("institutions_operating", "机构"),
    ("enrolled", "在托"),
    ("occupancy", "入托率"),
    ("emergency_closures_open", "应急关停"),
    ("children_awaiting_rehoming", "待安置"),
    ("rectifications_open", "待整改"),
    ("rectifications_overdue", "逾期整改"),
    ("caregivers", "保育人员"),
    ("certified_share", "持证率"),
    ("incidents_open", "未结事件"),
    ("high_risk_uninspected", "高风险未查"),
    ("inspected_share", "年度检查率"),
    ("slots_per_1000", "千人托位"),
)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# Figures shown as percentages; every other number as it is.
PERCENT = frozenset(
    {
        "inclusive_share",
        "occupancy",
        "certified_share",
        "inclusive_coverage",
        "inspected_share",
        "assessed_share",
        "kindergarten_share",
    }
)


def _cell(value: Any, figure: str = "") -> str:
    if value is None:
        return "—"
    if figure in PERCENT:
        return f"{value:.1%}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def render(rows: list[list[str]]) -> str:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell + " " * (widths[i] - _width(cell)) if i == 0 else " " * (widths[i] - _width(cell)) + cell
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _target_value(kpi: str, value: Any) -> str:
    if value is None:
        return "—"
    if kpi in RATIO_KPIS:
        return f"{value:.1%}"
    return f"{value:.1f}" if isinstance(value, float) and not value.is_integer() else str(int(value))


def snapshot_tables(snapshot: dict[str, Any]) -> str:
    header = [["镇街", *(name for _, name in COLUMNS)]]
    rows = [
        [TOWNSHIP_BY_ID[t].name_zh, *(_cell(f[k], k) for k, _ in COLUMNS)] for t, f in snapshot["townships"].items()
    ]
    district = snapshot["district"]
    rows.append([f"{DISTRICT_NAME_ZH}合计", *(_cell(district[k], k) for k, _ in COLUMNS)])
    parts = [
        f"托育服务监测 · 数据截至 {snapshot['as_of']} · 已知记录截至 {snapshot['known_at']} · "
        f"事件位置 {snapshot['position']}",
        "",
        render(header + rows),
        "",
        f"普惠服务镇街覆盖率 {_cell(district['inclusive_coverage'], 'inclusive_coverage')} · 低于托位下限的镇街 "
        f"{district['townships_below_min_slots']} 个 · 培训(人次) 负责人 {district['heads_trained']} / 保育人员 "
        f"{district['caregivers_trained']} / 卫生保健 {district['health_trained']} · 科学育儿指导 "
        f"{district['guidance_activities']} 场 {district['guidance_participants']} 人次",
        _supervision_line(district),
    ]
    if snapshot["targets"]:
        target_rows = [
            ["目标", "范围", "目标值", "基线", "实际", "应达", "截止", "状态", "截止日实际", "结果", "责任单位"]
        ]
        for t in snapshot["targets"]:
            scope = DISTRICT_NAME_ZH if t["scope"] == "district" else TOWNSHIP_BY_ID[t["scope"]].name_zh
            kpi = t["kpi"]
            target_rows.append(
                [
                    KPI_NAMES_ZH.get(kpi, kpi),
                    scope,
                    _target_value(kpi, t["value"]),
                    _target_value(kpi, t["baseline"]),
                    _target_value(kpi, t["actual"]),
                    _target_value(kpi, t["expected"]),
                    t["due"],
                    STATUS_ZH[t["status"]],
                    _target_value(kpi, t["actual_at_due"]),
                    OUTCOME_ZH[t["outcome"]],
                    "、".join(UNIT_NAMES_ZH[u] for u in t["responsible"]) or "—",
                ]
            )
        parts += ["", "规划目标", render(target_rows)]
    return "\n".join(parts)


def _supervision_line(district: dict[str, Any]) -> str:
    serious = district["incidents_open_serious"]
    return (
        f"监督管理 · 未结安全事件 {district['incidents_open']} 起(较大及以上 {serious} 起) · 本年事件 "
        f"{district['incidents_year']} 起 · 最近检查不合格 {district['failed_latest']} 家 · 质量评估覆盖率 "
        f"{_cell(district['assessed_share'], 'assessed_share')} · 普惠收费超上限 {district['inclusive_over_cap']} 家 · "
        f"本年线下育儿指导 {district['guidance_offline_year']} 场 · 常住人口 {_cell(district['population'])}"
    )
