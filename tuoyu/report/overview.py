"""Section 一: the district at a glance, the targets counted by status, and what needs attention."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tuoyu.domain.catalogue import KIND_NAMES_ZH, TOWNSHIP_IDS
from tuoyu.report.basis import Basis
from tuoyu.report.labels import STATUS_ZH, kpi_zh, scope_zh, units_zh
from tuoyu.report.model import Facts, Heading, Items, Paragraph, Section, Table, cell
from tuoyu.report.numbers import count, decimal, kpi_value, moment, percent
from tuoyu.report.targets import FLOOR, target_lines


def overview_section(basis: Basis) -> Section:
    district = basis.snapshot["district"]
    lines = target_lines(basis.snapshot["targets"])
    return Section(
        "总体情况",
        [
            Paragraph(_situation(basis, district)),
            Paragraph(_tally(lines)),
            Facts(key_figures(district)),
            kinds_table(district),
            Heading("需关注事项"),
            Items(concerns(basis, lines) or ["截至数据截至时间，未发现需要特别关注的事项。"]),
        ],
    )


def _situation(basis: Basis, d: dict[str, Any]) -> str:
    covered = round(d["inclusive_coverage"] * len(TOWNSHIP_IDS))
    text = (
        f"截至{moment(basis.as_of)}，全区共有运营中的托育机构{count(d['institutions_operating'])}家，"
        f"托位{count(d['slots_total'])}个，其中普惠托位{count(d['slots_inclusive'])}个，"
        f"普惠托位占比{percent(d['inclusive_share'])}；在托幼儿{count(d['enrolled'])}人，"
        f"托位使用率{percent(d['occupancy'])}。{len(TOWNSHIP_IDS)}个镇街中{covered}个提供普惠托育服务，"
        f"覆盖率{percent(d['inclusive_coverage'])}。"
    )
    if d["population"] is not None:
        text += f"全区常住人口{count(d['population'])}人，每千人口托位数{decimal(d['slots_per_1000'])}个。"
    else:
        text += "全区常住人口尚未报送，每千人口托位数暂无法计算。"
    return text


def _tally(lines: list[dict[str, Any]]) -> str:
    if not lines:
        return "截至数据截至时间，尚未确定考核目标。"
    by_status = Counter(line["status"] for line in lines)
    parts = [f"{STATUS_ZH[s]}{by_status[s]}项" for s in ("met", "on_track", "behind", "missed") if by_status[s]]
    text = f"已确定的{len(lines)}项目标中（镇街托位下限按一项计），" + "，".join(parts) + "。"
    due = [line for line in lines if line["outcome"]]
    if due:
        met = sum(1 for line in due if line["outcome"] == "met")
        text += f"其中已到期{len(due)}项，按到期日数据达成{met}项、未达成{len(due) - met}项。"
    return text


def kinds_table(d: dict[str, Any]) -> Table:
    """Slots by kind of institution: the plan makes kindergartens' classes the main channel (task 3)."""
    rows = [
        [
            cell(KIND_NAMES_ZH.get(kind, kind)),
            cell(count(d["institutions_by_kind"][kind]), "num"),
            cell(count(slots), "num"),
            cell(count(d["inclusive_slots_by_kind"][kind]), "num"),
            cell(percent(slots / d["slots_total"] if d["slots_total"] else None), "num"),
        ]
        for kind, slots in d["slots_by_kind"].items()
    ]
    rows.append(
        [
            cell("合计", "total"),
            *(
                cell(text, "num total")
                for text in (
                    count(d["institutions_operating"]),
                    count(d["slots_total"]),
                    count(d["slots_inclusive"]),
                    percent(1.0 if d["slots_total"] else None),
                )
            ),
        ]
    )
    return Table("各类托育机构及托位", ["机构类型", "运营机构", "托位", "普惠托位", "托位占比"], rows)


