"""Section 二: the targets with status, pace, outcome at due and responsible units, and the charts."""

from __future__ import annotations

from datetime import date
from typing import Any

from tuoyu.domain.catalogue import TOWNSHIP_IDS
from tuoyu.projections.history import slots_over_time
from tuoyu.report.basis import Basis
from tuoyu.report.charts import Line, Marker, line_chart
from tuoyu.report.labels import OUTCOME_ZH, STATUS_ZH, kpi_zh, scope_zh, units_zh
from tuoyu.report.model import Cell, Figure, Paragraph, Section, Table, cell
from tuoyu.report.numbers import NONE, count, kpi_value, percent, short_day

FLOOR = "township_min_slots"  # one target, reported once per township (kpis.md)
HEAD = ["序号", "目标", "目标值", "期限", "基线", "当前值", "应达值", "状态", "到期情况", "责任单位"]
STATUS_ORDER = ("missed", "behind", "on_track", "met")  # a group of rows is as good as its worst


def targets_section(basis: Basis) -> Section:
    lines = target_lines(basis.snapshot["targets"])
    blocks: list[Any] = [
        Paragraph(
            "下表列出截至数据截至时间已确定的各项目标。「应达值」为目标自起始日至到期日按直线推进时当日应达到的"
            "数值；「当前值」为当日数据，其中新增类和培训类目标只计目标期内的增量；到期日过后，「到期情况」列出"
            "到期日结束时的数值及是否达成。"
        ),
        Table(
            "目标任务进展情况",
            HEAD,
            [_row(n, line, basis.today) for n, line in enumerate(lines, 1)],
            style="targets",
            note=_note(lines),
        ),
    ]
    blocks += charts(basis)
    return Section("目标任务进展", blocks)


def _note(lines: list[dict[str, Any]]) -> str | None:
    notes = []
    if any(line["kpi"] == FLOOR for line in lines):
        notes.append("镇街托位下限目标按每个镇街分别考核，本表合并为一行，各镇街情况见第三部分。")
    if any(line["kpi"] == "slots_per_1000" for line in lines):
        notes.append("每千人口托位数在尚未报送常住人口时按0计。")
    return "".join(notes) or None


