"""Readable tables for people at a terminal, in Chinese."""

from __future__ import annotations

import unicodedata
from typing import Any

from tuoyu.domain.catalogue import DISTRICT_NAME_ZH, KPI_NAMES_ZH, TOWNSHIP_BY_ID

STATUS_ZH = {"met": "已达成", "missed": "未达成(逾期)", "behind": "进度落后", "on_track": "进度正常"}
COLUMNS = (
    ("slots_total", "托位"), ("slots_inclusive", "普惠托位"), ("inclusive_share", "普惠占比"),
    ("institutions_operating", "机构"), ("enrolled", "在托"), ("occupancy", "入托率"),
    ("emergency_closures_open", "应急关停"), ("children_awaiting_rehoming", "待安置"),
    ("rectifications_open", "待整改"), ("rectifications_overdue", "逾期整改"),
    ("caregivers", "保育人员"), ("certified_share", "持证率"),
)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1%}" if value <= 1.0 else f"{value:g}"
    return str(value)


def render(rows: list[list[str]]) -> str:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell + " " * (widths[i] - _width(cell)) if i == 0 else " " * (widths[i] - _width(cell)) + cell
                 for i, cell in enumerate(row)]
        lines.append("  ".join(cells))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _target_value(kpi: str, value: Any) -> str:
    if kpi in ("inclusive_share", "inclusive_coverage", "certified_share"):
        return f"{value:.1%}"
    return f"{value:.1f}" if isinstance(value, float) and not value.is_integer() else str(int(value))


def snapshot_tables(snapshot: dict[str, Any]) -> str:
    header = [["镇街", *(name for _, name in COLUMNS)]]
    rows = [[TOWNSHIP_BY_ID[t].name_zh, *(_cell(f[k]) for k, _ in COLUMNS)] for t, f in snapshot["townships"].items()]
    district = snapshot["district"]
    rows.append([f"{DISTRICT_NAME_ZH}合计", *(_cell(district[k]) for k, _ in COLUMNS)])
    parts = [
        f"托育服务监测 · 数据截至 {snapshot['as_of']} · 已知记录截至 {snapshot['known_at']} · 事件位置 {snapshot['position']}",
        "",
        render(header + rows),
        "",
        f"普惠服务镇街覆盖率 {_cell(district['inclusive_coverage'])} · 低于托位下限的镇街 "
        f"{district['townships_below_min_slots']} 个 · 培训(人次) 负责人 {district['heads_trained']} / 保育人员 "
        f"{district['caregivers_trained']} / 卫生保健 {district['health_trained']} · 科学育儿指导 "
        f"{district['guidance_activities']} 场 {district['guidance_participants']} 人次",
    ]
    if snapshot["targets"]:
        target_rows = [["目标", "范围", "目标值", "基线", "实际", "应达", "截止", "状态"]]
        for t in snapshot["targets"]:
            scope = DISTRICT_NAME_ZH if t["scope"] == "district" else TOWNSHIP_BY_ID[t["scope"]].name_zh
            target_rows.append([KPI_NAMES_ZH.get(t["kpi"], t["kpi"]), scope, _target_value(t["kpi"], t["value"]),
                                _target_value(t["kpi"], t["baseline"]), _target_value(t["kpi"], t["actual"]),
                                _target_value(t["kpi"], t["expected"]), t["due"], STATUS_ZH[t["status"]]])
        parts += ["", "规划目标", render(target_rows)]
    return "\n".join(parts)
