"""Safety incidents at the demo institutions (plan task 7: personal, food, fire and health
safety), each reported within the hour or two and most handled within a week.

A small district sees a few a year: a fall, a trapped finger, a cluster of hand-foot-mouth
disease or flu, a foreign body in a meal, an overheating socket; almost all general (一般).
The year's incidents are drawn at its start; none is drawn in the last two weeks before
`today`, so that what is open on `today` is only what the stories put there (recent.py).
The food-safety incident of October 2025 and the flood of July 2023 are stories of their own
(generator.py).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from tuoyu.demo.supervision import weekday

if TYPE_CHECKING:
    from tuoyu.demo.district import District, Inst

# category: (weight, [(description, children affected (low, high), how it was handled)])
CASES: dict[str, tuple[int, list[tuple[str, tuple[int, int], str]]]] = {
    "personal_safety": (
        45,
        [
            (
                "一名幼儿户外活动时摔倒致额头擦伤，已送医处理",
                (1, 1),
                "伤情轻微已愈合，机构复盘户外活动看护安排并完成整改",
            ),
            ("一名幼儿午睡起床时被门夹伤手指，已送医检查", (1, 1), "无骨折，幼儿已返园；门缝全部加装防夹条"),
            ("两名幼儿争抢玩具时发生抓伤", (2, 2), "家长已沟通，保育人员完成看护规范再培训"),
        ],
    ),
    "health": (
        35,
        [
            ("发现手足口病病例，所在班级暂停集体活动", (1, 3), "观察期满无新发病例，班级恢复活动，终末消毒已完成"),
            ("多名幼儿出现发热、咳嗽等流感样症状", (3, 6), "患病幼儿居家休息后返园，晨午检和通风消毒记录完整"),
            ("出现诺如病毒感染疑似病例，幼儿呕吐", (2, 4), "疾控中心指导完成消毒，无续发病例"),
        ],
    ),
    "food_safety": (
        10,
        [
            ("幼儿午餐中发现异物（塑料碎片）", (0, 0), "供餐单位已约谈整改，市场监管所完成抽检"),
        ],
    ),
    "fire_safety": (
        6,
        [
            ("活动室电源插座过热冒烟，已断电并疏散幼儿", (0, 0), "电路已由专业人员检修，消防救援支队复查合格"),
        ],
    ),
    "other": (
        4,
        [
            ("接送时段一名幼儿被非约定人员接走，后确认为亲属", (1, 1), "接送管理制度已修订，家长信息完成核验"),
        ],
    ),
}
QUIET_BEFORE_TODAY = timedelta(days=14)


class Safety:
    def __init__(self, district: District, rng: random.Random) -> None:
        self.district, self.rng, self.today = district, rng, district.today
        self.reported = 0
        self.days: set[date] = set()

    def run(self, day: date) -> None:
        if day.month == 1 and day.day == 1:
            self._plan_year(day.year)
        if day in self.days:
            self._random_incident(day)

    def _plan_year(self, year: int) -> None:
        rng = self.rng
        for _ in range(rng.randint(2, 5)):
            day = weekday(date(year, 1, 1) + timedelta(days=rng.randint(7, 350)))
            if day < self.today - QUIET_BEFORE_TODAY:
                self.days.add(day)

    def _random_incident(self, day: date) -> None:
        rng = self.rng
        candidates = [i for i in self.district.insts.values() if i.operating and i.enrolled and not i.story]
        if not candidates:
            return
        inst = rng.choice(candidates)
        category = rng.choices(list(CASES), [weight for weight, _ in CASES.values()])[0]
        text, (low, high), handled = rng.choice(CASES[category][1])
        incident_id = self.report(inst, day, category, "general", text, min(inst.enrolled, rng.randint(low, high)))
        self.resolve_later(inst, incident_id, day + timedelta(days=rng.randint(1, 6)), handled)

    def report(self, inst: Inst, day: date, category: str, severity: str, text: str, children: int) -> str:
        """Report an incident (within the hour or two); returns its id."""
        self.reported += 1
        incident_id = f"SJ{day.year}-{self.reported:03d}"
        event: dict[str, Any] = {
            "type": "IncidentReported",
            "incident_id": incident_id,
            "category": category,
            "severity": severity,
            "children_affected": children,
            "description": text,
            "source": "托育机构报告",
        }
        self.district.emit(inst, day, event, "urgent")
        return incident_id

    def resolve_later(self, inst: Inst, incident_id: str, day: date, note: str) -> None:
        """Resolve the incident on `day` (if the history reaches it)."""

        def resolve(when: date) -> None:
            self.district.emit(
                inst,
                when,
                {"type": "IncidentResolved", "incident_id": incident_id, "note": note, "source": "区卫生健康委"},
            )

        self.district.later(day, resolve)