def target_lines(targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The targets as the table shows them: the per-township rows of the floor target as one."""
    lines, floors = [], [t for t in targets if t["kpi"] == FLOOR]
    for target in targets:
        if target["kpi"] != FLOOR:
            lines.append(target)
        elif target is floors[0]:
            lines.append(_floor_line(floors))
    return lines


def _floor_line(rows: list[dict[str, Any]]) -> dict[str, Any]:
    first = rows[0]
    reached = sum(1 for r in rows if r["actual"] >= r["value"])
    due_values = [r["actual_at_due"] for r in rows]
    due = None if None in due_values else sum(1 for v in due_values if v >= first["value"])
    return {
        **first,
        "scope": "townships",
        "group": len(rows),
        "actual": reached,
        "status": _worst(r["status"] for r in rows),
        "actual_at_due": due,
        "outcome": None if due is None else ("met" if due == len(rows) else "missed"),
    }


def _worst(statuses: Any) -> str:
    found = set(statuses)
    return next(s for s in STATUS_ORDER if s in found)


def _row(number: int, line: dict[str, Any], today: str) -> list[Cell]:
    kpi, group, outcome = line["kpi"], line.get("group"), line["outcome"]
    if group:
        name, value = f"各镇街 · {kpi_zh(kpi)}", f"每个镇街{count(line['value'])}"
        baseline = expected = NONE
        actual = f"{line['actual']}/{group}个达到"
        at_due = NONE if line["actual_at_due"] is None else f"{line['actual_at_due']}/{group}个达到"
    else:
        name, value = f"{scope_zh(line['scope'])} · {kpi_zh(kpi)}", kpi_value(kpi, line["value"])
        baseline, actual = kpi_value(kpi, line["baseline"]), kpi_value(kpi, line["actual"])
        expected = kpi_value(kpi, line["expected"])
        at_due = NONE if line["actual_at_due"] is None else kpi_value(kpi, line["actual_at_due"])
    # A target due on the as-of day is judged only after it (kpis.md: outcome once the due date has passed).
    judged = f"{at_due}，{OUTCOME_ZH[outcome]}" if outcome else ("当日到期" if line["due"] == today else "未到期")
    return [
        cell(str(number), "num"),
        cell(name),
        cell(value, "num"),
        cell(f"{short_day(line['start'])}—{short_day(line['due'])}", "period"),
        cell(baseline, "num"),
        cell(actual, "num"),
        cell(expected, "num"),
        cell(STATUS_ZH[line["status"]], f"status status-{line['status']}"),
        cell(judged, f"status status-{outcome}" if outcome else "status"),
        cell(units_zh(line["responsible"])),
    ]


# ---- charts --------------------------------------------------------------------------------


def charts(basis: Basis) -> list[Figure]:
    history = slots_over_time(basis.view.values())
    targets = {t["kpi"]: t for t in basis.snapshot["targets"] if t["scope"] == "district"}
    as_of = date.fromisoformat(basis.today)
    charted = [
        t for k, t in targets.items() if k in ("slots_total", "new_slots", "inclusive_share", "new_inclusive_slots")
    ]
    first = [date.fromisoformat(history[0]["date"])] if history else []
    start = date(min([as_of, *first, *(date.fromisoformat(t["start"]) for t in charted)]).year, 1, 1)
    end = max([as_of, *(date.fromisoformat(t["due"]) for t in charted)])
    return [_slots_chart(history, targets, start, end, as_of), _inclusive_chart(history, targets, start, end, as_of)]


def _series(history: list[dict[str, Any]], name: str, start: date, until: date) -> tuple[tuple[date, float], ...]:
    """A recorded figure as a step line from `start`: its level then, and each change up to `until`."""
    points = [(start, float(level_before(history, name, start.isoformat())))]
    for entry in history:
        day = date.fromisoformat(entry["date"])
        if start <= day <= until:
            points.append((day, float(entry[name])))
    return tuple(points)


def level_before(history: list[dict[str, Any]], name: str, day: str) -> int:
    """A figure at 00:00 of `day`: its level at the end of the last day of change before."""
    before = [entry[name] for entry in history if entry["date"] < day]
    return before[-1] if before else 0


def _pace(label: str, target: dict[str, Any], base: float, style: str) -> Line:
    start, due = date.fromisoformat(target["start"]), date.fromisoformat(target["due"])
    return Line(
        label, ((start, float(base)), (due, float(base + target["value"] - target["baseline"]))), style, step=False
    )


def _slots_chart(history, targets, start, end, as_of) -> Figure:
    lines = [Line("全区托位总数", _series(history, "slots_total", start, as_of))]
    markers = []
    if "slots_total" in targets:
        target = targets["slots_total"]
        lines.append(_pace(f"托位总数目标({count(target['value'])}个)", target, target["baseline"], "target"))
        markers.append(Marker(f"目标{count(target['value'])}", date.fromisoformat(target["due"]), target["value"]))
    if "new_slots" in targets:
        target = targets["new_slots"]
        base = level_before(history, "slots_total", target["start"])
        lines.append(_pace(f"新增托位目标(+{count(target['value'])}个)", target, base, "requirement"))
    svg = line_chart(lines, markers, start, end, "个")
    return Figure(
        "全区托位总数变化及目标",
        svg,
        note="实线为记录的托位数（运营机构的托位之和）；虚线为目标自起始日至到期日的推进路径。",
    )


def _inclusive_chart(history, targets, start, end, as_of) -> Figure:
    lines = [Line("全区普惠托位", _series(history, "slots_inclusive", start, as_of))]
    if "inclusive_share" in targets:
        share = targets["inclusive_share"]
        total = _series(history, "slots_total", max(start, date.fromisoformat(share["start"])), as_of)
        needed = tuple((day, value * share["value"]) for day, value in total)
        lines.append(Line(f"普惠占比{percent(share['value'])}所需普惠托位", needed, "requirement"))
    if "new_inclusive_slots" in targets:
        target = targets["new_inclusive_slots"]
        base = level_before(history, "slots_inclusive", target["start"])
        lines.append(_pace(f"新增普惠托位目标(+{count(target['value'])}个)", target, base, "target"))
    svg = line_chart(lines, [], start, end, "个")
    return Figure("全区普惠托位变化及目标", svg, note="点线为按普惠托位占比目标、以当时托位总数计算所需的普惠托位数。")


def township_floor_status(targets: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The floor target's row of each township (for the township table), if the target is set."""
    return {t["scope"]: t for t in targets if t["kpi"] == FLOOR and t["scope"] in TOWNSHIP_IDS}
