"""Closures and rectifications: emergency closures with children awaiting a place, the rehoming
deadline, overdue rectifications. Panels: the closures dashboard, the wall's closure numbers and the
township page's closures and rectifications. Closure alerts link to the open closures on the
on-call page."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.models import dashboard as dm

from tuoyu.alerts.config import Config
from tuoyu.alerts.rules import Alert, Record
from tuoyu.dashboards.panels import (
    ANY_IS_BAD,
    alerts_table,
    big_stat,
    cells,
    grid,
    instant_table,
    series_named,
    trend,
)
from tuoyu.dashboards.promql import TOWNSHIP_NAMES, of_township, per_township

NAME = "closures"
OPENED = per_township("childcare_emergency_closure_opened_timestamp_seconds")
HOURS_OPEN = f"(time() - {OPENED}) / 3600"
CLOSURE_ALERTS = 'ALERTS{alertstate="firing",alertname=~"EmergencyClosureOpen|ChildrenAwaitingRehomingTooLong"}'


def records(config: Config) -> list[Record]:
    return [
        Record(
            "district:childcare_children_awaiting_rehoming:sum",
            "sum(max by (township) (childcare_children_awaiting_rehoming))",
        ),
        Record(
            "district:childcare_emergency_closures_open:sum",
            "sum(max by (township) (childcare_emergency_closures_open))",
        ),
    ]


def alerts(config: Config) -> list[Alert]:
    r = config.rules
    hours = r.rehoming_deadline_hours
    awaiting = "max by (township) (childcare_children_awaiting_rehoming) > 0"
    # Measured from the closure itself (a "since" exported by the service), not from when
    # Prometheus first saw it: a restart of Prometheus does not reset the 24 h.
    too_long = (
        awaiting + " and on (township) (time() - max by (township) "
        f"(childcare_emergency_closure_opened_timestamp_seconds) > {hours * 3600})"
    )
    closures = {"closures_url": f"{config.oncall_url}#closures"}
    return [
        Alert(
            "EmergencyClosureOpen",
            "critical",
            awaiting,
            "应急关停：{{ $labels.township }} 有 {{ $value }} 名幼儿待安置",
            "{{ $labels.township }} 有托育机构应急关停，{{ $value }} 名幼儿尚待分流安置；要求关停后 "
            f"{hours} 小时内全部安置。",
            r.emergency_closure_for,
            r.keep_firing_for,
            links=closures,
        ),
        Alert(
            "ChildrenAwaitingRehomingTooLong",
            "critical",
            too_long,
            f"应急关停超过 {hours} 小时仍有 {{{{ $value }}}} 名幼儿未安置",
            f"{{{{ $labels.township }}}} 应急关停已超过 {hours} 小时，"
            f"仍有 {{{{ $value }}}} 名幼儿待安置（目标：0 名）。",
            "0m",
            r.keep_firing_for,
            links=closures,
        ),
        Alert(
            "RectificationOverdue",
            "warning",
            "max by (township) (childcare_rectifications_overdue) > 0",
            "整改逾期：{{ $labels.township }} 有 {{ $value }} 项整改超过期限",
            "{{ $labels.township }} 有 {{ $value }} 项督导检查整改超过整改期限仍未完成（目标：0 项）。",
            r.pending_for,
            r.keep_firing_for,
        ),
    ]


def _closures_table(deadline: int, affected: str) -> Any:
    columns = [
        ("未完成安置的应急关停", affected),
        ("待安置幼儿", f"{per_township('childcare_children_awaiting_rehoming')} and on (township) ({affected})"),
        ("最早关停时间", f"{OPENED} * 1000"),
        ("已持续（小时）", HOURS_OPEN),
    ]
    return (
        instant_table(
            "有幼儿待安置的镇街",
            columns,
            "township",
            grid(0, 6, 14, 10),
            key_title="镇街",
            sort_by="已持续（小时）",
            key_names=TOWNSHIP_NAMES,
            description=f"应急关停后要求 {deadline} 小时内全部安置；超过即触发 ChildrenAwaitingRehomingTooLong。",
        )
        .override_by_name("最早关停时间", [dm.DynamicConfigValue(id_val="unit", value="dateTimeAsLocal")])
        .override_by_name(
            "已持续（小时）",
            [
                dm.DynamicConfigValue(id_val="decimals", value=1),
                dm.DynamicConfigValue(
                    id_val="thresholds",
                    value={
                        "mode": "absolute",
                        "steps": [{"value": None, "color": "orange"}, {"value": deadline, "color": "red"}],
                    },
                ),
                cells("color-background"),
            ],
        )
        .no_value("无待安置幼儿")
    )


def _closures_board(config: Config) -> list[Any]:
    deadline = config.rules.rehoming_deadline_hours
    affected = f"{per_township('childcare_emergency_closures_open')} > 0"
    return [
        big_stat(
            "应急关停未完成安置",
            "district:childcare_emergency_closures_open:sum",
            grid(0, 0, 6, 6),
            ANY_IS_BAD,
            description="应急关停、未复业、仍有幼儿待安置的机构数。",
        ),
        big_stat("待安置幼儿", "district:childcare_children_awaiting_rehoming:sum", grid(6, 0, 6, 6), ANY_IS_BAD),
        big_stat(
            f"最久一起已持续（小时，时限 {deadline}）",
            f"max({HOURS_OPEN})",
            grid(12, 0, 6, 6),
            [(None, "orange"), (deadline, "red")],
            decimals=1,
            no_value="无",
            description="最早一起仍未完成安置的应急关停距今的小时数。",
        ),
        big_stat(
            "镇街数",
            f"count({affected}) or vector(0)",
            grid(18, 0, 6, 6),
            ANY_IS_BAD,
            description="有应急关停未完成安置的镇街个数。",
        ),
        _closures_table(deadline, affected),
        alerts_table("应急关停告警", CLOSURE_ALERTS, grid(14, 6, 10, 10)),
        series_named(
            trend(
                "待安置幼儿（按镇街）",
                [("{{township}}", per_township("childcare_children_awaiting_rehoming"))],
                grid(0, 16, 24, 9),
                stacked=True,
            ),
            TOWNSHIP_NAMES,
        ),
    ]


def panels(config: Config) -> dict[str, list[Any]]:
    return {
        "tuoyu-overview": [
            big_stat(
                "应急关停未完成安置",
                "district:childcare_emergency_closures_open:sum",
                grid(10, 20, 3, 7),
                ANY_IS_BAD,
                description="应急关停且仍有幼儿待安置的机构数。",
            ),
            big_stat("待安置幼儿", "district:childcare_children_awaiting_rehoming:sum", grid(13, 20, 3, 7), ANY_IS_BAD),
        ],
        "tuoyu-township": [
            big_stat(
                "应急关停未完成安置", of_township("childcare_emergency_closures_open"), grid(0, 6, 4, 6), ANY_IS_BAD
            ),
            big_stat("待安置幼儿", of_township("childcare_children_awaiting_rehoming"), grid(4, 6, 4, 6), ANY_IS_BAD),
            big_stat("待整改", of_township("childcare_rectifications_open"), grid(8, 6, 4, 6), [(None, "blue")]),
            big_stat("逾期整改", of_township("childcare_rectifications_overdue"), grid(12, 6, 4, 6), ANY_IS_BAD),
            trend(
                "整改",
                [
                    ("待整改", of_township("childcare_rectifications_open")),
                    ("逾期整改", of_township("childcare_rectifications_overdue")),
                ],
                grid(16, 16, 8, 5),
            ),
        ],
        "tuoyu-closures": _closures_board(config),
    }
