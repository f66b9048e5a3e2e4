"""What is going on around `today`, whatever the day the demo is built for: the things the
wall and the alerts should have to show.

- four to five months ago a complaint visit found serious hazards at a private centre; it
  was re-graded high risk (credit C) and the follow-up visit high risk calls for has not been
  made since (`high_risk_uninspected`);
- three to five months ago a new centre was filed in Tanzhesi; its health staff are still
  waiting for their pre-job training (`new_without_health_training`), from 2025 on;
- 75 days ago a complaint visit asked for a rectification nobody has got round to (overdue);
- three to seven weeks ago an inclusive institution raised its fee above the district's cap,
  and nothing has been done about it yet (`inclusive_over_cap`);
- three days ago an emergency closure whose children are not all placed yet;
- on the last weekday before `today` a general (一般) health incident, still open. No serious
  or major incident is open on `today`: the serious one of the demo (food safety, October
  2025) was handled within days.

An institution that plays in one of these stories (`Inst.story`) plays in no other, and none of
them is an institution that the dated stories of generator.py close or change.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from tuoyu.demo.district import District, Inst
from tuoyu.demo.roster import Planned, later_filing
from tuoyu.demo.safety import Safety
from tuoyu.demo.supervision import weekday
from tuoyu.projections.facts import SHANGHAI

PENDING_FROM = date(2025, 1, 1)  # no filing of this story may change the plan's 2023-2024 figures
HAZARDS = [
    {"code": "safety-7", "severity": "high", "text": "监控设备长期损坏未修复，午睡室无人值守"},
    {"code": "health-5", "severity": "high", "text": "晨午检制度未落实，传染病登记报告缺失"},
]


class Recent:
    def __init__(self, rng: random.Random, district: District, safety: Safety, storied: set[str]) -> None:
        self.rng, self.district, self.safety, self.storied = rng, district, safety, storied
        today = district.today
        self.pending_on = weekday(today - timedelta(days=rng.randint(100, 150)))
        self.plan: defaultdict[date, list[Callable[[date], None]]] = defaultdict(list)
        for day, story in (
            (weekday(today - timedelta(days=rng.randint(110, 160))), self._high_risk),
            (today - timedelta(days=75), self._neglected_rectification),
            (weekday(today - timedelta(days=rng.randint(20, 50))), self._fee_above_cap),
            (today - timedelta(days=3), self._emergency),
            (_weekday_before(today), self._open_incident),
        ):
            self.plan[day].append(story)

    def new_filing(self, roster: list[Planned]) -> list[Planned]:
        """The new centre still waiting for its health training, when it is filed from 2025 on."""
        if self.pending_on < PENDING_FROM:
            return []
        return [
            later_filing(
                self.rng,
                roster,
                "D1",
                "tanzhesi",
                "private",
                30,
                self.pending_on,
                "{brand}托育中心（潭柘寺店）",
                story="no_training",
            )
        ]

    def run(self, day: date) -> None:
        for story in self.plan.pop(day, []):
            story(day)

    def _candidates(self, day: date) -> list[Inst]:
        """Operating institutions free for a story, with nothing still to be recorded from before `day`."""
        start = datetime.combine(day, time.min, SHANGHAI)
        return [
            i
            for i in self.district.insts.values()
            if i.operating
            and not i.winding_down
            and not i.story
            and i.plan.key not in self.storied
            and self.district.log.idle(i.id, start)
        ]

    def _high_risk(self, day: date) -> None:
        candidates = self._candidates(day)
        private = [i for i in candidates if i.plan.kind == "private"]
        if candidates:
            inst = self.rng.choice(private or candidates)
            inst.story, inst.visits = "high_risk", []
            self.district.supervision.inspect(inst, day, "complaint", "rectify", HAZARDS)
            self.district.supervision.grade(inst, day)  # and the next rounds keep it high (supervision.grading)

    def _neglected_rectification(self, day: date) -> None:
        candidates = self._candidates(day)
        if candidates:
            inst = self.rng.choice(candidates)
            inst.story = "neglected"
            self.district.supervision.inspect(inst, day, "complaint", "rectify", neglected=True)

    def _fee_above_cap(self, day: date) -> None:
        cap = self.district.fee_cap
        candidates = [
            i for i in self._candidates(day) if i.inclusive and i.plan.kind in ("community", "private", "employer")
        ]
        if cap is not None and candidates:
            inst = self.rng.choice(candidates)
            inst.story, inst.fee = "over_cap", cap + 100 * self.rng.randint(2, 6)
            self.district.emit(
                inst,
                day,
                {"type": "FilingChanged", "changes": {"monthly_fee_yuan": inst.fee}, "note": "机构自行调整收费标准"},
            )

    def _emergency(self, day: date) -> None:
        # A small place with children in it: enough to rehome, not enough to upset the year's figures.
        candidates = [
            i
            for i in self._candidates(day)
            if i.enrolled >= 8 and i.slots <= 40 and i.plan.kind in ("kindergarten_class", "community", "private")
        ]
        if candidates:
            inst = self.rng.choice(sorted(candidates, key=lambda i: -i.enrolled)[:4])
            inst.story = "emergency"
            self.district.close(inst, day, True, "园舍漏水，屋顶渗漏存在安全隐患，紧急停止收托")

    def _open_incident(self, day: date) -> None:
        candidates = [i for i in self._candidates(day) if i.enrolled >= 3]
        if candidates:
            inst = self.rng.choice(candidates)
            inst.story = "incident"
            if 4 <= day.month <= 9:
                text, children = "一名幼儿确诊手足口病，所在班级暂停集体活动，落实晨午检和消毒，观察期中", 1
            else:
                text, children = "三名幼儿出现发热、咳嗽等流感样症状，已居家观察，班级加强晨午检和通风消毒", 3
            self.safety.report(inst, day, "health", "general", text, children)


def _weekday_before(today: date) -> date:
    day = today - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day
