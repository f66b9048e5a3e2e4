"""Erasing a personal value (PIPL, 个人信息保护法, art. 47): an event that says which value,
why and by whom, recorded in the same transaction as the value's removal from the side table.

The chained state of the event that held the value keeps its salted digest, so the chain
verifies as before; the value and its salt are gone (tuoyu/domain/personal.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from tuoyu.domain.base import Opened, natural_id
from tuoyu.domain.problems import RuleViolation


class Redaction(Aggregate):
    """One erased value (its digest): a value is erased once."""

    @staticmethod
    def create_id(digest: str) -> Any:
        return natural_id("redaction", digest)

    class Recorded(Opened):
        pass

    def __init__(self, event: dict[str, Any], context: dict[str, Any], recorded_by: str | None) -> None:
        self.digest = event["digest"]

    @classmethod
    def record(cls, position: int, path: str, digest: str, reason: str, by: str, now: datetime) -> Redaction:
        if not reason.strip():
            raise RuleViolation(
                "reason",
                "a redaction needs a reason (the request or legal basis, without "
                "personal data), e.g. 个人信息删除申请 2026-118",
            )
        event = {
            "type": "PersonalDataRedacted",
            "occurred_at": now.isoformat(),
            "position": position,
            "field": path,
            "digest": digest,
            "reason": reason,
        }
        return cls._create(
            cls.Recorded,
            id=cls.create_id(digest),
            timestamp=now,
            event=event,
            context={"township": None},
            recorded_by=by,
        )
