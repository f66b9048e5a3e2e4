"""The audit routes: trails, diffs, checkpoints and verification, for auditors and admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query

from tuoyu.audit.store import checkpoint_of, verify_store
from tuoyu.audit.trail import diff, trail
from tuoyu.domain.permissions import AUDITING_ROLES
from tuoyu.persistence.tokens import TokenRecord
from tuoyu.service.http.responses import JSONResponse
from tuoyu.service.platform import Platform
from tuoyu.service.timeargs import bounded_moment
from tuoyu.views.reading import read_facts


class BadParameter(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _optional_moment(text: str | None, field: str) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        return bounded_moment(text, field)
    except ValueError as error:
        raise BadParameter(field, str(error)) from None


def _moment(text: str | None, field: str) -> datetime:
    moment = _optional_moment(text, field)
    if moment is None:
        raise BadParameter(
            field, f"{field} is required: a date (2024-12-31) or a date-time (2024-12-31T18:00:00+08:00)"
        )
    return moment


def _bad(error: BadParameter) -> JSONResponse:
    return JSONResponse({"error": str(error), "errors": [{"field": error.field, "message": str(error)}]}, 400)


def audit_routes(platform: Platform, caller) -> APIRouter:
    router = APIRouter(tags=["audit"])

    def auditor(token: TokenRecord = Depends(caller)) -> TokenRecord:
        if token.role not in AUDITING_ROLES:
            raise HTTPException(
                403, f"role {token.role} may not read the audit record; roles {' and '.join(AUDITING_ROLES)} may"
            )
        return token

    @router.get("/api/audit/trail/{institution_id}")
    def audit_trail(institution_id: str, token: TokenRecord = Depends(auditor)) -> Any:
        """Every event of an institution: occurred_at, recorded_at and recorded_by, oldest first."""
        entries = trail(platform.registry.recorder, institution_id)
        if entries is None:
            raise HTTPException(404, f"no event of institution {institution_id!r} was ever recorded")
        return {"institution_id": institution_id, "events": entries}

    @router.get("/api/audit/diff")
    def audit_diff(
        known_from: str | None = Query(None, alias="from", description="the earlier knowledge time"),
        to: str | None = Query(None, description="the later knowledge time"),
        as_of: str | None = Query(None, description="business time of both snapshots (default: to)"),
        token: TokenRecord = Depends(auditor),
    ) -> Any:
        """Figures that changed between the snapshots known at `from` and at `to`, and the events
        recorded in between (late filings and corrections are marked `late`)."""
        try:
            start, end = _moment(known_from, "from"), _moment(to, "to")
            moment = _optional_moment(as_of, "as_of") or end
            if start > end:
                raise BadParameter("from", f"from {known_from!r} is after to {to!r}")
        except BadParameter as error:
            return _bad(error)
        recorder = platform.registry.recorder
        return diff(lambda: read_facts(recorder), start, end, moment)

    @router.get("/api/audit/verify")
    def audit_verify(token: TokenRecord = Depends(auditor)) -> Any:
        """Recompute the hash chain over the stored events: `intact`, or the first position changed."""
        return verify_store(platform.registry.recorder).as_dict()

    @router.get("/api/audit/checkpoint")
    def audit_checkpoint(token: TokenRecord = Depends(auditor)) -> Any:
        """The head position and its chain hash, after a verification (409 if the record fails it)."""
        verdict = verify_store(platform.registry.recorder)
        checkpoint = checkpoint_of(verdict)
        if not verdict.intact:
            return JSONResponse(
                {"error": "the record fails verification; no checkpoint issued", "verification": verdict.as_dict()}, 409
            )
        if checkpoint is None:
            return JSONResponse({"error": "the store holds no events yet"}, 404)
        return checkpoint.as_dict()

    return router
