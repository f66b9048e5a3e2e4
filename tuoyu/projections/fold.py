"""The fold: one township's (or the district's) view state, updated by one recorded fact.

State is plain JSON (dicts, lists, numbers) so that the embedded projector can checkpoint
it and a Faust table can hold it. `apply` owns the part it is given and updates it in place
(copying a whole view per event would make a million-event replay quadratic); it does no
I/O and reads no clock. Figures and targets are derived from this state by figures.py and
targets.py at an evaluation time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tuoyu.projections import provision, supervision
from tuoyu.projections.facts import Fact, business_date
from tuoyu.projections.moments import instant

Part = dict[str, Any]

# Quantities whose value at a past date targets need (baselines, judgement at due): kept as
# daily deltas.
SLOTS, INCLUSIVE_SLOTS, CAREGIVERS, CERTIFIED, INCLUSIVE_POINTS, KINDERGARTEN_INCLUSIVE = range(6)
QUANTITIES = 6
_PUBLIC_DETAILS = ("name", "address", "location", "operator", "monthly_fee_yuan")


def new_part() -> Part:
    return {
        "position": 0,
        "institutions": {},
        "rectifications": {},
        "closures": [],
        "training": {},
        "guidance": [0, 0],
        "targets": {},
        "history": {},
        # kpis.md, revision of 2026-11-30 (supervision.py, provision.py)
        "incidents": {},
        "health_training": {},
        "guidance_days": {},
        "population": [],
        "fee_caps": [],
    }


def contribution(inst: dict[str, Any] | None) -> tuple[int, ...]:
    if not inst or not inst["operating"]:
        return (0,) * QUANTITIES
    slots, inclusive = inst["slots"], inst["inclusive"]
    return (
        slots,
        slots if inclusive else 0,
        inst["caregivers"],
        inst["certified"],
        1 if inclusive and slots > 0 else 0,
        slots if inclusive and inst["kind"] == provision.KINDERGARTEN else 0,
    )


def apply(part: Part, fact: Fact) -> Part:
    """Fold one fact into its part. Facts at or below the part's position were applied before."""
    position = fact["position"]
    if position <= part["position"]:
        return part
    part["position"] = position
    event = fact["event"]
    kind = event.get("type")
    if kind not in _FOLDED:
        # An event type this fold does not know (recorded by a newer release, say) is skipped and
        # counted, never a crash: the count is exported as childcare_projection_unknown_events_total
        # (tuoyu/metrics/unknown.py), and every runner of the fold (projector, replay, workers) inherits it.
        if kind not in _NO_FIGURES:
            unknown = part.setdefault("unknown", {})
            unknown[str(kind)] = unknown.get(str(kind), 0) + 1
        return part
    if "institution_id" in event and kind != "TrainingCompleted":
        _apply_institution_event(part, fact)
    elif kind == "TrainingCompleted":
        per_day = part["training"].setdefault(event["course"], {})
        day = business_date(event["occurred_at"])
        per_day[day] = per_day.get(day, 0) + event["people"]
        if event["course"] == "health" and "institution_id" in event:
            supervision.health_training(part, event)
    elif kind == "ParentingGuidanceHeld":
        part["guidance"][0] += 1
        part["guidance"][1] += event["participants"]
        provision.guidance_held(part, event)
    elif kind == "TargetSet":
        part["targets"][event["kpi"]] = {
            **{k: event[k] for k in ("scope", "kpi", "value", "start", "due")},
            "responsible": event.get("responsible", []),
        }
    elif kind == "PopulationReported":
        provision.population_reported(part, event)
    elif kind == "InclusiveFeeCapSet":
        provision.fee_cap_set(part, event)
    elif kind in ("AlertNotified", "AlertAcknowledged"):
        _apply_oncall(part, fact)
    return part


