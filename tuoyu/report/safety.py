"""Section 四: closures, incidents and rectifications of the period (1 January of the as-of year
to the as-of time), and those still open at the as-of time whenever they began."""

from __future__ import annotations

from typing import Any

from tuoyu.projections import lists
from tuoyu.projections.facts import business_date
from tuoyu.report.basis import Basis
from tuoyu.report.labels import INCIDENT_CATEGORY_ZH, INCIDENT_SEVERITY_ZH, INSPECTION_KIND_ZH, township_zh
from tuoyu.report.model import Block, Cell, Heading, Paragraph, Section, Table, cell
from tuoyu.report.numbers import count, short_day

MAX_ROWS = 100  # a longer list is cut, and says how many rows it leaves out


def safety_section(basis: Basis) -> Section:
    blocks: list[Block] = [Heading("机构关停与幼儿安置"), *_closures(basis)]
    blocks += [Heading("安全事件"), *_incidents(basis)]
    blocks += [Heading("检查整改"), *_rectifications(basis)]
    return Section("安全与应急处置", blocks)


def in_period(basis: Basis, timestamp: str | None) -> bool:
    return timestamp is not None and basis.period_start <= business_date(timestamp) <= basis.today


def _cut(rows: list[list[Cell]], what: str) -> tuple[list[list[Cell]], str | None]:
    if len(rows) <= MAX_ROWS:
        return rows, None
    return rows[:MAX_ROWS], f"共{len(rows)}{what}，本表列出前{MAX_ROWS}{what}。"


def _closures(basis: Basis) -> list[Block]:
    chosen = [c for c in lists.closures(basis.view, "all") if in_period(basis, c["closed_at"]) or c["open"]]
    chosen.sort(key=lambda c: c["closed_at"])
    emergency = [c for c in chosen if c["emergency"]]
    d = basis.snapshot["district"]
    text = (
        f"报告期内关停托育机构{sum(1 for c in chosen if in_period(basis, c['closed_at']))}家，其中应急关停"
        f"{sum(1 for c in emergency if in_period(basis, c['closed_at']))}家。截至数据截至时间，应急关停后仍有幼儿"
        f"待安置的机构{d['emergency_closures_open']}家，待安置幼儿{d['children_awaiting_rehoming']}人。"
    )
    if not chosen:
        return [Paragraph(text)]
    rows = [
        [
            cell(c["name"] or c["institution_id"]),
            cell(township_zh(c["township"])),
            cell(short_day(c["closed_at"])),
            cell("应急" if c["emergency"] else "一般"),
            cell(count(c["children_affected"]), "num"),
            cell(count(c["children_rehomed"]), "num"),
            cell(count(c["children_awaiting"]), "num"),
            cell(
                short_day(c["reopened_at"]) if c["reopened_at"] else ("待安置" if c["open"] else "未复业"),
                "status status-behind" if c["open"] else "",
            ),
        ]
        for c in chosen
    ]
    rows, note = _cut(rows, "家次")
    head = ["机构", "镇街", "关停日期", "类型", "受影响幼儿", "已安置", "待安置", "复业日期/状态"]
    return [Paragraph(text), Table("报告期内及尚未处置完毕的机构关停", head, rows, note=note)]


def _incidents(basis: Basis) -> list[Block]:
    d = basis.snapshot["district"]
    by_category = d["incidents_open_by_category"]
    open_by = "、".join(f"{INCIDENT_CATEGORY_ZH[k]}{v}起" for k, v in by_category.items() if v)
    text = (
        f"本年度发生安全事件{d['incidents_year']}起。截至数据截至时间，尚未处置完毕的安全事件"
        f"{d['incidents_open']}起"
        + (f"（其中较大及以上{d['incidents_open_serious']}起；按类别：{open_by}）。" if d["incidents_open"] else "。")
    )
    chosen = [c for c in lists.incidents(basis.view, "all") if in_period(basis, c["reported_at"]) or c["open"]]
    if not chosen:
        return [Paragraph(text)]
    chosen.sort(key=lambda c: (business_date(c["reported_at"]), c["incident_id"]))
    rows = [
        [
            cell(c["name"] or c["institution_id"]),
            cell(township_zh(c["township"])),
            cell(INCIDENT_CATEGORY_ZH[c["category"]]),
            cell(INCIDENT_SEVERITY_ZH[c["severity"]], "status status-missed" if c["severity"] != "general" else ""),
            cell(short_day(c["reported_at"])),
            cell(count(c["children_affected"]), "num"),
            cell(f"{short_day(c['resolved_at'])}处置完毕")
            if c["resolved_at"]
            else cell("处置中", "status status-behind"),
        ]
        for c in chosen
    ]
    rows, note = _cut(rows, "起")
    head = ["机构", "镇街", "类别", "等级", "发生日期", "涉及幼儿", "处置情况"]
    return [Paragraph(text), Table("报告期内及尚未处置完毕的安全事件", head, rows, note=note)]


def _rectifications(basis: Basis) -> list[Block]:
    cases = lists.rectifications(basis.view, "all", basis.today)
    chosen = [
        c for c in cases if in_period(basis, c["inspected_at"]) or in_period(basis, c["completed_at"]) or c["open"]
    ]
    chosen.sort(key=lambda c: (c["inspected_at"], c["inspection_id"]))
    d = basis.snapshot["district"]
    text = (
        f"报告期内检查发现问题、责令整改{sum(1 for c in chosen if in_period(basis, c['inspected_at']))}项，"
        f"完成整改{sum(1 for c in chosen if in_period(basis, c['completed_at']))}项。截至数据截至时间，"
        f"尚未完成整改{d['rectifications_open']}项，其中已逾期{d['rectifications_overdue']}项。"
    )
    if not chosen:
        return [Paragraph(text)]
    rows = [
        [
            cell(c["name"] or c["institution_id"]),
            cell(township_zh(c["township"])),
            cell(INSPECTION_KIND_ZH.get(c["kind"], c["kind"])),
            cell(short_day(c["inspected_at"])),
            cell(count(c["findings"]), "num"),
            cell(short_day(c["rectify_by"])),
            _state(c),
        ]
        for c in chosen
    ]
    rows, note = _cut(rows, "项")
    head = ["机构", "镇街", "检查类型", "检查日期", "问题数", "整改期限", "整改情况"]
    return [Paragraph(text), Table("报告期内及尚未完成的检查整改", head, rows, note=note)]


def _state(case: dict[str, Any]) -> Cell:
    if case["completed_at"]:
        return cell(f"{short_day(case['completed_at'])}完成")
    return cell("逾期未完成", "status status-missed") if case["overdue"] else cell("整改中", "status status-behind")
