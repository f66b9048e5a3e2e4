"""Deciding a sequence of interchange events against the store, in order, before saving.

A `Decisions` object is the write side's unit of work: it loads each aggregate once, checks
every event (schema, idempotency, rules) in the order given, and collects the resulting
domain events in that same order. Nothing is saved here; the application saves the whole
list in one transaction, or nothing when any problem was found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import orjson

from tuoyu.domain.catalogue import INSTITUTION_EVENT_TYPES
from tuoyu.domain.institution import Institution
from tuoyu.domain.policy import InclusiveFeeCap, PopulationReport
from tuoyu.domain.problems import Problem, RuleViolation
from tuoyu.domain.programme import GuidanceActivity, Target, TrainingSession
from tuoyu.domain.schema import normalised, parse_time, problems_of

MAX_AHEAD = timedelta(days=1)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", re.ASCII)

Loader = Callable[[UUID], Any]  # an aggregate, or None when none is stored
ClaimLookup = Callable[[Sequence[str]], dict[str, str]]
# Why the submitter may not record this event in this township (None: it may).
Authorizer = Callable[[dict[str, Any], "str | None"], "str | None"]


def digest(event: dict[str, Any]) -> str:
    """The content fingerprint that decides whether a repeated event_id is the same event."""
    import hashlib

    return hashlib.sha256(orjson.dumps(event, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def _well_formed(identifier: Any) -> bool:
    return isinstance(identifier, str) and _ID.fullmatch(identifier) is not None


def _short(fingerprint: str) -> int:
    return int(fingerprint[:16], 16) if fingerprint else 0


def event_key(event_id: str) -> str:
    return f"event:{event_id}"


def _id_and_time(event: dict[str, Any]) -> tuple[str, datetime]:
    """The event_id and occurred_at of an event that problems_of accepted: every event type's
    schema requires both, an event_id string and an RFC 3339 date-time."""
    event_id, occurred_at = event.get("event_id"), parse_time(event["occurred_at"])
    if not isinstance(event_id, str) or occurred_at is None:
        raise ValueError(
            f"event {event_id!r} has no string event_id or no RFC 3339 occurred_at, yet passed the "
            "schema: every event type's schema must require both (tuoyu/contracts)"
        )
    return event_id, occurred_at


# Ids besides event_id that name one fact across the whole record, claimed like event_ids:
# type -> (id field, noun, verb) for the key and the message.
UNIQUE_IDS = {
    "InspectionRecorded": ("inspection_id", "inspection", "recorded"),
    "IncidentReported": ("incident_id", "incident", "reported"),
}


def id_claim(event: dict[str, Any]) -> str | None:
    """The claim key of the event's own unique id (inspection:…, incident:…), if its type has one.
    Also asked of events not yet validated (prefetch): anything may be in `type`."""
    kind = event.get("type")
    spec = UNIQUE_IDS.get(kind) if isinstance(kind, str) else None
    return f"{spec[1]}:{event[spec[0]]}" if spec and _well_formed(event.get(spec[0])) else None


class Decisions:
    def __init__(
        self,
        load: Loader,
        lookup_claims: ClaimLookup,
        recorded_by: str,
        now: datetime,
        authorize: Authorizer | None = None,
    ) -> None:
        self._load = load
        self._authorize = authorize
        self._lookup_claims = lookup_claims
        self.recorded_by = recorded_by
        self.now = now
        self.aggregates: dict[UUID, Any] = {}
        self.stored_claims: dict[str, str] = {}  # looked up for the page being decided
        # Claims made by this unit of work, kept compact because an import of a million events
        # keeps one per event: (hash of key) -> (first 64 bits of the fingerprint). A false match
        # needs two 64-bit collisions at once.
        self.claimed: dict[int, int] = {}
        self.new_claims: list[tuple[str, str]] = []
        self.domain_events: list[Any] = []
        self.problems: list[Problem] = []
        self.duplicates = 0

    def prefetch(self, events: Sequence[Any]) -> None:
        """Look up in one query the stored claims these events may clash with."""
        keys = []
        for event in events:
            # Only well-formed ids are looked up: the others are refused by the schema anyway,
            # and some (a NUL character) cannot even be sent to PostgreSQL.
            if isinstance(event, dict) and _well_formed(event.get("event_id")):
                keys.append(event_key(event["event_id"]))
                claim = id_claim(event)
                if claim:
                    keys.append(claim)
        self.stored_claims.clear()  # the previous page's lookups are not needed any more
        missing = keys
        if missing:
            found = self._lookup_claims(missing)
            self.stored_claims.update({k: found.get(k, "") for k in missing})

    def add(self, index: int, event: Any, line: int | None = None) -> bool:
        """Decide one event; returns True when it produced a domain event."""
        event_id = event.get("event_id") if isinstance(event, dict) else None
        event_id = event_id if isinstance(event_id, str) else None

        def problem(field: str | None, message: str, conflict: bool = False) -> bool:
            self.problems.append(Problem(index, event_id, field, message, line, conflict))
            return False

        found = problems_of(event)
        if found:
            for field, message in found:
                problem(field, message)
            return False
        event = normalised(event)
        event_id, occurred_at = _id_and_time(event)
        if occurred_at > self.now + MAX_AHEAD:
            return problem(
                "occurred_at",
                f"{event['occurred_at']} is more than one day after the time of "
                f"recording ({self.now.isoformat(timespec='seconds')}); events may not be recorded "
                "in advance",
            )
        try:
            # Before the repeat check: a repeat must not tell a foreign role that an event exists.
            self._check_allowed(event, self._township_of(event))
        except RuleViolation as violation:
            self.problems.append(Problem(index, event_id, violation.field, violation.message, line, forbidden=True))
            return False
        fingerprint = digest(event)
        key = event_key(event_id)
        mine = self.claimed.get(hash(key))
        earlier = _short(self._stored_claim(key)) if mine is None else mine
        if earlier:
            if earlier == _short(fingerprint):
                self.duplicates += 1
                return False
            return problem(
                "event_id",
                f"event_id {event_id} was recorded before with different content; "
                "an event_id identifies one event (send a new event_id for a new fact)",
                conflict=True,
            )
        try:
            aggregate = self._decide(event)
        except RuleViolation as violation:
            return problem(violation.field, f"{event['type']} rejected: {violation.message}")
        self.claimed[hash(key)] = _short(fingerprint)
        self.new_claims.append((key, fingerprint))
        claim = id_claim(event)
        if claim:
            self.claimed[hash(claim)] = _short(fingerprint)
            self.new_claims.append((claim, fingerprint))
        self.aggregates[aggregate.id] = aggregate
        self.domain_events.extend(aggregate.collect_events())
        return True

    def take(self) -> tuple[list[Any], list[tuple[str, str]]]:
        """Hand over the domain events and claims decided so far (for saving in batches)."""
        taken = self.domain_events, self.new_claims
        self.domain_events, self.new_claims = [], []
        return taken

    # ---- one event -----------------------------------------------------------------------

    def _decide(self, event: dict[str, Any]) -> Any:
        kind = event["type"]
        now, by = self.now, self.recorded_by
        if kind in INSTITUTION_EVENT_TYPES:
            institution = self._get(Institution.create_id(event["institution_id"]))
            if kind == "InstitutionFiled":
                if institution is not None:
                    institution.record(event, by, now)  # raises: filed once
                return Institution.file(event, by, now)
            if institution is None:
                raise RuleViolation(
                    "institution_id",
                    f"institution {event['institution_id']} is not filed; "
                    f"every {kind} needs a filed institution (record InstitutionFiled first)",
                )
            self._check_unique_id(event)
            if kind == "ChildrenRehomed" and "to_institution_id" in event:
                self._check_destination(event)
            institution.record(event, by, now)
            return institution
        if kind == "TrainingCompleted":
            township = None
            if "institution_id" in event:
                institution = self._get(Institution.create_id(event["institution_id"]))
                if institution is None:
                    raise RuleViolation("institution_id", f"institution {event['institution_id']} is not filed")
                township = institution.township
            return TrainingSession.complete(event, township, by, now)
        if kind == "ParentingGuidanceHeld":
            return GuidanceActivity.hold(event, by, now)
        if kind == "PopulationReported":
            return PopulationReport.report(event, by, now)
        if kind == "InclusiveFeeCapSet":
            return InclusiveFeeCap.set(event, by, now)
        target = self._get(Target.create_id(event["scope"], event["kpi"]))
        if target is None:
            return Target.set(event, by, now)
        target.replace(event, by, now)
        return target

    def _check_unique_id(self, event: dict[str, Any]) -> None:
        claim = id_claim(event)
        if claim and (hash(claim) in self.claimed or self._stored_claim(claim)):
            field, noun, verb = UNIQUE_IDS[event["type"]]
            raise RuleViolation(field, f"{noun} {event[field]} is already {verb}; an {noun} id can be {verb} once")

    def _check_destination(self, event: dict[str, Any]) -> None:
        """Children are placed in another filed institution that is operating."""
        destination = event["to_institution_id"]
        if destination == event["institution_id"]:
            raise RuleViolation(
                "to_institution_id",
                f"children of {destination} cannot be placed in "
                "the institution they leave; name the institution that takes them",
            )
        found = self._get(Institution.create_id(destination))
        if found is None:
            raise RuleViolation(
                "to_institution_id",
                f"institution {destination} is not filed; children can "
                "be placed only in a filed institution (record its InstitutionFiled first)",
            )
        if not found.operating:
            raise RuleViolation(
                "to_institution_id",
                f"institution {destination} is closed; children can be placed only in an operating institution",
            )

    def _township_of(self, event: dict[str, Any]) -> str | None:
        """The township an event concerns, as the store knows it (None: unknown or district-wide)."""
        if event["type"] == "InstitutionFiled":
            return event["township"]
        if "institution_id" in event:
            institution = self._get(Institution.create_id(event["institution_id"]))
            if institution is not None:
                return institution.township
            return event.get("township") if event["type"] == "TrainingCompleted" else None
        if event["type"] == "PopulationReported":
            return None if event["scope"] == "district" else event["scope"]
        return event.get("township") if event["type"] != "TargetSet" else None

    def _check_allowed(self, event: dict[str, Any], township: str | None) -> None:
        if self._authorize is not None:
            reason = self._authorize(event, township)
            if reason:
                raise RuleViolation("type", reason, forbidden=True)

    def _get(self, aggregate_id: UUID) -> Any:
        if aggregate_id not in self.aggregates:
            self.aggregates[aggregate_id] = self._load(aggregate_id)
        return self.aggregates[aggregate_id]

    def _stored_claim(self, key: str) -> str:
        if key not in self.stored_claims:
            self.stored_claims.update({key: self._lookup_claims([key]).get(key, "")})
        return self.stored_claims[key]
