"""The report's words: Chinese names of statuses, kpis, scopes, grades and dimensions."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from tuoyu.domain.catalogue import DISTRICT, DISTRICT_NAME_ZH, KPI_NAMES_ZH, TOWNSHIP_BY_ID

TITLE = "门头沟区托育服务工作监测报告"
SENDER = "门头沟区卫生健康委员会"
RECIPIENT = "门头沟区人民政府"

STATUS_ZH = {"met": "已达成", "on_track": "进度正常", "behind": "进度滞后", "missed": "未达成"}
OUTCOME_ZH = {"met": "达成", "missed": "未达成"}

# kpis.md's revision of 2026-11-30 adds these target kpis; the catalogue names the others.
_NEW_KPI_NAMES_ZH = {
    "new_inclusive_slots": "新增普惠托位",
    "kindergarten_new_inclusive_slots": "幼儿园新增普惠托位",
    "slots_per_1000": "每千人口托位数",
    "inspected_share": "年度检查覆盖率",
    "assessed_share": "质量评估覆盖率",
    "offline_guidance_activities": "线下科学育儿指导活动(场次)",
}
PERCENT_KPIS = frozenset({"inclusive_share", "inclusive_coverage", "certified_share", "inspected_share",
                          "assessed_share"})
DECIMAL_KPIS = frozenset({"slots_per_1000"})

RISK_ZH = {"low": "低风险", "medium": "中风险", "high": "高风险", "ungraded": "未评级"}
CREDIT_ZH = {"A": "A级", "B": "B级", "C": "C级", "D": "D级", "ungraded": "未评级"}
QUALITY_DIMENSIONS_ZH = {
    "management": "机构管理", "staffing": "队伍建设", "environment": "照护环境", "safety": "安全保障",
    "health": "卫生保健", "family_community": "与家庭和社区合作", "activities": "照护活动",
}
INCIDENT_CATEGORY_ZH = {"personal_safety": "人身安全", "food_safety": "食品安全", "fire_safety": "消防安全",
                        "health": "卫生保健", "other": "其他"}
INCIDENT_SEVERITY_ZH = {"general": "一般", "serious": "较大", "major": "重大"}
INSPECTION_KIND_ZH = {"routine": "日常检查", "unannounced": "飞行检查", "complaint": "投诉核查",
                      "quality_assessment": "质量评估", "supervision": "督导走访"}


def kpi_zh(kpi: str) -> str:
    return KPI_NAMES_ZH.get(kpi) or _NEW_KPI_NAMES_ZH.get(kpi) or kpi


def scope_zh(scope: str | None) -> str:
    if scope in (None, DISTRICT):
        return "全区"
    township = TOWNSHIP_BY_ID.get(scope)
    return township.name_zh if township else scope


def township_zh(township: str | None) -> str:
    return scope_zh(township) if township in TOWNSHIP_BY_ID else DISTRICT_NAME_ZH


def units_zh(unit_ids: list[str] | None) -> str:
    """The responsible units of a target by their Chinese names (units.json), lead unit first."""
    if not unit_ids:
        return "—"
    names = _unit_names()
    return "、".join(names.get(unit, unit) for unit in unit_ids)


@cache
def _unit_names() -> dict[str, str]:
    document = json.loads(resources.files("tuoyu.contracts").joinpath("units.json").read_text(encoding="utf-8"))
    return {unit["id"]: unit["name_zh"] for unit in document["units"]}
