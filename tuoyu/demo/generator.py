"""A seeded, realistic history of Mentougou's childcare services from 2023-01-01 to today.

`generate(seed, today)` returns every event with the moment the registry recorded it, in
recorded order; recording them in that order passes every rule of kpis.md. The history
follows the plan (门政办发〔2024〕6号): about 455 slots at the end of 2023, about 1055 at the
end of 2024, inclusive share from under half to above 60%, mountain towns near the
20-slot floor, training and parenting guidance through the plan period, yearly 风险+信用
grading, visits and quality assessments with rectifications, a few incidents a year, the
population reported every March, an inclusive fee cap, the July 2023 flood and a
food-safety incident in October 2025; and around `today` what the wall should show
(recent.py): an emergency closure, an overdue rectification, a high-risk institution left
uninspected, a new centre waiting for its health training, a fee above the cap, an open
incident.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from tuoyu import clock
from tuoyu.demo.district import District, Inst
from tuoyu.demo.log import DemoEvent, Log
from tuoyu.demo.population import Population
from tuoyu.demo.programme import Programme
from tuoyu.demo.recent import Recent
from tuoyu.demo.roster import build_roster
from tuoyu.demo.safety import Safety
from tuoyu.projections.facts import SHANGHAI

__all__ = ["DemoEvent", "generate"]

PLAN_START = date(2023, 1, 1)
REVIEW_FAILED = "普惠托育服务年度复核未通过：收费超出普惠价格标准"
MERGED = "托育点撤并，幼儿转入区托育综合服务中心"
Story = Callable[[District, Inst, date], None]


def generate(seed: int = 2023, today: date | None = None) -> list[DemoEvent]:
    """The demo history up to (not including) `today`, which defaults to today in Beijing."""
    today = today or clock.today()
    rng = random.Random(seed)
    log = Log(rng, horizon=datetime.combine(today, time.min, SHANGHAI))
    district = District(rng, log, today)
    roster = build_roster(rng)
    safety = Safety(district, rng)
    stories = _by_day(_stories(rng, safety))
    recent = Recent(rng, district, safety, storied={key for dated in stories.values() for key, _ in dated})
    roster += recent.new_filing(roster)
    filings = _by_day((p.filed_on, p) for p in roster)
    growth = _by_day((day, (p.key, extra)) for p in roster for day, extra in p.growth)
    workers = (recent, Programme(rng, log, district), Population(rng, log))
    for day in _days(PLAN_START, today):
        for planned in filings[day]:
            district.file(planned, day)
        for key, extra in growth[day]:
            if key in district.insts:
                inst = district.insts[key]
                district.change_capacity(inst, day, inst.slots + extra, "扩班增加托位")
        for key, story in stories[day]:
            if key in district.insts:
                story(district, district.insts[key], day)
        if (day.month, day.day) == (1, 1):
            district.supervision.plan_year(district.insts.values(), day)
        district.run_agenda(day)
        district.rehome_due(day)
        for inst in list(district.insts.values()):
            district.routine(inst, day)
        safety.run(day)
        for worker in workers:
            worker.run(day)
    return log.finish()


def _stories(rng: random.Random, safety: Safety) -> Iterator[tuple[date, tuple[str, Story]]]:
    """What the plan period holds for particular institutions (keys of roster.ROWS)."""

    def on(year: int, month: int, first: int = 1, last: int = 28) -> date:
        return date(year, month, rng.randint(first, last))

    # The "23·7" rainstorm flooded Mentougou at the end of July 2023.
    yield date(2023, 7, 31), ("A8", lambda d, i, day: _flood(d, i, day, safety))
    yield date(2023, 10, 16), ("A8", lambda d, i, day: d.reopen(i, day, "园舍修缮完成，经验收恢复运营"))
    yield on(2024, 11, 4, 22), ("A8", lambda d, i, day: d.grant(i, day, 2200))
    yield on(2025, 3, 3, 21), ("A4", lambda d, i, day: d.grant(i, day, 2400))
    yield on(2025, 4, 7, 25), ("A6", _fire)
    yield on(2025, 5, 12, 23), ("A3", _failed_assessment)
    yield on(2025, 5, 6, 27), ("A7", _fee_raised)
    yield date(2025, 6, 30), ("A3", lambda d, i, day: d.close(i, day, False, "经营调整，主动停办"))
    yield on(2025, 6, 2, 20), ("B6", lambda d, i, day: d.grant(i, day, 2300))
    yield on(2025, 9, 8, 26), ("A7", lambda d, i, day: d.revoke(i, day, REVIEW_FAILED))
    yield _school_day(on(2025, 10, 13, 24)), ("B3", lambda d, i, day: _food_safety(d, i, day, safety))
    # The civil servants' childcare point merges into the district centre at the new year.
    yield date(2025, 12, 1), ("A9", lambda d, i, day: d.wind_down(i))
    yield on(2026, 1, 12, 16), ("A9", lambda d, i, day: d.close(i, day, False, MERGED))


def _flood(district: District, inst: Inst, day: date, safety: Safety) -> None:
    if inst.operating:
        children = inst.enrolled
        district.close(inst, day, True, "特大暴雨致园舍进水受损，紧急停止收托")
        incident = safety.report(
            inst, day, "other", "serious", "特大暴雨致园舍进水，在托幼儿已全部安全转移，无人员伤亡", children
        )
        safety.resolve_later(inst, incident, day + timedelta(days=4), "在托幼儿均已妥善安置，园舍停用待修缮")


def _food_safety(district: District, inst: Inst, day: date, safety: Safety) -> None:
    """Several children fall ill after lunch: reported within the hour, an unannounced visit the
    next morning, handled within days (the cause found, the children back, the kitchen cleaned)."""
    if not inst.operating or inst.enrolled < 6:
        return
    rng = district.rng
    incident = safety.report(
        inst,
        day,
        "food_safety",
        "serious",
        "午餐后多名幼儿出现呕吐、腹泻症状，疑似食源性疾病，已送医观察并报告区卫生健康委、区市场监管局",
        rng.randint(6, min(11, inst.enrolled)),
    )

    def visit(when: date) -> None:
        district.supervision.inspect(
            inst,
            when,
            "unannounced",
            "rectify",
            [{"code": "health-1", "severity": "high", "text": "食品留样记录缺失，餐具消毒不规范"}],
        )

    district.later(_school_day(day + timedelta(days=1)), visit)
    safety.resolve_later(
        inst,
        incident,
        day + timedelta(days=rng.randint(3, 5)),
        "经区疾控中心流行病学调查及市场监管部门抽检，确认为诺如病毒感染所致；患病幼儿均已康复返园，"
        "食堂完成全面消毒整改",
    )


def _fee_raised(district: District, inst: Inst, day: date) -> None:
    """An inclusive employer's childcare room raises its fee above the cap; the annual review
    in September revokes its inclusive status."""
    if inst.operating and inst.inclusive:
        inst.fee = 2800
        district.emit(
            inst, day, {"type": "FilingChanged", "changes": {"monthly_fee_yuan": inst.fee}, "note": "调整收费标准"}
        )


def _fire(district: District, inst: Inst, day: date) -> None:
    if inst.operating:
        district.supervision.inspect(
            inst,
            day,
            "unannounced",
            "fail",
            [{"code": "safety-9", "severity": "high", "text": "消防设施不合格，疏散通道堵塞，存在重大火灾隐患"}],
            "urgent",
        )
        district.close(inst, day, True, "消防安全检查不合格，存在重大火灾隐患，责令立即停止收托")
        district.supervision.grade(inst, day)


def _failed_assessment(district: District, inst: Inst, day: date) -> None:
    if inst.operating:
        district.supervision.inspect(
            inst,
            day,
            "quality_assessment",
            "fail",
            [
                {"code": "staffing-3", "severity": "high", "text": "保育人员配备严重不足，师幼比不达标"},
                {"code": "management-3", "severity": "medium", "text": "未按规定开展自我评估"},
            ],
        )
        district.supervision.grade(inst, day)
        district.wind_down(inst)  # the operator decided to close at the end of June


def _school_day(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _days(first: date, end: date) -> Iterator[date]:
    day = first
    while day < end:
        yield day
        day += timedelta(days=1)


def _by_day(pairs: Iterator[tuple[date, Any]]) -> defaultdict[date, list[Any]]:
    grouped: defaultdict[date, list[Any]] = defaultdict(list)
    for day, item in pairs:
        grouped[day].append(item)
    return grouped
