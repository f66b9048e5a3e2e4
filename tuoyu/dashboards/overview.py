"""托育服务总览: the wall of the health commission, one screen (24 columns, 27 rows) in kiosk mode.

Row 1, the plan's district targets: each number is red below its target and green from it on,
the target taken from plan-targets.jsonl and printed in the title. Row 2, the townships: the
map and the table sorted by how far each is below its slot floor. Row 3, the district over
time, emergency closures and the alerts firing now.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db, table
from grafana_foundation_sdk.models import dashboard as dm

from tuoyu.dashboards import township
from tuoyu.dashboards.geomap import township_map
from tuoyu.dashboards.panels import (ANY_IS_BAD, DATASOURCE, at_least, big_stat, cells, grid, instant_table, mapped,
                                     new_dashboard, query, trend, with_panels)
from tuoyu.dashboards.promql import (FIRING, FLOOR_GAP, SLOTS, STATUS_COLOURS, STATUS_NAMES, TOWNSHIP_FLOOR,
                                     TOWNSHIP_NAMES, TOWNSHIP_STATUS, TOWNSHIPS_BELOW_FLOOR, district_target,
                                     per_township, plan_target)

UID = "tuoyu-overview"
SEVERITY_NAMES = {"critical": "紧急", "warning": "警告", "info": "提示"}
SEVERITY_COLOURS = {"critical": "red", "warning": "orange", "info": "blue"}
TITLE = "托育服务总览"


def _target_text(kpi: str, percent: bool = False) -> str:
    value = plan_target(kpi)
    if value is None:
        return ""
    return f"（目标 {value:.0%}）" if percent else f"（目标 {value:g}）"


def _target_stat(x: int, title: str, kpi: str, expr: str, percent: bool = False):
    return big_stat(title + _target_text(kpi, percent), expr, grid(x, 0, 3, 5), at_least(plan_target(kpi)),
                    unit="percentunit" if percent else "none", decimals=1 if percent else 0,
                    description=f"实际值；目标取自区规划（plan-targets.jsonl，指标 {kpi}）。当前生效的目标见 childcare_target_value。")


def target_row() -> list:
    floor = plan_target("township_min_slots")
    return [
        _target_stat(0, "全区托位数", "slots_total", "district:childcare_slots:sum"),
        _target_stat(3, "新增托位", "new_slots", district_target("childcare_target_actual", "new_slots")),
        _target_stat(6, "普惠托位占比", "inclusive_share", "district:childcare_inclusive_slots:ratio", percent=True),
        _target_stat(9, "普惠镇街覆盖率", "inclusive_coverage", "district:childcare_inclusive_coverage:ratio",
                     percent=True),
        big_stat("低于托位下限的镇街" + (f"（下限 {floor:g}）" if floor is not None else ""), TOWNSHIPS_BELOW_FLOOR,
                 grid(12, 0, 3, 5), ANY_IS_BAD, description="托位数低于每个镇街托位下限目标的镇街个数（目标：0 个）。"),
        _target_stat(15, "保育人员持证率", "certified_share",
                     district_target("childcare_target_actual", "certified_share"), percent=True),
        _target_stat(18, "机构负责人培训", "heads_trained", district_target("childcare_target_actual", "heads_trained")),
        _target_stat(21, "保育人员培训", "caregivers_trained",
                     district_target("childcare_target_actual", "caregivers_trained")),
    ]


def township_table(where: dm.GridPos) -> table.Panel:
    columns = [
        ("托位数", SLOTS),
        ("托位下限", TOWNSHIP_FLOOR),
        ("距下限缺口", FLOOR_GAP),
        ("普惠托位", per_township("childcare_inclusive_slots")),
        ("普惠占比", "township:childcare_inclusive_slots:ratio"),
        ("入托率", "township:childcare_enrolled_children:ratio"),
        ("状态", TOWNSHIP_STATUS),
    ]
    return (instant_table("镇街托位（按距下限缺口排序）", columns, "township", where, key_title="镇街",
                          sort_by="距下限缺口", key_names=TOWNSHIP_NAMES,
                          description="距下限缺口 = 托位下限 − 托位数；正数表示尚缺的托位，负数表示已超出下限。")
            .override_by_name("镇街", [dm.DynamicConfigValue(id_val="links", value=[
                {"title": "镇街详情", "url": f"/d/{township.UID}?var-township=${{__value.raw}}"}])])
            .override_by_name("普惠占比", [dm.DynamicConfigValue(id_val="unit", value="percentunit")])
            .override_by_name("入托率", [dm.DynamicConfigValue(id_val="unit", value="percentunit")])
            .override_by_name("状态", [
                mapped(STATUS_NAMES, STATUS_COLOURS), cells("color-background")]))


def firing_alerts(where: dm.GridPos) -> table.Panel:
    labels = {"alertname": "告警", "severity": "级别", "township": "镇街", "scope": "范围", "kpi": "指标"}
    return (table.Panel().title("正在触发的告警").datasource(DATASOURCE).grid_pos(where)
            .description("Prometheus 的 ALERTS 序列：当前处于 firing 状态的告警。")
            .with_target(query(FIRING, as_table=True))
            .with_transformation(dm.DataTransformerConfig(id_val="organize", options={
                "includeByName": {name: True for name in labels},
                "indexByName": {name: index for index, name in enumerate(labels)},
                "renameByName": labels}))
            .override_by_name("镇街", [mapped(TOWNSHIP_NAMES)])
            .override_by_name("级别", [mapped(SEVERITY_NAMES, SEVERITY_COLOURS), cells("color-background")])
            .no_value("无告警"))


def dashboard() -> db.Dashboard:
    panels = [
        *target_row(),
        township_map("镇街分布", grid(0, 5, 10, 15)),
        township_table(grid(10, 5, 14, 15)),
        trend("全区托位变化", [("托位总数", "district:childcare_slots:sum"),
                              ("普惠托位", "district:childcare_inclusive_slots:sum"),
                              ("托位目标", district_target("childcare_target_value", "slots_total"))],
              grid(0, 20, 10, 7)),
        big_stat("应急关停未完成安置", "district:childcare_emergency_closures_open:sum", grid(10, 20, 3, 7),
                 ANY_IS_BAD, description="应急关停且仍有幼儿待安置的机构数。"),
        big_stat("待安置幼儿", "district:childcare_children_awaiting_rehoming:sum", grid(13, 20, 3, 7), ANY_IS_BAD),
        firing_alerts(grid(16, 20, 8, 7)),
    ]
    built = new_dashboard(UID, TITLE, "门头沟区托育服务监测预警大屏：规划目标、镇街托位、应急关停与告警。", "now-30d", ["门头沟"])
    return with_panels(built, panels)
