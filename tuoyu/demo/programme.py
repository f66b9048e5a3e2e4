"""District-wide work of the plan: targets, the inclusive fee cap, training sessions and
parenting guidance.

Training: head and caregiver courses every month or few (plan task 13). The pre-job course
for health staff (task 14) runs every five to eight weeks from March 2023: each session
trains the health staff of every institution filed since the last one (one record naming
each institution, so `new_without_health_training` can see it), and a few staff newly
hired elsewhere. One institution of the stories (recent.py) is still waiting for its session.

Guidance (task 15): offline activities in the townships every two to four weeks, an online
live class every three to six weeks, so both are held in every month or two of every year.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from tuoyu.contracts import plan_targets
from tuoyu.demo.district import District
from tuoyu.demo.log import Log
from tuoyu.demo.roster import VALLEY
from tuoyu.domain.catalogue import TOWNSHIP_IDS
from tuoyu.projections.facts import SHANGHAI

# The inclusive (普惠) fee cap of the district's pilot programme (task 10): full-day care, per
# child and month. An illustrative figure, not Beijing's published price.
FEE_CAP_YUAN, FEE_CAP_DECIDED, FEE_CAP_START = 2400, date(2024, 10, 15), date(2024, 11, 1)


class Programme:
    COURSES = {  # course: (first session, days between sessions, people per session)
        "head": (date(2023, 4, 10), (85, 120), (8, 16)),
        "caregiver": (date(2023, 3, 6), (28, 48), (12, 30)),
        "health": (date(2023, 3, 13), (35, 56), (2, 6)),
    }
    COURSE_NOTES = {
        "head": "托育机构负责人培训班",
        "caregiver": "保育人员岗位能力提升培训",
        "health": "卫生保健人员岗前培训",
    }
    TOPICS = (
        "婴幼儿营养与科学喂养",
        "婴幼儿睡眠与习惯养成",
        "婴幼儿早期发展亲子活动",
        "婴幼儿常见病预防与居家护理",
        "入托适应家长课堂",
        "婴幼儿意外伤害预防",
    )

    def __init__(self, rng: random.Random, log: Log, district: District) -> None:
        self.rng, self.log, self.district = rng, log, district
        self.next = {course: first for course, (first, _, _) in self.COURSES.items()}
        self.next["offline"], self.next["online"] = date(2023, 2, 15), date(2023, 3, 20)
        self.sessions: dict[str, int] = defaultdict(int)

    def run(self, day: date) -> None:
        if day == date(2024, 8, 12):
            self._targets()
        if day == FEE_CAP_DECIDED:
            self._fee_cap()
        if day == FEE_CAP_START:
            self.district.fee_cap = FEE_CAP_YUAN
        for course, (_, (low, high), _) in self.COURSES.items():
            if day >= self.next[course]:
                self._train(course, day)
                self.next[course] = day + timedelta(days=self.rng.randint(low, high))
        if day >= self.next["offline"]:
            self._guide(day, "offline")
            self.next["offline"] = day + timedelta(days=self.rng.randint(12, 30))
        if day >= self.next["online"]:
            self._guide(day, "online")
            self.next["online"] = day + timedelta(days=self.rng.randint(20, 40))

    def _moment(self, day: date) -> datetime:
        return datetime.combine(day, time(self.rng.randint(9, 15), self.rng.choice((0, 30))), SHANGHAI)

    def _targets(self) -> None:
        # The plan's targets, recorded the day the plan was issued.
        for target in plan_targets():
            moment = datetime.fromisoformat(target["occurred_at"])
            self.log.detached(moment, target, "exact")
        # The district then gave a few townships their own targets.
        moment = datetime.combine(date(2024, 9, 10), time(10), SHANGHAI)
        for scope, kpi, value, due in (
            ("yongding", "new_slots", 150, "2024-12-31"),
            ("zhaitang", "slots_total", 25, "2025-12-31"),
            ("miaofengshan", "slots_total", 20, "2025-12-31"),
        ):
            self.log.detached(
                moment,
                {
                    "type": "TargetSet",
                    "scope": scope,
                    "kpi": kpi,
                    "value": value,
                    "start": "2024-01-01",
                    "due": due,
                    "source": "区卫生健康委",
                    "note": "镇街托位建设任务分解",
                },
            )

    def _fee_cap(self) -> None:
        moment = datetime.combine(FEE_CAP_DECIDED, time(15), SHANGHAI)
        self.log.detached(
            moment,
            {
                "type": "InclusiveFeeCapSet",
                "monthly_fee_yuan": FEE_CAP_YUAN,
                "start": FEE_CAP_START.isoformat(),
                "source": "区发展改革委、区卫生健康委",
                "note": "门头沟区普惠托育服务试点：普惠托育机构全日托收费上限（每人每月）",
            },
        )

    def _train(self, course: str, day: date) -> None:
        rng = self.rng
        self.sessions[course] += 1
        note = f"{self.COURSE_NOTES[course]}（第{self.sessions[course]}期）"
        if course == "health":
            self._pre_job_health(day, note)
        event: dict[str, Any] = {
            "type": "TrainingCompleted",
            "course": course,
            "people": rng.randint(*self.COURSES[course][2]),
            "note": note,
        }
        if course == "health":
            event["note"] = f"{note}：新上岗卫生保健人员（人员更替）"
        elif course == "caregiver" and rng.random() < 0.5:
            event["township"] = rng.choice(VALLEY)
        self.log.detached(self._moment(day), event, "late" if rng.random() < 0.06 else "usual")

    def _pre_job_health(self, day: date, note: str) -> None:
        """The health staff of every institution filed since the last session, one record each."""
        for inst in self.district.insts.values():
            due = inst.operating and inst.plan.filed_on < day and not inst.health_trained
            if due and inst.story != "no_training":
                event = {
                    "type": "TrainingCompleted",
                    "course": "health",
                    "people": inst.health_staff,
                    "note": note,
                    "source": "区妇幼保健院",
                }
                inst.health_trained = self.district.emit(inst, day, event)

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
