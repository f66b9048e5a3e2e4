"""Capacity: slots, inclusive slots and shares per township and for the district; the floor and
the inclusive share after their due dates. Panels: the wall's map, township table and trend, and
the township page."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.models import dashboard as dm

from tuoyu.alerts.config import Config
from tuoyu.alerts.rules import Alert, Record, after_due, missed, per_unit
from tuoyu.alerts.templates import RESPONSIBLE_UNIT, figure
from tuoyu.dashboards.geomap import township_map
from tuoyu.dashboards.panels import (
    at_least,
    bars,
    big_stat,
    cells,
    grid,
    instant_table,
    mapped,
    trend,
    value_names,
)
from tuoyu.dashboards.promql import (
    FLOOR_GAP,
    KIND_NAMES,
    ONE_TOWNSHIP,
    SLOTS,
    STATUS_COLOURS,
    STATUS_NAMES,
    TOWNSHIP_FLOOR,
    TOWNSHIP_NAMES,
    TOWNSHIP_STATUS,
    district_target,
    of_township,
    per_township,
    plan_target,
)
from tuoyu.domain.catalogue import TOWNSHIP_IDS

NAME = "capacity"


def records(config: Config) -> list[Record]:
    return [
        Record("district:childcare_slots:sum", "sum(max by (township) (childcare_slots))"),
        Record("district:childcare_inclusive_slots:sum", "sum(max by (township) (childcare_inclusive_slots))"),
        Record(
            "district:childcare_inclusive_slots:ratio",
            "district:childcare_inclusive_slots:sum / district:childcare_slots:sum > -1",
        ),
        Record(
            "township:childcare_inclusive_slots:ratio",
            "max by (township) (childcare_inclusive_slots) / max by (township) (childcare_slots) > -1",
        ),
        Record(
            "district:childcare_enrolled_children:ratio",
            "sum(max by (township) (childcare_enrolled_children)) / district:childcare_slots:sum > -1",
        ),
        Record(
            "township:childcare_enrolled_children:ratio",
            "max by (township) (childcare_enrolled_children) / max by (township) (childcare_slots) > -1",
        ),
        # Of all 13 townships, not of those whose series happen to be here (a dead worker's
        # townships would otherwise raise the coverage).
        Record(
            "district:childcare_inclusive_coverage:ratio",
            f"(count(max by (township) (childcare_inclusive_slots) > 0) or vector(0)) / {len(TOWNSHIP_IDS)}",
        ),
        Record(
            "district:childcare_institutions:sum", "sum by (kind) (max by (township, kind) (childcare_institutions))"
        ),
    ]


def alerts(config: Config) -> list[Alert]:
    r = config.rules
    grace = r.after_due_grace.seconds
    # The floor is reported per township (scope = the township): per_unit labels its township.
    floor = per_unit(missed('{kpi="township_min_slots"}', after_due('{kpi="township_min_slots"}', grace)))
    share = per_unit(missed('{kpi="inclusive_share"}', after_due('{kpi="inclusive_share"}', grace)))
    return [
        Alert(
            "TownshipBelowSlotFloor",
            "warning",
            floor,
            "镇街托位未达下限：{{ $labels.township }} 现有 {{ $value }} 个托位",
            "{{ $labels.township }} 现有托位 {{ $value }} 个，低于每个镇街至少 "
            + figure("childcare_target_value", "township_min_slots")
            + " 个托位的目标（截止日期已过）。"
            + RESPONSIBLE_UNIT,
            r.pending_for,
            r.keep_firing_for,
        ),
        Alert(
            "InclusiveShareBelowTarget",
            "warning",
            share,
            "普惠托位占比未达目标：{{ $value | humanizePercentage }}",
            "{{ $labels.scope }} 普惠托位占比为 {{ $value | humanizePercentage }}，目标不低于 "
            + figure("childcare_target_value", "inclusive_share")
            + "（截止日期已过）。"
            + RESPONSIBLE_UNIT,
            r.pending_for,
            r.keep_firing_for,
        ),
    ]


def township_table(where: dm.GridPos) -> Any:
    columns = [
        ("托位数", SLOTS),
        ("托位下限", TOWNSHIP_FLOOR),
        ("距下限缺口", FLOOR_GAP),
        ("普惠托位", per_township("childcare_inclusive_slots")),
        ("普惠占比", "township:childcare_inclusive_slots:ratio"),
        ("入托率", "township:childcare_enrolled_children:ratio"),
        ("状态", TOWNSHIP_STATUS),
    ]
    return (
        instant_table(
            "镇街托位（按距下限缺口排序）",
            columns,
            "township",
            where,
            key_title="镇街",
            sort_by="距下限缺口",
            key_names=TOWNSHIP_NAMES,
            description="距下限缺口 = 托位下限 − 托位数；正数表示尚缺的托位，负数表示已超出下限。",
        )
        .override_by_name(
            "镇街",
            [
                dm.DynamicConfigValue(
                    id_val="links",
                    value=[{"title": "镇街详情", "url": "/d/tuoyu-township?var-township=${__value.raw}"}],
                )
            ],
        )
        .override_by_name("普惠占比", [dm.DynamicConfigValue(id_val="unit", value="percentunit")])
        .override_by_name("入托率", [dm.DynamicConfigValue(id_val="unit", value="percentunit")])
        .override_by_name("状态", [mapped(STATUS_NAMES, STATUS_COLOURS), cells("color-background")])
    )


def _township_page() -> list[Any]:
    floor = plan_target("township_min_slots")
    certified = f"{of_township('childcare_certified_caregivers')} / {of_township('childcare_caregivers')} > -1"
    return [
        big_stat(
            "托位数" + (f"（下限 {floor:g}）" if floor is not None else ""),
            of_township("childcare_slots"),
            grid(0, 0, 4, 6),
            at_least(floor),
        ),
        big_stat("普惠托位", of_township("childcare_inclusive_slots"), grid(4, 0, 4, 6), [(None, "blue")]),
        big_stat(
            "普惠托位占比",
            f"township:childcare_inclusive_slots:ratio{ONE_TOWNSHIP}",
            grid(8, 0, 4, 6),
            at_least(plan_target("inclusive_share")),
            unit="percentunit",
            decimals=1,
            description="区级目标作参照（普惠占比目标只对全区考核）。",
        ),
        big_stat(
            "入托率",
            f"township:childcare_enrolled_children:ratio{ONE_TOWNSHIP}",
            grid(12, 0, 4, 6),
            [(None, "blue")],
            unit="percentunit",
            decimals=1,
            description="在托幼儿数 / 托位数。",
        ),
        big_stat(
            "保育人员持证率",
            certified,
            grid(16, 0, 4, 6),
            at_least(plan_target("certified_share")),
            unit="percentunit",
            decimals=1,
            description="持证保育人员数 / 保育人员数；区级目标作参照。",
        ),
        big_stat("在托幼儿", of_township("childcare_enrolled_children"), grid(20, 0, 4, 6), [(None, "blue")]),
        bars(
            "运营机构（按类型）",
            f"max by (kind) (childcare_institutions{ONE_TOWNSHIP})",
            "{{kind}}",
            grid(16, 6, 8, 10),
            mappings=[value_names(KIND_NAMES)],
        ),
        trend(
            "托位与在托幼儿",
            [
                ("托位数", of_township("childcare_slots")),
                ("普惠托位", of_township("childcare_inclusive_slots")),
                ("在托幼儿", of_township("childcare_enrolled_children")),
            ],
            grid(0, 12, 16, 9),
        ),
    ]


def panels(config: Config) -> dict[str, list[Any]]:
    return {
        "tuoyu-overview": [
            township_map("镇街分布", grid(0, 5, 7, 15)),
            township_table(grid(7, 5, 9, 15)),
            trend(
                "全区托位变化",
                [
                    ("托位总数", "district:childcare_slots:sum"),
                    ("普惠托位", "district:childcare_inclusive_slots:sum"),
                    ("托位目标", district_target("childcare_target_value", "slots_total")),
                ],
                grid(0, 20, 10, 7),
            ),
        ],
        "tuoyu-township": _township_page(),
    }
