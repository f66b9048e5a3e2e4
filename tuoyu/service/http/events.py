"""Recording: POST /api/events, one event or an array, all or nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from tuoyu.domain.problems import ConflictingEvent, EventsRejected, Forbidden, Problem
from tuoyu.persistence.chain import ChainBroken
from tuoyu.persistence.tokens import TokenRecord
from tuoyu.service.http.body import BodyError, as_event_list, read_json
from tuoyu.service.http.openapi import events_request_body
from tuoyu.service.http.responses import JSONResponse
from tuoyu.service.http.security import Caller
from tuoyu.service.platform import Platform

RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {"description": "recorded"},
    400: {"description": "not JSON"},
    408: {"description": "the body did not arrive in time"},
    409: {"description": "conflicting event_id or concurrent change"},
    413: {"description": "too large"},
    415: {"description": "not application/json"},
    422: {"description": "schema or rule problems; nothing recorded"},
    503: {"description": "the store was altered outside the platform; nothing recorded"},
}


def problems_as_json(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"index": p.index, "event_id": p.event_id, "field": p.field, "message": p.message} for p in problems]


def event_routes(platform: Platform, caller: Caller) -> APIRouter:
    router = APIRouter(tags=["events"])

    @router.post(
        "/api/events", status_code=201, openapi_extra={"requestBody": events_request_body()}, responses=RESPONSES
    )
    async def record_events(request: Request, token: TokenRecord = Depends(caller)) -> Any:
        """Record one event or an array of events, all or nothing."""
        if token.role == "auditor":
            raise HTTPException(403, "role auditor reads everything and records nothing")
        try:
            events = as_event_list(await read_json(request))
        except BodyError as error:
            body: dict[str, Any] = {"error": error.message}
            if error.status == 422:  # the contract's 422 shape: a list of problems, here about the whole body
                body["errors"] = [{"index": None, "event_id": None, "field": None, "message": error.message}]
            return JSONResponse(body, status_code=error.status)
        try:
            outcome = await run_in_threadpool(platform.record, events, token)
        except Forbidden as error:
            return JSONResponse(
                {"error": error.problems[0].message, "errors": problems_as_json(error.problems)}, status_code=403
            )
        except ConflictingEvent as error:
            return JSONResponse({"errors": problems_as_json(error.problems)}, status_code=409)
        except EventsRejected as error:
            return JSONResponse({"errors": problems_as_json(error.problems)}, status_code=422)
        except ChainBroken as error:  # nothing recorded; the operators must look at the store
            return JSONResponse({"error": f"记录被拒绝: 事件存储在平台之外被改动 ({error})"}, status_code=503)
        return JSONResponse(
            {"recorded": outcome.recorded, "position": outcome.position, "duplicates": outcome.duplicates},
            status_code=201 if outcome.recorded else 200,
        )

    return router
