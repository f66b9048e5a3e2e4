"""Supervision of the demo institutions: the yearly programme of visits, the quality
assessments with their seven scores, rectifications (most completed in time, a few late, one
or two never), and the annual 风险+信用 grading.

The year is planned on 1 January: a routine visit for every institution but the few (about
one in eight, at least three) left out of that year's random draw (双随机), an unannounced one
for about a third, a 督导 visit (task 9) for some from 2024, now and then a complaint; so by
December most institutions, never all, have been visited that year. From the 2024 school
year every institution that has run for half a year is assessed once a year between
September and mid-December (task 2). A newly filed or
reopened institution gets its first routine visit one to three months after.

A passed inspection or a grading changes nothing the rules depend on, so now and then one is
recorded weeks late; an inspection asking for rectification is recorded in turn, because its
RectificationCompleted must come after it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tuoyu.demo.district import District, Inst

DIMENSIONS = ("management", "staffing", "environment", "safety", "health", "family_community", "activities")
# Where institutions of a kind usually stand in a dimension, against their overall level: small
# community points lack room and staff, kindergartens have a 保健医 and a curriculum, private
# centres court the parents.
LEANINGS: dict[str, dict[str, float]] = {
    "community": {"environment": -3, "staffing": -2, "family_community": 2},
    "kindergarten_class": {"activities": 2, "health": 2, "family_community": -1},
    "private": {"family_community": 2, "management": 1, "staffing": -1},
    "employer": {"family_community": -2},
    "district_center": {"staffing": 2, "activities": 1},
}
# Every dimension: family-community work is the commonest weak point, staffing the next.
DIMENSION_LEVELS = {
    "management": 0,
    "staffing": -2,
    "environment": 1,
    "safety": -1,
    "health": 0,
    "family_community": -3,
    "activities": 1,
}
FINDINGS = {
    "management": ("收托协议及家长告知书签订不全", "机构信息公示内容未及时更新"),
    "staffing": ("部分保育人员未持证上岗", "从业人员健康证过期未及时更新"),
    "environment": ("室外活动场地防护设施破损", "部分电源插座未加装安全保护盖"),
    "safety": ("消防应急疏散演练记录不全", "监控录像保存不足30天"),
    "health": ("食品留样记录缺失", "玩具及餐具消毒记录不完整"),
    "family_community": ("家长开放日活动未按计划开展",),
    "activities": ("一日生活安排与保育计划不符",),
}
# Besides the routine visit of the yearly draw, the chance of each other kind of visit (督导 from 2024).
OTHER_VISITS = (("unannounced", 0.3), ("supervision", 0.15), ("complaint", 0.05))
ASSESSMENTS_FROM = 2024


class Supervision:
    def __init__(self, district: District) -> None:
        self.rng, self.log, self.today = district.rng, district.log, district.today
        self.emit, self.moment = district.emit, district.moment
        self.inspections = 0
        self.overdue_left = self.rng.choice((0, 1))  # another rectification nobody gets round to

    # ---- the programme ---------------------------------------------------------------------

    def first_visit(self, inst: Inst, day: date) -> None:
        """A newly filed (or reopened) institution: a routine visit in the next one to three months."""
        inst.visits = [(weekday(day + timedelta(days=self.rng.randint(30, 100))), "routine")]

    def plan_year(self, insts: Iterable[Inst], first: date) -> None:
        """The year's programme, drawn on its first day (双随机): a routine visit for all but a few
        institutions left out of this year's draw, and other visits by chance."""
        rng, year = self.rng, first.year
        operating = [i for i in insts if i.operating and i.story != "high_risk"]
        drawn = len(operating) - max(3, round(0.12 * len(operating)))
        left_out = {i.id for i in rng.sample(operating, len(operating) - max(0, drawn))}
        days = (date(year, 12, 18) - first).days
        for inst in operating:
            kinds = (
                []
                if inst.id in left_out
                else ["routine"]
                + [
                    kind
                    for kind, chance in OTHER_VISITS
                    if rng.random() < chance and (kind != "supervision" or year >= 2024)
                ]
            )
            planned = [(weekday(first + timedelta(days=rng.randint(2, days))), kind) for kind in kinds]
            if year >= ASSESSMENTS_FROM and inst.opened_on <= date(year, 3, 1):
                planned.append((weekday(date(year, 9, 2) + timedelta(days=rng.randint(0, 100))), "quality_assessment"))
            inst.visits = sorted(inst.visits + planned)

    def visit_due(self, inst: Inst, day: date) -> None:
        while inst.visits and inst.visits[0][0] <= day:
            _, kind = inst.visits.pop(0)
            self.inspect(inst, day, kind)

    # ---- one inspection --------------------------------------------------------------------

    def inspect(
        self,
        inst: Inst,
        day: date,
        kind: str,
        outcome: str | None = None,
        findings: list[dict[str, str]] | None = None,
        timing: str = "usual",
        neglected: bool = False,
    ) -> str:
        """Record an inspection; returns its id."""
        rng = self.rng
        self.inspections += 1
        inspection_id = f"JC{day.year}-{self.inspections:04d}"
        chance = 0.85 if kind == "quality_assessment" else 0.8
        outcome = outcome or ("pass" if rng.random() < chance else "rectify")
        event: dict[str, Any] = {
            "type": "InspectionRecorded",
            "inspection_id": inspection_id,
            "kind": kind,
            "outcome": outcome,
            "source": "区卫生健康委综合监督",
        }
        weak: list[str] = []
        if outcome == "rectify":
            if not findings:
                weak = rng.sample(DIMENSIONS, rng.randint(1, 2))
                findings = [_finding(rng, d) for d in weak]
            rectify_by = day + timedelta(days=rng.randint(30, 60))
            event["rectify_by"] = rectify_by.isoformat()
        if kind == "quality_assessment":
            event["scores"] = self._scores(inst, day, outcome, weak)
        if findings:
            event["findings"] = findings
        if outcome == "pass" and rng.random() < 0.04 and timing != "urgent":  # a report typed in weeks later
            self.log.detached(self.moment(inst, day), {"institution_id": inst.id, **event}, "late", after=inst.id)
        else:
            self.emit(inst, day, event, timing)
        inst.outcomes.append((day, outcome))
        if outcome == "rectify":
            inst.rectifications[inspection_id] = None if neglected else self._rectified_on(day, rectify_by)
        return inspection_id

    def _scores(self, inst: Inst, day: date, outcome: str, weak: list[str]) -> dict[str, int]:
        """The seven scores of a quality assessment, out of 100."""
        rng = self.rng
        level = inst.quality - 3 + day.year - 2023  # quality improves as the plan goes on
        leaning = LEANINGS.get(inst.plan.kind, {})
        scores = {
            d: min(98, max(60, round(level + DIMENSION_LEVELS[d] + leaning.get(d, 0) + rng.gauss(0, 3))))
            for d in DIMENSIONS
        }
        for d in weak:
            scores[d] = rng.randint(55, 68)
        if outcome == "fail":
            for d in ("management", "safety", "environment"):
                scores[d] = rng.randint(38, 55)
        return scores

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

    def complete_rectifications(self, inst: Inst, day: date) -> None:
        for inspection_id, done in list(inst.rectifications.items()):
            if done == day:
                self.emit(inst, day, {"type": "RectificationCompleted", "inspection_id": inspection_id})
                del inst.rectifications[inspection_id]

    # ---- 风险+信用 grading -------------------------------------------------------------------

    def grade(self, inst: Inst, day: date) -> None:
        """Risk and credit from the inspections of the last year: a failure means high risk and a
        D; rectifications a medium risk, and a C after two; otherwise the institution's quality."""
        risk, credit = grading(inst, day)
        event = {"institution_id": inst.id, "type": "RiskCreditGraded", "risk": risk, "credit": credit}
        if risk != "high" and self.rng.random() < 0.05:
            self.log.detached(self.moment(inst, day), event, "late", after=inst.id)
        else:
            self.emit(inst, day, event)


def grading(inst: Inst, day: date) -> tuple[str, str]:
    if inst.story == "high_risk":
        return "high", "C"
    recent = [outcome for when, outcome in inst.outcomes if when > day - timedelta(days=365)]
    if "fail" in recent:
        return "high", "D"
    if recent.count("rectify") >= 2:
        return "medium", "C"
    if "rectify" in recent:
        return "medium", "B"
    return ("low", "A") if inst.quality >= 83 else ("medium", "B")


def weekday(day: date) -> date:
    """`day`, or the Monday after it when it falls on a weekend (inspectors work on weekdays)."""
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def _finding(rng: random.Random, dimension: str) -> dict[str, str]:
    number = rng.randrange(len(FINDINGS[dimension]))
    return {
        "code": f"{dimension}-{number + 1}",
        "severity": rng.choice(("medium", "medium", "low")),
        "text": FINDINGS[dimension][number],
    }