def key_figures(d: dict[str, Any]) -> list[tuple[str, str]]:
    figures = [
        ("运营机构", f"{count(d['institutions_operating'])}家"),
        ("托位总数", f"{count(d['slots_total'])}个"),
        ("普惠托位", f"{count(d['slots_inclusive'])}个"),
        ("普惠托位占比", percent(d["inclusive_share"])),
        ("在托幼儿", f"{count(d['enrolled'])}人"),
        ("托位使用率", percent(d["occupancy"])),
        ("保育人员", f"{count(d['caregivers'])}人"),
        ("保育人员持证率", percent(d["certified_share"])),
        ("普惠镇街覆盖率", percent(d["inclusive_coverage"])),
        ("每千人口托位数", decimal(d["slots_per_1000"])),
        ("托位未达下限镇街", f"{count(d['townships_below_min_slots'])}个"),
        ("幼儿园托位占比", percent(d["kindergarten_share"])),
        ("待安置幼儿", f"{count(d['children_awaiting_rehoming'])}人"),
        ("待整改(其中逾期)", f"{count(d['rectifications_open'])}({count(d['rectifications_overdue'])})项"),
        ("未结安全事件", f"{count(d['incidents_open'])}起"),
    ]
    return figures


def concerns(basis: Basis, lines: list[dict[str, Any]]) -> list[str]:
    found = [
        _target_concern(line, _unreported(basis, line)) for line in lines if line["status"] in ("missed", "behind")
    ]
    d = basis.snapshot["district"]
    if d["emergency_closures_open"]:
        found.append(
            f"{d['emergency_closures_open']}家机构应急关停，尚有{d['children_awaiting_rehoming']}名幼儿待安置。"
        )
    if d["rectifications_overdue"]:
        found.append(f"{d['rectifications_overdue']}项检查整改已超过整改期限仍未完成。")
    found += _supervision_concerns(d)
    return found


def _target_concern(line: dict[str, Any], unreported: bool = False) -> str:
    kpi = line["kpi"]
    if line["kpi"] == FLOOR:
        what = f"各镇街托位下限（每个镇街{count(line['value'])}个）：{line['actual']}/{line['group']}个镇街达到"
    else:
        what = (
            f"{scope_zh(line['scope'])}「{kpi_zh(kpi)}」：当前{kpi_value(kpi, line['actual'])}，"
            f"目标{kpi_value(kpi, line['value'])}"
        )
        if unreported:
            what += "（尚未报送常住人口，按0计）"
        if line["status"] == "behind":
            what += f"，按进度应达{kpi_value(kpi, line['expected'])}"
    unit = f"（责任单位：{units_zh(line['responsible'])}）" if line["responsible"] else ""
    return f"{what}，{STATUS_ZH[line['status']]}{unit}。"


def _unreported(basis: Basis, line: dict[str, Any]) -> bool:
    """A slots-per-1,000 target whose scope has reported no population (its actual counts as 0)."""
    if line["kpi"] != "slots_per_1000":
        return False
    snapshot = basis.snapshot
    figures = snapshot["district"] if line["scope"] == "district" else snapshot["townships"][line["scope"]]
    return figures["population"] is None


def _supervision_concerns(d: dict[str, Any]) -> list[str]:
    found = []
    if d["incidents_open_serious"]:
        found.append(f"{d['incidents_open_serious']}起较大及以上安全事件尚未处置完毕。")
    if d["high_risk_uninspected"]:
        found.append(f"{d['high_risk_uninspected']}家高风险机构90天内未接受检查。")
    if d["failed_latest"]:
        found.append(f"{d['failed_latest']}家机构最近一次检查结论为不合格。")
    if d["inclusive_over_cap"]:
        found.append(f"{d['inclusive_over_cap']}家普惠机构收费高于现行普惠收费上限。")
    if d["new_without_health_training"]:
        found.append(f"{d['new_without_health_training']}家新设机构备案90天内未开展卫生保健人员岗前培训。")
    return found
