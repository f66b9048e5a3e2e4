"""The five dashboards: their uid, title and variables. Their panels come from the subsystems
(tuoyu/dashboards/subsystems/), each placing its own panels on the dashboards it names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models import dashboard as dm

from tuoyu.alerts.config import Config
from tuoyu.dashboards.panels import DATASOURCE, new_dashboard, with_panels
from tuoyu.dashboards.subsystems import SUBSYSTEMS


def township_variable() -> db.QueryVariable:
    """The township ids Prometheus has (Prometheus knows no names, so the list shows ids)."""
    return (
        db.QueryVariable("township")
        .label("镇街")
        .datasource(DATASOURCE)
        .query({"query": "label_values(childcare_slots, township)", "refId": "township"})
        .refresh(dm.VariableRefresh.ON_DASHBOARD_LOAD)
        .sort(dm.VariableSort.ALPHABETICAL_ASC)
        .current(dm.VariableOption(text="dayu", value="dayu", selected=True))
    )


@dataclass(frozen=True)
class Board:
    uid: str
    title: str
    description: str
    since: str
    tags: tuple[str, ...]
    variables: tuple[Any, ...] = field(default=())


BOARDS = (
    # The wall of the health commission, one screen (24 columns, 27 rows) in kiosk mode: the plan's
    # targets, the townships (map and table), past targets with their outcome and responsible units,
    # the district over time, closures and firing alerts.
    Board(
        "tuoyu-overview",
        "托育服务总览",
        "门头沟区托育服务监测预警大屏：规划目标、镇街托位、应急关停与告警。",
        "now-30d",
        ("门头沟",),
    ),
    Board(
        "tuoyu-township",
        "镇街详情",
        "单个镇街的托位、普惠、入托、保育人员、整改与应急关停。",
        "now-30d",
        ("门头沟",),
        (township_variable(),),
    ),
    Board(
        "tuoyu-supervision",
        "监督管理",
        "风险信用分级、检查与质量评估覆盖率、质量评估得分、安全事件、岗前卫生保健培训与普惠收费。",
        "now-30d",
        ("门头沟",),
    ),
    Board("tuoyu-closures", "应急关停", "应急关停机构与待分流安置幼儿，按安置时限着色。", "now-7d", ("门头沟",)),
    Board("tuoyu-pipeline", "数据管道", "事件存储、视图与工作进程：看板数据是否最新。", "now-6h", ("运维",)),
)


def build(board: Board, config: Config) -> db.Dashboard:
    built = new_dashboard(board.uid, board.title, board.description, board.since, board.tags)
    for variable in board.variables:
        built = built.with_variable(variable)
    panels = [panel for subsystem in SUBSYSTEMS for panel in subsystem.panels(config).get(board.uid, [])]
    # In reading order, top left first: the SDK moves any later panel placed at (0, 0) to its own
    # next free position.
    panels.sort(key=lambda panel: (panel.build().grid_pos.y, panel.build().grid_pos.x))
    return with_panels(built, panels)
