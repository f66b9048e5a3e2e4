"""A simple model of every institution of the demo district, and what happens to them.

Each method checks the model before it writes an event and then updates the model, so
the events obey the registry's rules by construction (enrolled within 0..slots, closed
institutions take only what the rules allow, grant/revoke only from the right status).
The log records each institution's events in the order they occurred. Inspections and
gradings are in supervision.py, incidents in safety.py.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from tuoyu.demo.log import Log
from tuoyu.demo.roster import VALLEY, Planned, address
from tuoyu.demo.supervision import Supervision
from tuoyu.projections.facts import SHANGHAI

CERTIFIED_FROM, CERTIFIED_TO = 0.70, 0.92  # certified share of caregivers, 2023 → end of 2025


@dataclass
class Inst:
    plan: Planned
    slots: int
    inclusive: bool
    fee: int
    occupancy: float  # its usual share of slots taken
    quality: float  # its usual inspection score
    caregiver_ratio: float  # children per caregiver it staffs for
    opened_on: date
    last_moment: datetime
    next_care: date
    next_staff: date
    next_change: date
    next_grading: date
    health_staff: int  # 卫生保健人员 it employs
    operating: bool = True
    enrolled: int = 0
    awaiting: int = 0
    winding_down: bool = False  # closing soon: takes no new children
    visits: list[tuple[date, str]] = field(default_factory=list)  # inspections planned: (day, kind), in order
    outcomes: list[tuple[date, str]] = field(default_factory=list)  # every inspection's (day, outcome)
    rectifications: dict[str, date | None] = field(default_factory=dict)  # id -> day done (None: never)
    health_trained: bool = False  # its health staff had the pre-job training (plan task 14)
    story: str | None = None  # the story around `today` it plays in (recent.py): no other story takes it

    @property
    def id(self) -> str:
        return self.plan.institution_id


class District:
    def __init__(self, rng: random.Random, log: Log, today: date) -> None:
        self.rng, self.log, self.today = rng, log, today
        self.insts: dict[str, Inst] = {}  # by roster key
        self.rehoming: list[tuple[date, Inst, int]] = []
        self.agenda: defaultdict[date, list[Callable[[date], None]]] = defaultdict(list)
        self.fee_cap: int | None = None  # the inclusive fee cap in force (programme.py sets it)
        self.supervision = Supervision(self)

    def later(self, day: date, action: Callable[[date], None]) -> None:
        """Do `action` on `day` (if the history reaches it), in the day's turn of the loop."""
        self.agenda[day].append(action)

    def run_agenda(self, day: date) -> None:
        for action in self.agenda.pop(day, []):
            action(day)

    # ---- writing ---------------------------------------------------------------------

    def moment(self, inst: Inst, day: date) -> datetime:
        """An office-hours moment of `day`, after the institution's previous event."""
        minutes = self.rng.randint(8 * 60 + 30, 17 * 60)
        moment = datetime.combine(day, time(minutes // 60, minutes % 60), SHANGHAI)
        if moment <= inst.last_moment:
            moment = inst.last_moment + timedelta(minutes=self.rng.randint(3, 25))
        inst.last_moment = moment
        return moment

    def emit(self, inst: Inst, day: date, event: dict[str, Any], timing: str = "usual") -> bool:
        event = {"type": event.pop("type"), "institution_id": inst.id, **event}
        return self.log.chained(inst.id, self.moment(inst, day), event, timing)

    # ---- lifecycle -------------------------------------------------------------------

    def file(self, planned: Planned, day: date) -> None:
        rng = self.rng

        def later(low: int, high: int) -> date:
            return day + timedelta(days=rng.randint(low, high))

        inst = Inst(
            planned,
            planned.slots,
            planned.inclusive,
            planned.details["monthly_fee_yuan"],
            occupancy=rng.uniform(0.68, 0.9),
            quality=rng.gauss(85, 4),
            caregiver_ratio=rng.uniform(3.2, 4.8),
            opened_on=day,
            last_moment=datetime.combine(day, time(8), SHANGHAI),
            next_care=later(2, 12),
            next_staff=later(3, 20),
            next_change=later(200, 500),
            next_grading=_first_grading(rng, day),
            health_staff=1 if planned.slots < 60 else 2,
            story=planned.story,
        )
        self.insts[planned.key] = inst
        self.supervision.first_visit(inst, day)
        event = {
            "type": "InstitutionFiled",
            "name": planned.name,
            "township": planned.township,
            "kind": planned.kind,
            "slots": planned.slots,
            "inclusive": planned.inclusive,
            **planned.details,
            "source": "托育机构登记备案",
        }
        # Two of the early filings were keyed in weeks late, from paper (补录).
        late = planned.key in ("A5", "A10")
        self.emit(inst, day, event, "late" if late else "usual")
        if day < date(2023, 6, 1):  # it was running before the registry opened: its children are filed too
            inst.opened_on = day - timedelta(days=365)
            self._enroll(inst, day, round(inst.slots * inst.occupancy), "备案时在托幼儿")
            inst.next_care = day + timedelta(days=rng.randint(10, 20))

    def change_capacity(self, inst: Inst, day: date, slots: int, note: str) -> None:
        if inst.operating and slots >= inst.enrolled:
            self.emit(inst, day, {"type": "CapacityChanged", "slots": slots, "note": note})
            inst.slots = slots

    def grant(self, inst: Inst, day: date, fee: int) -> None:
        if inst.operating and not inst.inclusive:
            self.emit(
                inst,
                day,
                {"type": "InclusiveStatusGranted", "monthly_fee_yuan": fee, "source": "区卫生健康委普惠托育认定"},
            )
            inst.inclusive, inst.fee = True, fee

    def revoke(self, inst: Inst, day: date, reason: str) -> None:
        if inst.operating and inst.inclusive:
            self.emit(inst, day, {"type": "InclusiveStatusRevoked", "reason": reason})
            inst.inclusive = False

    def wind_down(self, inst: Inst) -> None:
        """A closure is announced: no new children, families withdraw over the coming weeks."""
        inst.winding_down = True

    def close(self, inst: Inst, day: date, emergency: bool, reason: str) -> None:
        if not inst.operating:
            return
        if emergency:
            affected = inst.enrolled
            self.emit(
                inst,
                day,
                {"type": "InstitutionClosed", "emergency": True, "reason": reason, "children_affected": affected},
                "urgent",
            )
            # Most families are placed the next day, the rest over the following days.
            first = (affected + 1) // 2
            second = (affected - first + 1) // 2
            for later, children in ((1, first), (2, second), (3, affected - first - second)):
                if children:
                    self.rehoming.append((day + timedelta(days=later), inst, children))
        else:
            if inst.enrolled:
                self._withdraw(inst, day, inst.enrolled, "停办前办理退托")
            affected = 0
            self.emit(inst, day, {"type": "InstitutionClosed", "emergency": False, "reason": reason})
        inst.operating, inst.enrolled, inst.awaiting = False, 0, affected
        inst.visits = []  # nobody visits a closed place on the programme

    def rehome_due(self, day: date) -> None:
        due = [r for r in self.rehoming if r[0] == day]
        for _, inst, children in due:
            self._rehome(inst, day, children)

    def reopen(self, inst: Inst, day: date, note: str) -> None:
        if inst.operating:
            return
        self.emit(inst, day, {"type": "InstitutionReopened", "slots": inst.slots, "note": note})
        inst.operating, inst.enrolled, inst.awaiting, inst.opened_on = True, 0, 0, day
        inst.next_care = day + timedelta(days=2)
        self.supervision.first_visit(inst, day)

    # ---- the routine of an operating institution ---------------------------------------

    def routine(self, inst: Inst, day: date) -> None:
        self.supervision.complete_rectifications(inst, day)
        if not inst.operating:
            return
        if day >= inst.next_care:
            self._care(inst, day)
        if day >= inst.next_staff:
            self._report_staff(inst, day)
            inst.next_staff = day + timedelta(days=self.rng.randint(80, 110))
        self.supervision.visit_due(inst, day)
        if day >= inst.next_grading:
            self.supervision.grade(inst, day)
            inst.next_grading = _march_after(self.rng, day + timedelta(days=60))
        if day >= inst.next_change:
            self._change_filing(inst, day)
            inst.next_change = day + timedelta(days=self.rng.randint(300, 600))

    def _care(self, inst: Inst, day: date) -> None:
        rng = self.rng
        gap = round(inst.slots * self._occupancy(inst, day)) - inst.enrolled
        step = rng.randint(1, max(2, inst.slots // 8))
        if gap > 0:
            self._enroll(inst, day, min(gap, step))
        elif gap < 0:
            self._withdraw(inst, day, min(-gap, step))
        elif inst.enrolled and rng.random() < 0.3:
            self._withdraw(inst, day, 1, "家庭搬迁")
        inst.next_care = day + timedelta(days=rng.randint(6, 16))

    def _occupancy(self, inst: Inst, day: date) -> float:
        if inst.winding_down:
            return 0.0
        ramp = min(1.0, ((day - inst.opened_on).days / 30 + 1) / 4)  # a new place fills over months
        # Two-year-olds leave for kindergarten in summer; the new intake comes in September.
        summer = (day.month == 7 and day.day >= 15) or day.month == 8
        return inst.occupancy * ramp * (0.6 if summer else 1.0)

    def _enroll(self, inst: Inst, day: date, children: int, note: str | None = None) -> None:
        children = min(children, inst.slots - inst.enrolled)
        if children >= 1:
            self.emit(inst, day, _noted({"type": "ChildrenEnrolled", "children": children}, note))
            inst.enrolled += children

    def _withdraw(self, inst: Inst, day: date, children: int, note: str | None = None) -> None:
        children = min(children, inst.enrolled)
        if children >= 1:
            self.emit(inst, day, _noted({"type": "ChildrenWithdrawn", "children": children}, note))
            inst.enrolled -= children

    def _rehome(self, inst: Inst, day: date, children: int) -> None:
        """Place `children` of a closed institution, nearby first, one receiving institution at a time."""
        children = min(children, inst.awaiting)
        while children >= 1:
            receiver = self._receiver(inst)
            event: dict[str, Any] = {"type": "ChildrenRehomed", "children": children, "note": "家长自行安排照护"}
            if receiver is not None:
                event["children"] = min(children, receiver.slots - receiver.enrolled)
                event.pop("note")
                event["to_institution_id"] = receiver.id
            placed = event["children"]
            if not self.emit(inst, day, event, "urgent"):
                return
            inst.awaiting -= placed
            children -= placed
            if receiver is not None:
                self._enroll(receiver, day, placed, f"接收{inst.plan.name}分流幼儿")

    def _receiver(self, inst: Inst) -> Inst | None:
        open_ = [
            r
            for r in self.insts.values()
            if r.operating and not r.winding_down and r.slots > r.enrolled and r is not inst
        ]
        nearby = [r for r in open_ if r.plan.township == inst.plan.township] or [
            r for r in open_ if r.plan.township in VALLEY
        ]
        # Families are offered inclusive (普惠) places first.
        return max(nearby, key=lambda r: (r.inclusive, r.slots - r.enrolled), default=None)

    def _report_staff(self, inst: Inst, day: date) -> None:
        caregivers = max(2, round(inst.slots / inst.caregiver_ratio))
        progress = min(1.0, max(0.0, (day - date(2023, 1, 1)).days / 1095))
        share = CERTIFIED_FROM + (CERTIFIED_TO - CERTIFIED_FROM) * progress + self.rng.uniform(-0.06, 0.06)
        self.emit(
            inst,
            day,
            {
                "type": "StaffReported",
                "caregivers": caregivers,
                "certified_caregivers": min(caregivers, round(caregivers * share)),
                "health_staff": inst.health_staff,
            },
        )

    def _change_filing(self, inst: Inst, day: date) -> None:
        rng = self.rng
        if inst.plan.kind == "community" and rng.random() < 0.5:  # moved to other premises in the township
            changes: dict[str, Any] = {"address": address(rng, inst.plan.township)}
        elif inst.inclusive:
            return  # inclusive fees follow the district's price guidance, not the institution
        else:
            inst.fee = min(8000, inst.fee + rng.randrange(200, 501, 100))
            changes = {"monthly_fee_yuan": inst.fee}
        self.emit(inst, day, {"type": "FilingChanged", "changes": changes})


def _noted(event: dict[str, Any], note: str | None) -> dict[str, Any]:
    return {**event, "note": note} if note else event


def _first_grading(rng: random.Random, filed: date) -> date:
    """Institutions filed before the first annual round (March 2024) are graded in it; later
    ones get a first grading a month or two after filing, then join the March rounds."""
    if filed < date(2024, 1, 1):
        return _march_after(rng, date(2024, 1, 1))
    return filed + timedelta(days=rng.randint(25, 60))


def _march_after(rng: random.Random, day: date) -> date:
    """A day of the next annual 风险+信用 grading round (March), on or after `day`."""
    year = day.year if day <= date(day.year, 3, 1) else day.year + 1
    return date(year, 3, rng.randint(1, 28))
