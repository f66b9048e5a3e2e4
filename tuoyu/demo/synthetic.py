"""A fast, seeded stream of valid events of any length, for benchmarks and load tests.

Unlike the demo history (generator.py) it does not try to look like Mentougou; it keeps a
minimal model of each institution so that every event passes every rule when recorded in
order, and it streams, so a million events never sit in memory.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from tuoyu.domain.catalogue import INSTITUTION_KINDS, TOWNSHIP_IDS
from tuoyu.projections.facts import SHANGHAI

START = datetime(2023, 1, 1, 9, 0, tzinfo=SHANGHAI)


def synthetic_events(count: int, seed: int = 7, institutions: int | None = None) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    pool = institutions or max(20, count // 200)
    slots: dict[str, int] = {}
    enrolled: dict[str, int] = {}
    step = timedelta(seconds=max(1, int(3 * 365 * 86400 / max(count, 1))))
    moment = START
    for n in range(count):
        moment += step
        occurred_at = moment.isoformat()
        event_id = f"syn-{seed}-{n}"
        filed = list(slots)
        if len(filed) < pool and (not filed or rng.random() < 0.05):
            iid = f"SYN-{seed}-{len(filed):06d}"
            slots[iid], enrolled[iid] = rng.randrange(10, 120), 0
            yield {
                "event_id": event_id,
                "type": "InstitutionFiled",
                "occurred_at": occurred_at,
                "institution_id": iid,
                "name": f"合成托育机构{len(filed)}",
                "township": rng.choice(TOWNSHIP_IDS),
                "kind": rng.choice(INSTITUTION_KINDS),
                "slots": slots[iid],
                "inclusive": rng.random() < 0.6,
                "monthly_fee_yuan": rng.randrange(1000, 8000),
            }
            continue
        iid = rng.choice(filed)
        roll = rng.random()
        room = slots[iid] - enrolled[iid]
        if roll < 0.4 and room > 0:
            children = rng.randint(1, min(5, room))
            enrolled[iid] += children
            yield {
                "event_id": event_id,
                "type": "ChildrenEnrolled",
                "occurred_at": occurred_at,
                "institution_id": iid,
                "children": children,
            }
        elif roll < 0.7 and enrolled[iid] > 0:
            children = rng.randint(1, min(5, enrolled[iid]))
            enrolled[iid] -= children
            yield {
                "event_id": event_id,
                "type": "ChildrenWithdrawn",
                "occurred_at": occurred_at,
                "institution_id": iid,
                "children": children,
            }
        elif roll < 0.8:
            slots[iid] = max(enrolled[iid], slots[iid] + rng.randint(-5, 10))
            yield {
                "event_id": event_id,
                "type": "CapacityChanged",
                "occurred_at": occurred_at,
                "institution_id": iid,
                "slots": slots[iid],
            }
        elif roll < 0.9:
            caregivers = max(1, slots[iid] // 5)
            yield {
                "event_id": event_id,
                "type": "StaffReported",
                "occurred_at": occurred_at,
                "institution_id": iid,
                "caregivers": caregivers,
                "certified_caregivers": rng.randint(0, caregivers),
            }
        elif roll < 0.95:
            yield {
                "event_id": event_id,
                "type": "TrainingCompleted",
                "occurred_at": occurred_at,
                "course": rng.choice(("head", "caregiver", "health")),
                "people": rng.randint(5, 40),
                "township": rng.choice(TOWNSHIP_IDS),
            }
        else:
            yield {
                "event_id": event_id,
                "type": "RiskCreditGraded",
                "occurred_at": occurred_at,
                "institution_id": iid,
                "risk": rng.choice(("low", "medium", "high")),
                "credit": rng.choice("ABCD"),
            }
