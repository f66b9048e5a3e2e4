"""Section 三: the figures of each township, and the district's as the total row."""

from __future__ import annotations

from typing import Any

from tuoyu.domain.catalogue import TOWNSHIPS
from tuoyu.report.basis import Basis
from tuoyu.report.labels import STATUS_ZH
from tuoyu.report.model import Cell, Paragraph, Section, Table, cell
from tuoyu.report.numbers import NONE, count, day, decimal, percent
from tuoyu.report.targets import township_floor_status

HEAD = [
    "镇街",
    "机构",
    "托位",
    "普惠托位",
    "普惠占比",
    "在托",
    "使用率",
    "千人托位",
    "托位下限",
    "待整改(逾期)",
    "未结事件",
]


def townships_section(basis: Basis) -> Section:
    snapshot = basis.snapshot
    floors = township_floor_status(snapshot["targets"])
    rows = [_row(t.name_zh, snapshot["townships"][t.id], floors.get(t.id)) for t in TOWNSHIPS]
    rows.append(_row("全区", snapshot["district"], None, total=True))
    floor = next(iter(floors.values()), None)
    note = (
        "「机构」为运营中的机构数，「在托」为在托幼儿数，「千人托位」为每千名常住人口托位数，「未结事件」为尚未"
        "处置完毕的安全事件数。"
    )
    note += (
        f"「托位下限」为每个镇街至少{count(floor['value'])}个托位的目标（{day(floor['due'])}到期）的状态。"
        if floor
        else "尚未确定镇街托位下限目标。"
    )
    return Section(
        "各镇街情况",
        [
            Paragraph(_summary(snapshot, floors)),
            Table("各镇街托育服务情况", HEAD, rows, note=note, style="townships"),
        ],
    )


def _row(name: str, figures: dict[str, Any], floor: dict[str, Any] | None, total: bool = False) -> list[Cell]:
    open_rectifications = f"{figures['rectifications_open']}({figures['rectifications_overdue']})"
    floor_text = NONE if floor is None else STATUS_ZH[floor["status"]]
    style = "total" if total else ""
    return [
        cell(name, style),
        *(
            cell(text, f"num {style}".strip())
            for text in (
                count(figures["institutions_operating"]),
                count(figures["slots_total"]),
                count(figures["slots_inclusive"]),
                percent(figures["inclusive_share"]),
                count(figures["enrolled"]),
                percent(figures["occupancy"]),
                decimal(figures["slots_per_1000"]),
            )
        ),
        cell(floor_text, f"status status-{floor['status']}" if floor else style),
        cell(open_rectifications, f"num {style}".strip()),
        cell(count(figures["incidents_open"]), f"num {style}".strip()),
    ]


def _summary(snapshot: dict[str, Any], floors: dict[str, dict[str, Any]]) -> str:
    townships = snapshot["townships"]
    with_inclusive = sum(1 for t in townships.values() if t["slots_inclusive"] > 0)
    text = (
        f"全区{len(townships)}个镇街中，{sum(1 for t in townships.values() if t['institutions_operating'])}"
        f"个有运营中的托育机构，{with_inclusive}个有普惠托位。"
    )
    below = [t for t in TOWNSHIPS if t.id in floors and floors[t.id]["actual"] < floors[t.id]["value"]]
    if floors:
        value = count(next(iter(floors.values()))["value"])
        if below:
            names = "、".join(f"{t.name_zh}({count(townships[t.id]['slots_total'])}个)" for t in below)
            text += f"托位数低于每镇街{value}个下限的有{len(below)}个：{names}。"
        else:
            text += f"各镇街托位数均达到{value}个的下限。"
    return text
