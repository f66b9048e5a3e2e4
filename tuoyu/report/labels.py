"""The report's words: Chinese names of statuses, kpis, scopes, grades and dimensions."""

from __future__ import annotations

from tuoyu.domain.catalogue import (
    DISTRICT,
    DISTRICT_NAME_ZH,
    KPI_NAMES_ZH,
    RATIO_KPIS,
    TOWNSHIP_BY_ID,
    UNIT_NAMES_ZH,
)

TITLE = "门头沟区托育服务工作监测报告"
SENDER = "门头沟区卫生健康委员会"
RECIPIENT = "门头沟区人民政府"

STATUS_ZH = {"met": "已达成", "on_track": "进度正常", "behind": "进度滞后", "missed": "未达成"}
OUTCOME_ZH = {"met": "达成", "missed": "未达成"}

PERCENT_KPIS = RATIO_KPIS
DECIMAL_KPIS = frozenset({"slots_per_1000"})

RISK_ZH = {"low": "低风险", "medium": "中风险", "high": "高风险", "ungraded": "未评级"}
CREDIT_ZH = {"A": "A级", "B": "B级", "C": "C级", "D": "D级", "ungraded": "未评级"}
QUALITY_DIMENSIONS_ZH = {
    "management": "机构管理",
    "staffing": "队伍建设",
    "environment": "照护环境",
    "safety": "安全保障",
    "health": "卫生保健",
    "family_community": "与家庭和社区合作",
    "activities": "照护活动",
}
INCIDENT_CATEGORY_ZH = {
    "personal_safety": "人身安全",
    "food_safety": "食品安全",
    "fire_safety": "消防安全",
    "health": "卫生保健",
    "other": "其他",
}
INCIDENT_SEVERITY_ZH = {"general": "一般", "serious": "较大", "major": "重大"}
INSPECTION_KIND_ZH = {
    "routine": "日常检查",
    "unannounced": "飞行检查",
    "complaint": "投诉核查",
    "quality_assessment": "质量评估",
    "supervision": "督导走访",
}


def kpi_zh(kpi: str) -> str:
    return KPI_NAMES_ZH.get(kpi, kpi)


def scope_zh(scope: str | None) -> str:
    if scope in (None, DISTRICT):
        return "全区"
    township = TOWNSHIP_BY_ID.get(scope)
    return township.name_zh if township else scope


def township_zh(township: str | None) -> str:
    return scope_zh(township) if township in TOWNSHIP_BY_ID else DISTRICT_NAME_ZH


def units_zh(unit_ids: list[str] | None) -> str:
    """The responsible units of a target by their Chinese names (units.json), lead unit first."""
    return "、".join(UNIT_NAMES_ZH.get(unit, unit) for unit in unit_ids) if unit_ids else "—"
