"""Reading the record: the KPI snapshot, institutions, closures, rectifications, the public registry."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from tuoyu.persistence.tokens import TokenRecord
from tuoyu.service.http.responses import JSONResponse
from tuoyu.service.http.security import Caller
from tuoyu.service.platform import Platform
from tuoyu.service.timeargs import bounded_moment


class ClosureStatus(StrEnum):
    open = "open"
    all = "all"


class RectificationStatus(StrEnum):
    open = "open"
    overdue = "overdue"
    all = "all"


def read_routes(platform: Platform, caller: Caller) -> APIRouter:
    router = APIRouter()

    @router.get("/api/kpi", tags=["kpi"])
    def kpi(as_of: str | None = None, known_at: str | None = None, token: TokenRecord = Depends(caller)) -> Any:
        """The snapshot of kpis.md: live, or replayed as of a business and a knowledge time."""
        if as_of is None and known_at is None:
            return platform.live_snapshot()
        try:
            moments = [
                bounded_moment(value, name) if value else None
                for name, value in (("as_of", as_of), ("known_at", known_at))
            ]
        except ValueError as error:
            return JSONResponse({"errors": [{"field": str(error).split()[0], "message": str(error)}]}, 422)
        return platform.past_snapshot(*moments)

    @router.get("/api/institutions/{institution_id}", tags=["institutions"])
    def institution(institution_id: str, token: TokenRecord = Depends(caller)) -> Any:
        """An institution's current state and its events, oldest first."""
        found = platform.institution(institution_id)
        if found is None:
            raise HTTPException(404, f"no institution {institution_id!r} is filed")
        return found

    @router.get("/api/closures", tags=["closures"])
    def closures(status: ClosureStatus = ClosureStatus.open, token: TokenRecord = Depends(caller)) -> Any:
        """Closures: `open` emergency closures with children awaiting a place, or `all`."""
        return {"status": status.value, "closures": platform.closures(status.value)}

    @router.get("/api/rectifications", tags=["inspections"])
    def rectifications(
        status: RectificationStatus = RectificationStatus.open, token: TokenRecord = Depends(caller)
    ) -> Any:
        """Rectifications ordered by due date: `open`, `overdue` or `all`."""
        return {"status": status.value, "rectifications": platform.rectifications(status.value)}

    @router.get("/api/registry", tags=["public"])
    def public_registry() -> Any:
        """备案机构电子地图: operating filed institutions as GeoJSON, public fields only. No token."""
        return JSONResponse(platform.public_registry(), media_type="application/geo+json")

    @router.get("/api/whoami", tags=["tokens"])
    def whoami(token: TokenRecord = Depends(caller)) -> Any:
        return {"name": token.name, "role": token.role}

    return router
