"""Supervision of the demo institutions: inspections with their seven scores, rectifications
(most completed in time, a few late, one or two never), and the annual 风险+信用 grading.

A passed inspection or a grading changes nothing the rules depend on, so now and then
one is recorded weeks late; an inspection asking for rectification is recorded in turn,
because its RectificationCompleted must come after it.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tuoyu.demo.district import District, Inst

DIMENSIONS = ("management", "staffing", "environment", "safety", "health", "family_community", "activities")
FINDINGS = {
    "management": ("收托协议及家长告知书签订不全", "机构信息公示内容未及时更新"),
    "staffing": ("部分保育人员未持证上岗", "从业人员健康证过期未及时更新"),
    "environment": ("室外活动场地防护设施破损", "部分电源插座未加装安全保护盖"),
    "safety": ("消防应急疏散演练记录不全", "监控录像保存不足30天"),
    "health": ("食品留样记录缺失", "玩具及餐具消毒记录不完整"),
    "family_community": ("家长开放日活动未按计划开展",),
    "activities": ("一日生活安排与保育计划不符",),
}


class Supervision:
    def __init__(self, district: "District") -> None:
        self.rng, self.log, self.today = district.rng, district.log, district.today
        self.emit, self.moment = district.emit, district.moment
        self.inspections = 0
        self.overdue_left = self.rng.choice((0, 1))  # another rectification nobody gets round to

    def inspect(self, inst: "Inst", day: date, kind: str | None = None, outcome: str | None = None,
                findings: list[dict[str, str]] | None = None, timing: str = "usual", neglected: bool = False) -> None:
        rng = self.rng
        self.inspections += 1
        inspection_id = f"JC{day.year}-{self.inspections:04d}"
        kind = kind or self._inspection_kind(day)
        outcome = outcome or ("pass" if rng.random() < 0.78 else "rectify")
        level = inst.quality + 1.5 * (day.year - 2023)  # quality improves as the plan goes on
        scores = {d: min(99, max(60, round(level + rng.gauss(0, 4)))) for d in DIMENSIONS}
        event: dict[str, Any] = {"type": "InspectionRecorded", "inspection_id": inspection_id, "kind": kind,
                                 "scores": scores, "outcome": outcome, "source": "区卫生健康委综合监督"}
        if outcome == "rectify":
            weak = rng.sample(DIMENSIONS, rng.randint(1, 2))
            findings = [_finding(rng, d) for d in weak]
            for d in weak:
                scores[d] = rng.randint(52, 68)
            rectify_by = day + timedelta(days=rng.randint(30, 60))
            event["rectify_by"] = rectify_by.isoformat()
        if outcome == "fail":
            for d in ("management", "safety", "environment"):
                scores[d] = rng.randint(38, 55)
        if findings:
            event["findings"] = findings
        if outcome == "pass" and rng.random() < 0.04 and timing != "urgent":  # a report typed in weeks later
            self.log.detached(self.moment(inst, day), {"institution_id": inst.id, **event}, "late",
                              after=inst.id)
        else:
            self.emit(inst, day, event, timing)
        inst.last_outcome = outcome
        if outcome == "rectify":
            inst.rectifications[inspection_id] = None if neglected else self._rectified_on(day, rectify_by)

    def _inspection_kind(self, day: date) -> str:
        if day >= date(2024, 9, 1) and self.rng.random() < 0.5:
            return "quality_assessment"  # the plan's quality evaluation, from the 2024 school year
        return self.rng.choices(("routine", "unannounced", "supervision", "complaint"), (60, 22, 12, 6))[0]

    def _rectified_on(self, day: date, rectify_by: date) -> date | None:
        rng = self.rng
        overdue_by_today = self.today - timedelta(days=150) <= rectify_by <= self.today - timedelta(days=7)
        if self.overdue_left and overdue_by_today and rng.random() < 0.6:
            self.overdue_left -= 1
            return None
        if rng.random() < 0.1 and rectify_by < self.today - timedelta(days=40):
            return rectify_by + timedelta(days=rng.randint(3, 25))  # done, but late
        window = (rectify_by - day).days
        return day + timedelta(days=rng.randint(window // 2, window - 3))

    def grade(self, inst: "Inst", day: date) -> None:
        """风险+信用 grading, from the latest inspection; a failed one means high risk and a D."""
        risk = {"fail": "high", "rectify": "medium"}.get(inst.last_outcome, "low" if inst.quality >= 82 else "medium")
        credit = "D" if inst.last_outcome == "fail" else {"low": "A", "medium": "B"}[risk]
        event = {"institution_id": inst.id, "type": "RiskCreditGraded", "risk": risk, "credit": credit}
        if inst.last_outcome != "fail" and self.rng.random() < 0.05:
            self.log.detached(self.moment(inst, day), event, "late", after=inst.id)
        else:
            self.emit(inst, day, event)

    def complete_rectifications(self, inst: "Inst", day: date) -> None:
        for inspection_id, done in list(inst.rectifications.items()):
            if done == day:
                self.emit(inst, day, {"type": "RectificationCompleted", "inspection_id": inspection_id})
                del inst.rectifications[inspection_id]


def _finding(rng: random.Random, dimension: str) -> dict[str, str]:
    number = rng.randrange(len(FINDINGS[dimension]))
    return {"code": f"{dimension}-{number + 1}", "severity": rng.choice(("medium", "medium", "low")),
            "text": FINDINGS[dimension][number]}
