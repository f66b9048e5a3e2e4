"""应急关停: emergency closures and the children still awaiting a place, against the rehoming
deadline of the alerting tunables (rehoming_deadline_hours), the same limit that pages."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models import dashboard as dm

from tuoyu.dashboards.overview import firing_alerts
from tuoyu.dashboards.panels import (ANY_IS_BAD, big_stat, cells, grid, instant_table, new_dashboard, query,
                                     series_named, trend, with_panels)
from tuoyu.dashboards.promql import TOWNSHIP_NAMES, per_township, tunables

UID = "tuoyu-closures"
TITLE = "应急关停"
OPENED = per_township("childcare_emergency_closure_opened_timestamp_seconds")
HOURS_OPEN = f"(time() - {OPENED}) / 3600"
CLOSURE_ALERTS = 'ALERTS{alertstate="firing",alertname=~"EmergencyClosureOpen|ChildrenAwaitingRehomingTooLong"}'


def dashboard() -> db.Dashboard:
    deadline = tunables()["rehoming_deadline_hours"]
    affected = f'{per_township("childcare_emergency_closures_open")} > 0'
    columns = [
        ("未完成安置的应急关停", affected),
        ("待安置幼儿", f'{per_township("childcare_children_awaiting_rehoming")} and on (township) ({affected})'),
        ("最早关停时间", f"{OPENED} * 1000"),
        ("已持续（小时）", HOURS_OPEN),
    ]
    table = (instant_table("有幼儿待安置的镇街", columns, "township", grid(0, 6, 14, 10), key_title="镇街",
                           sort_by="已持续（小时）", key_names=TOWNSHIP_NAMES,
                           description=f"应急关停后要求 {deadline} 小时内全部安置；超过即触发 ChildrenAwaitingRehomingTooLong。")
             .override_by_name("最早关停时间", [dm.DynamicConfigValue(id_val="unit", value="dateTimeAsLocal")])
             .override_by_name("已持续（小时）", [
                 dm.DynamicConfigValue(id_val="decimals", value=1),
                 dm.DynamicConfigValue(id_val="thresholds", value={"mode": "absolute", "steps": [
                     {"value": None, "color": "orange"}, {"value": deadline, "color": "red"}]}),
                 cells("color-background")])
             .no_value("无待安置幼儿"))
    alerts = firing_alerts(grid(14, 6, 10, 10)).title("应急关停告警")
    alerts = alerts.targets([query(CLOSURE_ALERTS, as_table=True)])
    panels = [
        big_stat("应急关停未完成安置", "district:childcare_emergency_closures_open:sum", grid(0, 0, 6, 6), ANY_IS_BAD,
                 description="应急关停、未复业、仍有幼儿待安置的机构数。"),
        big_stat("待安置幼儿", "district:childcare_children_awaiting_rehoming:sum", grid(6, 0, 6, 6), ANY_IS_BAD),
        big_stat(f"最久一起已持续（小时，时限 {deadline}）", f"max({HOURS_OPEN})", grid(12, 0, 6, 6),
                 [(None, "orange"), (deadline, "red")], decimals=1, no_value="无",
                 description="最早一起仍未完成安置的应急关停距今的小时数。"),
        big_stat("镇街数", f"count({affected}) or vector(0)", grid(18, 0, 6, 6), ANY_IS_BAD,
                 description="有应急关停未完成安置的镇街个数。"),
        table,
        alerts,
        series_named(trend("待安置幼儿（按镇街）", [("{{township}}", per_township("childcare_children_awaiting_rehoming"))],
                           grid(0, 16, 24, 9), stacked=True), TOWNSHIP_NAMES),
    ]
    built = new_dashboard(UID, TITLE, "应急关停机构与待分流安置幼儿，按安置时限着色。", "now-7d", ["门头沟"])
    return with_panels(built, panels)
