"""The institution aggregate: filing, capacity, inclusive status, closures, children, staff,
inspections, gradings and safety incidents. Public methods decide (check the rules of
kpis.md, build the stored context); the nested event classes only assign."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from tuoyu.domain.base import Opened, Recorded, natural_id
from tuoyu.domain.catalogue import ACCEPTED_WHEN_CLOSED
from tuoyu.domain.problems import RuleViolation

_FILED_DETAILS = ("name", "kind", "address", "location", "operator", "monthly_fee_yuan", "credit_code")


class Institution(Aggregate):
    @staticmethod
    def create_id(institution_id: str) -> UUID:
        return natural_id("institution", institution_id)

    class Filed(Opened):
        def apply(self, aggregate: Institution) -> None:
            # Aggregate.Created calls __init__ with the event's attributes.
            pass

    def __init__(self, event: dict[str, Any], context: dict[str, Any], recorded_by: str) -> None:
        self.institution_id: str = event["institution_id"]
        self.details: dict[str, Any] = {k: event[k] for k in _FILED_DETAILS if k in event}
        self.township: str = context["township"]
        self.kind: str = context["kind"]
        self.slots: int = context["slots"]
        self.inclusive: bool = context["inclusive"]
        self.enrolled: int = 0
        self.operating: bool = True
        self.awaiting: int = 0
        self.emergency: bool = False
        self.open_rectifications: dict[str, str] = {}
        # What /api/institutions/{id} shows of its supervision (latest in recorded order).
        self.risk: str | None = None
        self.credit: str | None = None
        self.latest_outcome: str | None = None
        self.latest_scores: dict[str, float] | None = None
        self.open_incidents: dict[str, dict[str, Any]] = {}

    @classmethod
    def file(cls, event: dict[str, Any], recorded_by: str, now: datetime) -> Institution:
        context = {
            "township": event["township"],
            "kind": event["kind"],
            "slots": event["slots"],
            "inclusive": event["inclusive"],
            "enrolled": 0,
            "operating": True,
        }
        return cls._create(
            cls.Filed,
            id=cls.create_id(event["institution_id"]),
            timestamp=now,
            event=event,
            context=context,
            recorded_by=recorded_by,
        )

    # ---- decisions -------------------------------------------------------------------

    def record(self, event: dict[str, Any], recorded_by: str, now: datetime) -> None:
        """Decide on one interchange event about this institution and trigger its stored event."""
        kind = event["type"]
        if kind == "InstitutionFiled":
            raise RuleViolation(
                "institution_id",
                f"institution {self.institution_id} is already filed; "
                "an institution id can be filed once (use FilingChanged or CapacityChanged)",
            )
        if not self.operating and kind not in ACCEPTED_WHEN_CLOSED:
            raise RuleViolation(
                "institution_id",
                f"institution {self.institution_id} is closed; a closed "
                f"institution accepts only {', '.join(sorted(ACCEPTED_WHEN_CLOSED))}",
            )
        decide = getattr(self, "_decide_" + kind)
        event_class, changes = decide(event)
        self.trigger_event(
            event_class, timestamp=now, event=event, context=self._context(**changes), recorded_by=recorded_by
        )

    def _context(self, **changes: Any) -> dict[str, Any]:
        context = {
            "township": self.township,
            "kind": self.kind,
            "slots": self.slots,
            "inclusive": self.inclusive,
            "enrolled": self.enrolled,
            "operating": self.operating,
        }
        context.update(changes)
        return context

    def _decide_FilingChanged(self, event):
        return self.FilingChanged, {"kind": event["changes"].get("kind", self.kind)}

    def _decide_CapacityChanged(self, event):
        if event["slots"] < self.enrolled:
            raise RuleViolation(
                "slots",
                f"{event['slots']} slots is below the {self.enrolled} children "
                f"enrolled in {self.institution_id}; withdraw children first",
            )
        return self.CapacityChanged, {"slots": event["slots"]}

    def _decide_InclusiveStatusGranted(self, event):
        if self.inclusive:
            raise RuleViolation("type", f"institution {self.institution_id} is already inclusive (普惠)")
        return self.InclusiveStatusGranted, {"inclusive": True}

    def _decide_InclusiveStatusRevoked(self, event):
        if not self.inclusive:
            raise RuleViolation(
                "type", f"institution {self.institution_id} is not inclusive (普惠); there is no status to revoke"
            )
        return self.InclusiveStatusRevoked, {"inclusive": False}

    def _decide_InstitutionClosed(self, event):
        affected = event.get("children_affected", self.enrolled)
        return self.Closed, {
            "operating": False,
            "enrolled": 0,
            "children_affected": affected,
            "awaiting": affected,
            "emergency": event["emergency"],
        }

    def _decide_ChildrenRehomed(self, event):
        if self.operating:
            raise RuleViolation(
                "institution_id",
                f"institution {self.institution_id} is operating; ChildrenRehomed applies to a closed institution",
            )
        if event["children"] > self.awaiting:
            raise RuleViolation(
                "children",
                f"{event['children']} children exceeds the {self.awaiting} "
                f"children of {self.institution_id} still awaiting a place",
            )
        return self.ChildrenRehomed, {"awaiting": self.awaiting - event["children"], "emergency": self.emergency}

    def _decide_InstitutionReopened(self, event):
        if self.operating:
            raise RuleViolation(
                "type", f"institution {self.institution_id} is operating; only a closed institution can be reopened"
            )
        return self.Reopened, {
            "operating": True,
            "slots": event.get("slots", self.slots),
            "enrolled": 0,
            "awaiting": 0,
            "emergency": False,
        }

    def _decide_ChildrenEnrolled(self, event):
        after = self.enrolled + event["children"]
        if after > self.slots:
            raise RuleViolation(
                "children",
                f"enrolling {event['children']} would make {after} children in "
                f"{self.slots} slots of {self.institution_id}; enrolled may not exceed slots",
            )
        return self.ChildrenEnrolled, {"enrolled": after}

    def _decide_ChildrenWithdrawn(self, event):
        after = self.enrolled - event["children"]
        if after < 0:
            raise RuleViolation(
                "children",
                f"withdrawing {event['children']} would leave {after} children in "
                f"{self.institution_id}, which has {self.enrolled} enrolled",
            )
        return self.ChildrenWithdrawn, {"enrolled": after}

    def _decide_StaffReported(self, event):
        if event["certified_caregivers"] > event["caregivers"]:
            raise RuleViolation(
                "certified_caregivers",
                f"{event['certified_caregivers']} certified caregivers "
                f"exceeds the {event['caregivers']} caregivers reported",
            )
        return self.StaffReported, {}

    def _decide_InspectionRecorded(self, event):
        return self.InspectionRecorded, {}

    def _decide_RectificationCompleted(self, event):
        if event["inspection_id"] not in self.open_rectifications:
            raise RuleViolation(
                "inspection_id",
                f"{self.institution_id} has no open rectification for "
                f"inspection {event['inspection_id']}; open: "
                f"{', '.join(self.open_rectifications) or 'none'}",
            )
        return self.RectificationCompleted, {"rectify_by": self.open_rectifications[event["inspection_id"]]}

    def _decide_RiskCreditGraded(self, event):
        return self.RiskCreditGraded, {}

    def _decide_IncidentReported(self, event):
        # That the incident id is new across all institutions is checked with the claims
        # (decisions.py), as for inspection ids.
        return self.IncidentReported, {}

    def _decide_IncidentResolved(self, event):
        if event["incident_id"] not in self.open_incidents:
            raise RuleViolation(
                "incident_id",
                f"{self.institution_id} has no open incident {event['incident_id']}; "
                "IncidentResolved needs an incident of this institution reported and not yet "
                f"resolved; open: {', '.join(self.open_incidents) or 'none'}",
            )
        return self.IncidentResolved, {}

    # ---- events: assignment only ---------------------------------------------------------

    class FilingChanged(Recorded):
        def apply(self, aggregate: Institution) -> None:
            aggregate.details.update(self.event["changes"])
            aggregate.kind = self.context["kind"]

    class CapacityChanged(Recorded):
        def apply(self, aggregate: Institution) -> None:
            aggregate.slots = self.context["slots"]

    class InclusiveStatusGranted(Recorded):
        def apply(self, aggregate: Institution) -> None:
            aggregate.inclusive = True
            if "monthly_fee_yuan" in self.event:
                aggregate.details["monthly_fee_yuan"] = self.event["monthly_fee_yuan"]

    class InclusiveStatusRevoked(Recorded):
        def apply(self, aggregate: Institution) -> None:
            aggregate.inclusive = False

    class Closed(Recorded):
        def apply(self, aggregate: Institution) -> None:
            aggregate.operating = False
            aggregate.enrolled = 0
            aggregate.awaiting = self.context["awaiting"]
            aggregate.emergency = self.context["emergency"]

    class ChildrenRehomed(Recorded):
        def apply(self, aggregate: Institution) -> None:
            aggregate.awaiting = self.context["awaiting"]

    class Reopened(Recorded):
        def apply(self, aggregate: Institution) -> None:
            aggregate.operating = True
            aggregate.slots = self.context["slots"]
            aggregate.enrolled = 0
            aggregate.awaiting = 0
            aggregate.emergency = False

    class ChildrenEnrolled(Recorded):
        def apply(self, aggregate: Institution) -> None:
            aggregate.enrolled = self.context["enrolled"]

    class ChildrenWithdrawn(Recorded):
        def apply(self, aggregate: Institution) -> None:
            aggregate.enrolled = self.context["enrolled"]

    class StaffReported(Recorded):
        pass

    class InspectionRecorded(Recorded):
        def apply(self, aggregate: Institution) -> None:
            if self.event["outcome"] == "rectify":
                aggregate.open_rectifications[self.event["inspection_id"]] = self.event["rectify_by"]
            aggregate.latest_outcome = self.event["outcome"]
            if self.event["kind"] == "quality_assessment":
                aggregate.latest_scores = self.event.get("scores", {})

    class RectificationCompleted(Recorded):
        def apply(self, aggregate: Institution) -> None:
            aggregate.open_rectifications.pop(self.event["inspection_id"], None)

    class RiskCreditGraded(Recorded):
        def apply(self, aggregate: Institution) -> None:
            aggregate.risk = self.event["risk"]
            aggregate.credit = self.event["credit"]

    class IncidentReported(Recorded):
        def apply(self, aggregate: Institution) -> None:
            event = self.event
            aggregate.open_incidents[event["incident_id"]] = {
                "incident_id": event["incident_id"],
                "category": event["category"],
                "severity": event["severity"],
                "children_affected": event.get("children_affected"),
                "reported_at": event["occurred_at"],
            }

    class IncidentResolved(Recorded):
        def apply(self, aggregate: Institution) -> None:
            aggregate.open_incidents.pop(self.event["incident_id"], None)