def _apply_oncall(part: Part, fact: Fact) -> None:
    """The on-call record: latest state of each alert, when the commission was told and acted.

    An episode runs from a firing notification to the resolution; its `starts_at` is the first
    start Alertmanager gave. An acknowledgement holds for its episode, or, when it created a
    silence, until the silence ends: an alert that resolves and fires again meanwhile stays
    acknowledged. `notifications` counts every notification, repeats recorded as a count
    included (events stored before counts existed stand for one each).
    """
    event = fact["event"]
    alerts = part.setdefault("alerts", {})
    if event["type"] == "AlertNotified":
        known = alerts.get(event["fingerprint"])
        # A new episode only after a resolution: a start that moves while the alert still fires
        # (Prometheus, then Alertmanager, restarted) continues the episode.
        if known is None or (known["status"] == "resolved" and known["starts_at"] != event["starts_at"]):
            held = known is not None and _later(known.get("silenced_until"), fact["recorded_at"])
            acknowledgement = {k: known.get(k) for k in _ACKNOWLEDGEMENT} if held and known else {}
            known = alerts[event["fingerprint"]] = {
                "fingerprint": event["fingerprint"],
                "alertname": event["alertname"],
                "labels": event["labels"],
                "starts_at": event["starts_at"],
                "first_notified_at": fact["recorded_at"],
                "notifications": 0,
                **{k: None for k in _ACKNOWLEDGEMENT},
                **acknowledgement,
            }
        known.update(
            status=event["status"],
            annotations=event["annotations"],
            ends_at=event["ends_at"],
            last_notified_at=fact["recorded_at"],
            notifications=known["notifications"] + event.get("count", 1),
        )
        if event["status"] == "resolved":
            known["resolved_at"] = fact["recorded_at"]
    elif event["fingerprint"] in alerts:
        alerts[event["fingerprint"]].update(
            acknowledged_by=event["acknowledged_by"],
            acknowledged_at=fact["recorded_at"],
            note=event.get("note"),
            silence_id=event.get("silence_id"),
            silenced_until=event.get("silenced_until"),
        )


_ACKNOWLEDGEMENT = ("acknowledged_by", "acknowledged_at", "note", "silence_id", "silenced_until")


def _later(moment: str | None, than: str) -> bool:
    return moment is not None and datetime.fromisoformat(moment) > datetime.fromisoformat(than)


def _apply_institution_event(part: Part, fact: Fact) -> None:
    event, context = fact["event"], fact["context"]
    iid = event["institution_id"]
    inst = part["institutions"].get(iid)
    kind = event["type"]
    if inst is not None and kind in _COUNT_ONLY:
        # The commonest events (children in and out, gradings, inspections) move no baseline quantity.
        _CHANGES[kind](inst, event)
        if kind in _TRACKED:
            _track_cases(part, fact, inst)
        return
    before = contribution(inst)
    if inst is None or kind == "InstitutionFiled":
        # A filing, or (in an as-of view) an event whose filing occurred later than the
        # view's business time: the stored context says what the institution was then.
        inst = part["institutions"][iid] = _from_context(event, context)
    else:
        _CHANGES[event["type"]](inst, event)
    _track_cases(part, fact, inst)
    after = contribution(inst)
    if before != after:
        day = part["history"].setdefault(business_date(event["occurred_at"]), [0] * QUANTITIES)
        for i in range(QUANTITIES):
            day[i] += after[i] - before[i]


def _track_cases(part: Part, fact: Fact, inst: dict[str, Any]) -> None:
    """Rectifications and closures are kept whole (open and done) for the lists users browse."""
    event = fact["event"]
    kind, iid = event["type"], event["institution_id"]
    if kind == "InspectionRecorded" and event["outcome"] == "rectify":
        part["rectifications"][event["inspection_id"]] = {
            "inspection_id": event["inspection_id"],
            "institution_id": iid,
            "kind": event["kind"],
            "inspected_at": event["occurred_at"],
            "rectify_by": event["rectify_by"],
            "completed_at": None,
            "findings": len(event.get("findings", ())),
        }
    elif kind == "RectificationCompleted" and event["inspection_id"] in part["rectifications"]:
        part["rectifications"][event["inspection_id"]]["completed_at"] = event["occurred_at"]
    elif kind == "InstitutionClosed":
        inst["closure"] = len(part["closures"])
        part["closures"].append(
            {
                "institution_id": iid,
                "emergency": event["emergency"],
                "closed_at": event["occurred_at"],
                "reason": event.get("reason"),
                "children_affected": inst["awaiting"],
                "children_rehomed": 0,
                "reopened_at": None,
            }
        )
    elif kind in ("IncidentReported", "IncidentResolved"):
        supervision.incident(part, event)
    elif kind in ("ChildrenRehomed", "InstitutionReopened") and inst.get("closure") is not None:
        closure = part["closures"][inst["closure"]]
        if kind == "ChildrenRehomed":
            closure["children_rehomed"] += event["children"]
        else:
            closure["reopened_at"] = event["occurred_at"]
            inst["closure"] = None


