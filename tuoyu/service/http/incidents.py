"""Safety incidents (安全事件): the list any token may read."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Depends

from tuoyu.persistence.tokens import TokenRecord
from tuoyu.service.http.security import Caller
from tuoyu.service.platform import Platform


class IncidentStatus(StrEnum):
    open = "open"
    all = "all"


def incident_routes(platform: Platform, caller: Caller) -> APIRouter:
    router = APIRouter(tags=["incidents"])

    @router.get("/api/incidents")
    def incidents(status: IncidentStatus = IncidentStatus.open, token: TokenRecord = Depends(caller)) -> Any:
        """Incidents, newest report first: `open` (reported, not resolved) or `all`. Each gives the
        institution, its township, category, severity, children affected, reported and resolved times."""
        return {"status": status.value, "incidents": platform.incidents(status.value)}

    return router
