"""The township catalogue and the closed vocabularies of the interchange format."""

from __future__ import annotations

from dataclasses import dataclass

from tuoyu.contracts import event_schema, townships_document, units_document


@dataclass(frozen=True)
class Township:
    id: str
    code: str
    name_zh: str
    kind: str
    lat: float
    lon: float


def _load_townships() -> tuple[Township, ...]:
    return tuple(
        Township(t["id"], t["code"], t["name_zh"], t["kind"], t["centroid"]["lat"], t["centroid"]["lon"])
        for t in townships_document()["townships"]
    )


TOWNSHIPS: tuple[Township, ...] = _load_townships()
TOWNSHIP_IDS: tuple[str, ...] = tuple(t.id for t in TOWNSHIPS)
TOWNSHIP_BY_ID: dict[str, Township] = {t.id: t for t in TOWNSHIPS}
DISTRICT = "district"
DISTRICT_NAME_ZH: str = townships_document()["district"]["name_zh"]

_DEFS = event_schema()["$defs"]
EVENT_TYPES: tuple[str, ...] = tuple(ref["$ref"].rsplit("/", 1)[1] for ref in event_schema()["oneOf"])
INSTITUTION_KINDS: tuple[str, ...] = tuple(_DEFS["InstitutionFiled"]["properties"]["kind"]["enum"])
COURSES: tuple[str, ...] = tuple(_DEFS["TrainingCompleted"]["properties"]["course"]["enum"])
TARGET_KPIS: tuple[str, ...] = tuple(_DEFS["TargetSet"]["properties"]["kpi"]["enum"])
# KPIs that only make sense for the whole district (kpis.md, "Rules").
DISTRICT_ONLY_KPIS: frozenset[str] = frozenset({"inclusive_coverage", "township_min_slots"})
RATIO_KPIS: frozenset[str] = frozenset(
    {"inclusive_share", "inclusive_coverage", "certified_share", "inspected_share", "assessed_share"}
)

INSTITUTION_EVENT_TYPES: frozenset[str] = frozenset(t for t in EVENT_TYPES if "institution_id" in _DEFS[t]["required"])
# What a closed institution still accepts (kpis.md, "Rules").
ACCEPTED_WHEN_CLOSED: frozenset[str] = frozenset(
    {
        "InstitutionReopened",
        "ChildrenRehomed",
        "InspectionRecorded",
        "RectificationCompleted",
        "RiskCreditGraded",
        "IncidentReported",
        "IncidentResolved",
    }
)

# The vocabularies of the supervision figures (kpis.md, revision of 2026-11-30).
_INSPECTION = _DEFS["InspectionRecorded"]["properties"]
INSPECTION_KINDS: tuple[str, ...] = tuple(_INSPECTION["kind"]["enum"])
# Inspections that count toward inspected_share (every kind but the quality assessment).
VISIT_KINDS: frozenset[str] = frozenset({"routine", "unannounced", "complaint", "supervision"})
QUALITY_DIMENSIONS: tuple[str, ...] = tuple(_INSPECTION["scores"]["properties"])
RISKS: tuple[str, ...] = tuple(_DEFS["RiskCreditGraded"]["properties"]["risk"]["enum"])
CREDITS: tuple[str, ...] = tuple(_DEFS["RiskCreditGraded"]["properties"]["credit"]["enum"])
UNGRADED = "ungraded"
INCIDENT_CATEGORIES: tuple[str, ...] = tuple(_DEFS["IncidentReported"]["properties"]["category"]["enum"])
INCIDENT_SEVERITIES: tuple[str, ...] = tuple(_DEFS["IncidentReported"]["properties"]["severity"]["enum"])
SERIOUS_SEVERITIES: frozenset[str] = frozenset({"serious", "major"})
GUIDANCE_FORMATS: tuple[str, ...] = tuple(_DEFS["ParentingGuidanceHeld"]["properties"]["format"]["enum"])

# The responsible units (责任单位) a target may name (units.json).
UNITS: tuple[dict[str, str], ...] = tuple(units_document()["units"])
UNIT_IDS: tuple[str, ...] = tuple(u["id"] for u in UNITS)
UNIT_NAMES_ZH: dict[str, str] = {u["id"]: u["name_zh"] for u in UNITS}

KIND_NAMES_ZH: dict[str, str] = {
    "kindergarten_class": "幼儿园托班",
    "community": "社区托育点",
    "employer": "用人单位办托",
    "district_center": "区级托育服务中心",
    "school_staff": "机关事业单位托育点",
    "private": "社会办托育机构",
}
COURSE_NAMES_ZH: dict[str, str] = {"head": "机构负责人培训", "caregiver": "保育人员培训", "health": "卫生保健培训"}
# Supervision vocabularies as officials read them (dashboards, the wall, alert texts).
RISK_NAMES_ZH: dict[str, str] = {"low": "低风险", "medium": "中风险", "high": "高风险", UNGRADED: "未评级"}
CREDIT_NAMES_ZH: dict[str, str] = {"A": "A级", "B": "B级", "C": "C级", "D": "D级", UNGRADED: "未评级"}
QUALITY_DIMENSION_NAMES_ZH: dict[str, str] = {
    "management": "机构管理",
    "staffing": "队伍建设",
    "environment": "照护环境",
    "safety": "安全保障",
    "health": "卫生保健",
    "family_community": "与家庭和社区合作",
    "activities": "照护活动",
}
INCIDENT_CATEGORY_NAMES_ZH: dict[str, str] = {
    "personal_safety": "人身安全",
    "food_safety": "食品安全",
    "fire_safety": "消防安全",
    "health": "卫生保健",
    "other": "其他",
}
INCIDENT_SEVERITY_NAMES_ZH: dict[str, str] = {"general": "一般", "serious": "较大", "major": "重大"}

KPI_NAMES_ZH = {
    "slots_total": "托位总数",
    "new_slots": "新增托位",
    "inclusive_share": "普惠托位占比",
    "inclusive_coverage": "普惠服务镇街覆盖率",
    "township_min_slots": "镇街托位下限",
    "heads_trained": "机构负责人培训(人次)",
    "caregivers_trained": "保育人员培训(人次)",
    "certified_share": "保育人员持证率",
    "new_inclusive_slots": "新增普惠托位",
    "kindergarten_new_inclusive_slots": "幼儿园新增普惠托位",
    "slots_per_1000": "每千人口托位数",
    "inspected_share": "年度监督检查覆盖率",
    "assessed_share": "质量评估覆盖率",
    "offline_guidance_activities": "线下科学育儿指导(场次)",
}
