"""镇街详情: one township, chosen with the variable $township (the townships Prometheus has)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models import dashboard as dm

from tuoyu.dashboards.panels import (ANY_IS_BAD, DATASOURCE, at_least, bars, big_stat, grid, new_dashboard, trend,
                                     value_names, with_panels)
from tuoyu.dashboards.promql import KIND_NAMES, plan_target

UID = "tuoyu-township"
TITLE = "镇街详情"
ONE = '{township="$township"}'


def _of(metric: str) -> str:
    return f"max by (township) ({metric}{ONE})"


def township_variable() -> db.QueryVariable:
    """The township ids Prometheus has (Prometheus knows no names, so the list shows ids)."""
    return (db.QueryVariable("township").label("镇街").datasource(DATASOURCE)
            .query({"query": "label_values(childcare_slots, township)", "refId": "township"})
            .refresh(dm.VariableRefresh.ON_DASHBOARD_LOAD).sort(dm.VariableSort.ALPHABETICAL_ASC)
            .current(dm.VariableOption(text="dayu", value="dayu", selected=True)))


def dashboard() -> db.Dashboard:
    floor = plan_target("township_min_slots")
    certified = f'{_of("childcare_certified_caregivers")} / {_of("childcare_caregivers")} > -1'
    panels = [
        big_stat("托位数" + (f"（下限 {floor:g}）" if floor is not None else ""), _of("childcare_slots"),
                 grid(0, 0, 4, 6), at_least(floor)),
        big_stat("普惠托位", _of("childcare_inclusive_slots"), grid(4, 0, 4, 6), [(None, "blue")]),
        big_stat("普惠托位占比", f'township:childcare_inclusive_slots:ratio{ONE}', grid(8, 0, 4, 6),
                 at_least(plan_target("inclusive_share")), unit="percentunit", decimals=1,
                 description="区级目标作参照（普惠占比目标只对全区考核）。"),
        big_stat("入托率", f'township:childcare_enrolled_children:ratio{ONE}', grid(12, 0, 4, 6), [(None, "blue")],
                 unit="percentunit", decimals=1, description="在托幼儿数 / 托位数。"),
        big_stat("保育人员持证率", certified, grid(16, 0, 4, 6), at_least(plan_target("certified_share")),
                 unit="percentunit", decimals=1, description="持证保育人员数 / 保育人员数；区级目标作参照。"),
        big_stat("在托幼儿", _of("childcare_enrolled_children"), grid(20, 0, 4, 6), [(None, "blue")]),
        big_stat("应急关停未完成安置", _of("childcare_emergency_closures_open"), grid(0, 6, 4, 6), ANY_IS_BAD),
        big_stat("待安置幼儿", _of("childcare_children_awaiting_rehoming"), grid(4, 6, 4, 6), ANY_IS_BAD),
        big_stat("待整改", _of("childcare_rectifications_open"), grid(8, 6, 4, 6), [(None, "blue")]),
        big_stat("逾期整改", _of("childcare_rectifications_overdue"), grid(12, 6, 4, 6), ANY_IS_BAD),
        bars("运营机构（按类型）", f'max by (kind) (childcare_institutions{ONE})', "{{kind}}", grid(16, 6, 8, 10),
             mappings=[value_names(KIND_NAMES)]),
        trend("托位与在托幼儿", [("托位数", _of("childcare_slots")), ("普惠托位", _of("childcare_inclusive_slots")),
                          ("在托幼儿", _of("childcare_enrolled_children"))], grid(0, 12, 16, 9)),
        trend("整改", [("待整改", _of("childcare_rectifications_open")),
                     ("逾期整改", _of("childcare_rectifications_overdue"))], grid(16, 16, 8, 5)),
    ]
    built = new_dashboard(UID, TITLE, "单个镇街的托位、普惠、入托、保育人员、整改与应急关停。", "now-30d",
                          ["门头沟"]).with_variable(township_variable())
    return with_panels(built, panels)