def _from_context(event: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    inst = {
        "township": context["township"],
        "kind": context["kind"],
        "slots": context["slots"],
        "inclusive": context["inclusive"],
        "enrolled": context["enrolled"],
        "operating": context["operating"],
        "emergency": context.get("emergency", False),
        "awaiting": context.get("awaiting", 0),
        "closed_at": None,
        "closure": None,
        "caregivers": 0,
        "certified": 0,
        "risk": None,
        "credit": None,
        "filed_at": instant(event["occurred_at"]) if event["type"] == "InstitutionFiled" else None,
        **supervision.new_record(instant(event["occurred_at"]), context["operating"]),
    }
    inst.update((k, event[k]) for k in _PUBLIC_DETAILS if k in event)
    if event["type"] == "InstitutionClosed":
        inst["closed_at"] = event["occurred_at"]
    if event["type"] in _ALSO_FROM_CONTEXT:
        # What the context does not carry: the event's own figures.
        _CHANGES[event["type"]](inst, event)
    return inst


def _capacity(inst, event):
    inst["slots"] = event["slots"]
    inst["enrolled"] = min(inst["enrolled"], inst["slots"])


def _closed(inst, event):
    inst["awaiting"] = event.get("children_affected", inst["enrolled"])
    inst.update(operating=False, enrolled=0, emergency=event["emergency"], closed_at=event["occurred_at"])
    supervision.closed(inst, event)


def _reopened(inst, event):
    inst.update(
        operating=True, enrolled=0, awaiting=0, emergency=False, closed_at=None, slots=event.get("slots", inst["slots"])
    )
    supervision.opened(inst, event)


def _staff(inst, event):
    inst["caregivers"] = event["caregivers"]
    inst["certified"] = min(event["certified_caregivers"], event["caregivers"])
    inst["health_staff"] = event.get("health_staff", 0)


def _filing_changed(inst, event):
    inst.update(event["changes"])


def _granted(inst, event):
    inst["inclusive"] = True
    if "monthly_fee_yuan" in event:
        inst["monthly_fee_yuan"] = event["monthly_fee_yuan"]


def _graded(inst, event):
    inst.update(risk=event["risk"], credit=event["credit"])


def _nothing(inst, event):
    pass


def _revoked(inst, event):
    inst["inclusive"] = False


def _rehomed(inst, event):
    inst["awaiting"] = max(0, inst["awaiting"] - event["children"])


def _enrolled(inst, event):
    inst["enrolled"] = min(inst["slots"], inst["enrolled"] + event["children"])


def _withdrawn(inst, event):
    inst["enrolled"] = max(0, inst["enrolled"] - event["children"])


# Events that move no quantity of the history (a FilingChanged may change the kind, and so
# the kindergartens' inclusive slots).
_COUNT_ONLY = frozenset(
    {
        "ChildrenEnrolled",
        "ChildrenWithdrawn",
        "ChildrenRehomed",
        "RiskCreditGraded",
        "InspectionRecorded",
        "RectificationCompleted",
        "IncidentReported",
        "IncidentResolved",
    }
)
# ... of which these are also kept whole in lists (_track_cases).
_TRACKED = frozenset(
    {"ChildrenRehomed", "InspectionRecorded", "RectificationCompleted", "IncidentReported", "IncidentResolved"}
)
# Events whose own figures an institution first seen through them (in an as-of view) keeps.
_ALSO_FROM_CONTEXT = frozenset({"StaffReported", "InspectionRecorded", "RiskCreditGraded"})

_CHANGES = {
    "FilingChanged": _filing_changed,
    "CapacityChanged": _capacity,
    "InclusiveStatusGranted": _granted,
    "InclusiveStatusRevoked": _revoked,
    "InstitutionClosed": _closed,
    "ChildrenRehomed": _rehomed,
    "InstitutionReopened": _reopened,
    "ChildrenEnrolled": _enrolled,
    "ChildrenWithdrawn": _withdrawn,
    "StaffReported": _staff,
    "InspectionRecorded": supervision.inspected,
    "RectificationCompleted": _nothing,
    "RiskCreditGraded": _graded,
    "IncidentReported": _nothing,
    "IncidentResolved": _nothing,
}

# Every type `apply` folds. A new type is added here with its handler, or it is counted as unknown.
_FOLDED = frozenset(
    {
        *_CHANGES,
        "InstitutionFiled",
        "TrainingCompleted",
        "ParentingGuidanceHeld",
        "TargetSet",
        "PopulationReported",
        "InclusiveFeeCapSet",
        "AlertNotified",
        "AlertAcknowledged",
    }
)
# The platform's own records that change no figure: known, so not counted as unknown.
_NO_FIGURES = frozenset({"TokenGranted", "TokenRevoked", "PersonalDataRedacted"})


def unknown_counts(parts: Iterable[Part]) -> dict[str, int]:
    """Events of each unknown type the parts skipped."""
    counts: dict[str, int] = {}
    for part in parts:
        for kind, count in part.get("unknown", {}).items():
            counts[kind] = counts.get(kind, 0) + count
    return counts
