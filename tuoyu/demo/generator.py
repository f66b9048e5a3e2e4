"""A seeded, realistic history of Mentougou's childcare services from 2023-01-01 to today.

`generate(seed, today)` returns every event with the moment the registry recorded it, in
recorded order; recording them in that order passes every rule of kpis.md. The history
follows the plan (门政办发〔2024〕6号): about 455 slots at the end of 2023, about 1055 at the
end of 2024, inclusive share from under half to above 60%, mountain towns near the
20-slot floor, training and parenting guidance through the plan period, inspections
with rectifications (a few still open, one or two overdue), the July 2023 flood, and an
emergency closure a few days before `today` whose children are not all placed yet.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from tuoyu import clock
from tuoyu.contracts import plan_targets
from tuoyu.demo.district import District, Inst
from tuoyu.demo.log import DemoEvent, Log
from tuoyu.demo.roster import VALLEY, build_roster
from tuoyu.domain.catalogue import TOWNSHIP_IDS
from tuoyu.projections.facts import SHANGHAI

__all__ = ["DemoEvent", "generate"]

PLAN_START = date(2023, 1, 1)
Story = Callable[[District, Inst, date], None]


def generate(seed: int = 2023, today: date | None = None) -> list[DemoEvent]:
    """The demo history up to (not including) `today`, which defaults to today in Beijing."""
    today = today or clock.today()
    rng = random.Random(seed)
    log = Log(rng, horizon=datetime.combine(today, time.min, SHANGHAI))
    district = District(rng, log, today)
    roster = build_roster(rng)
    filings = _by_day((p.filed_on, p) for p in roster)
    growth = _by_day((day, (p.key, extra)) for p in roster for day, extra in p.growth)
    stories = _by_day(_stories(rng))
    programme = Programme(rng, log, district)
    # A rectification nobody gets round to (overdue today), and an emergency closure three
    # days ago whose children are not all placed yet.
    neglected, recent = today - timedelta(days=75), today - timedelta(days=3)
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
        if day == neglected:
            _neglected_rectification(district, rng, day)
        if day == recent:
            _recent_emergency(district, rng, day)
        district.rehome_due(day)
        for inst in list(district.insts.values()):
            district.routine(inst, day)
        programme.run(day)
    return log.finish()


def _stories(rng: random.Random) -> Iterator[tuple[date, tuple[str, Story]]]:
    """What the plan period holds for particular institutions (keys of roster.ROWS)."""
    def on(year: int, month: int, first: int = 1, last: int = 28) -> date:
        return date(year, month, rng.randint(first, last))

    # The "23·7" rainstorm flooded Mentougou at the end of July 2023.
    yield date(2023, 7, 31), ("A8", lambda d, i, day: d.close(i, day, True, "特大暴雨致园舍进水受损，紧急停止收托"))
    yield date(2023, 10, 16), ("A8", lambda d, i, day: d.reopen(i, day, "园舍修缮完成，经验收恢复运营"))
    yield on(2024, 11, 4, 22), ("A8", lambda d, i, day: d.grant(i, day, 2400))
    yield on(2025, 3, 3, 21), ("A4", lambda d, i, day: d.grant(i, day, 2500))
    yield on(2025, 4, 7, 25), ("A6", _fire)
    yield on(2025, 5, 12, 23), ("A3", _failed_assessment)
    yield date(2025, 6, 30), ("A3", lambda d, i, day: d.close(i, day, False, "经营调整，主动停办"))
    yield on(2025, 6, 2, 20), ("B6", lambda d, i, day: d.grant(i, day, 2400))
    yield on(2025, 9, 8, 26), ("A7", lambda d, i, day: d.revoke(i, day, "普惠托育服务年度复核未通过：收费超出普惠价格标准"))
    # The civil servants' childcare point merges into the district centre at the new year.
    yield date(2025, 12, 1), ("A9", lambda d, i, day: d.wind_down(i))
    yield on(2026, 1, 12, 16), ("A9", lambda d, i, day: d.close(i, day, False, "托育点撤并，幼儿转入区托育综合服务中心"))


def _fire(district: District, inst: Inst, day: date) -> None:
    if inst.operating:
        district.supervision.inspect(inst, day, "unannounced", "fail", [
            {"code": "safety-9", "severity": "high", "text": "消防设施不合格，疏散通道堵塞，存在重大火灾隐患"}], "urgent")
        district.close(inst, day, True, "消防安全检查不合格，存在重大火灾隐患，责令立即停止收托")
        district.supervision.grade(inst, day)


def _failed_assessment(district: District, inst: Inst, day: date) -> None:
    if inst.operating:
        district.supervision.inspect(inst, day, "quality_assessment", "fail", [
            {"code": "staffing-3", "severity": "high", "text": "保育人员配备严重不足，师幼比不达标"},
            {"code": "management-3", "severity": "medium", "text": "未按规定开展自我评估"}])
        district.supervision.grade(inst, day)
        district.wind_down(inst)  # the operator decided to close at the end of June


def _candidates(district: District, day: date) -> list[Inst]:
    """Operating institutions with nothing still to be recorded from before `day`."""
    start = datetime.combine(day, time.min, SHANGHAI)
    return [i for i in district.insts.values() if i.operating and not i.winding_down and district.log.idle(i.id, start)]


def _neglected_rectification(district: District, rng: random.Random, day: date) -> None:
    candidates = _candidates(district, day)
    if candidates:
        inst = rng.choice(candidates)
        district.supervision.inspect(inst, day, "complaint", "rectify", neglected=True)


def _recent_emergency(district: District, rng: random.Random, day: date) -> None:
    # A small place with children in it: enough to rehome, not enough to upset the year's figures.
    candidates = [i for i in _candidates(district, day) if i.enrolled >= 8 and i.slots <= 40
                  and i.plan.kind in ("kindergarten_class", "community", "private")]
    if candidates:
        inst = rng.choice(sorted(candidates, key=lambda i: -i.enrolled)[:4])
        district.close(inst, day, True, "园舍漏水，屋顶渗漏存在安全隐患，紧急停止收托")


class Programme:
    """District-wide work of the plan: targets, training sessions, parenting guidance."""

    COURSES = {  # course: (first session, days between sessions, people per session)
        "head": (date(2023, 4, 10), (85, 120), (8, 16)),
        "caregiver": (date(2023, 3, 6), (28, 48), (12, 30)),
        "health": (date(2023, 5, 8), (60, 100), (5, 12)),
    }
    COURSE_NOTES = {"head": "托育机构负责人培训班", "caregiver": "保育人员岗位能力提升培训", "health": "卫生保健人员岗前培训"}
    TOPICS = ("婴幼儿营养与科学喂养", "婴幼儿睡眠与习惯养成", "婴幼儿早期发展亲子活动", "婴幼儿常见病预防与居家护理",
              "入托适应家长课堂", "婴幼儿意外伤害预防")

    def __init__(self, rng: random.Random, log: Log, district: District) -> None:
        self.rng, self.log, self.district = rng, log, district
        self.next = {course: first for course, (first, _, _) in self.COURSES.items()}
        self.next["offline"], self.next["online"] = date(2023, 2, 15), date(2023, 3, 20)
        self.sessions: dict[str, int] = defaultdict(int)

    def run(self, day: date) -> None:
        if day == date(2024, 8, 12):
            self._targets()
        for course, (_, (low, high), _) in self.COURSES.items():
            if day >= self.next[course]:
                self._train(course, day)
                self.next[course] = day + timedelta(days=self.rng.randint(low, high))
        if day >= self.next["offline"]:
            self._guide(day, "offline")
            self.next["offline"] = day + timedelta(days=self.rng.randint(12, 30))
        if day >= self.next["online"]:
            self._guide(day, "online")
            self.next["online"] = day + timedelta(days=self.rng.randint(45, 100))

    def _moment(self, day: date) -> datetime:
        return datetime.combine(day, time(self.rng.randint(9, 15), self.rng.choice((0, 30))), SHANGHAI)

    def _targets(self) -> None:
        # The plan's targets, recorded the day the plan was issued.
        for target in plan_targets():
            moment = datetime.fromisoformat(target["occurred_at"])
            self.log.detached(moment, target, "exact")
        # The district then gave a few townships their own targets.
        moment = datetime.combine(date(2024, 9, 10), time(10), SHANGHAI)
        for scope, kpi, value, due in (("yongding", "new_slots", 150, "2024-12-31"),
                                       ("zhaitang", "slots_total", 25, "2025-12-31"),
                                       ("miaofengshan", "slots_total", 20, "2025-12-31")):
            self.log.detached(moment, {"type": "TargetSet", "scope": scope, "kpi": kpi, "value": value,
                                       "start": "2024-01-01", "due": due, "source": "区卫生健康委",
                                       "note": "镇街托位建设任务分解"})

    def _train(self, course: str, day: date) -> None:
        rng = self.rng
        self.sessions[course] += 1
        event: dict[str, Any] = {"type": "TrainingCompleted", "course": course,
                                 "people": rng.randint(*self.COURSES[course][2]),
                                 "note": f"{self.COURSE_NOTES[course]}（第{self.sessions[course]}期）"}
        centre = self.district.insts.get("B1")
        if course == "health" and centre is not None and centre.operating:
            # Held at the district centre once it opened: recorded after its filing.
            self.district.emit(centre, day, {**event, "source": "门头沟区托育综合服务中心"})
            return
        if course == "caregiver" and rng.random() < 0.5:
            event["township"] = rng.choice(VALLEY)
        self.log.detached(self._moment(day), event, "late" if rng.random() < 0.06 else "usual")

    def _guide(self, day: date, form: str) -> None:
        rng = self.rng
        event: dict[str, Any] = {"type": "ParentingGuidanceHeld", "format": form}
        if form == "offline":
            event["township"] = rng.choice(VALLEY * 2 + TOWNSHIP_IDS)
            event["participants"] = rng.randint(15, 80)
            event["note"] = f"科学育儿指导：{rng.choice(self.TOPICS)}"
        else:
            event["participants"] = rng.randint(300, 2500)
            event["note"] = f"线上科学育儿直播课：{rng.choice(self.TOPICS)}"
        self.log.detached(self._moment(day), event)


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
