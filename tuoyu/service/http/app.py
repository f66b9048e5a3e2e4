"""The HTTP API: one process with the write side and the embedded projector's live view."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from tuoyu.alerts.config import OnCall, packaged_config, packaged_text
from tuoyu.persistence.chain import ChainBroken
from tuoyu.domain.problems import ConflictingEvent, EventsRejected, Forbidden
from tuoyu.persistence.tokens import TokenRecord
from tuoyu.projections.facts import SHANGHAI
from tuoyu.service.http.body import BodyError, as_event_list, read_json
from tuoyu.service.http.audit import audit_routes
from tuoyu.service.http.oncall import oncall_routes
from tuoyu.service.http.pages import page_routes
from tuoyu.service.oncall import OnCallDesk
from tuoyu.service.http.responses import JSONResponse
from tuoyu.service.http.openapi import add_interchange_schema, events_request_body
from tuoyu.metrics.collectors import KpiCollector, metrics_registry
from tuoyu.service.platform import Platform
from tuoyu.service.timeargs import parse_moment
from tuoyu.service.tokens import authenticate
from tuoyu.views.projector import VIEW_NAME

bearer = HTTPBearer(auto_error=False, description="a token from `tuoyu token create --role ROLE`")


class ClosureStatus(str, Enum):
    open = "open"
    all = "all"


class RectificationStatus(str, Enum):
    open = "open"
    overdue = "overdue"
    all = "all"


def create_app(platform: Platform, prometheus_url: str | None = None, map_tile_url: str | None = None,
               alertmanager_url: str | None = None, oncall: OnCall | None = None) -> FastAPI:
    """The app; the wall page shows the firing alerts of `prometheus_url`, the map draws `map_tile_url`'s tiles,
    acknowledgements silence alerts in `alertmanager_url` for `oncall`'s time (default: the packaged tunables')."""
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await run_in_threadpool(platform.start)
        yield
        await run_in_threadpool(platform.stop)

    app = FastAPI(title="托育服务监测预警平台 API", version="1.0", default_response_class=JSONResponse,
                  docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="Mentougou childcare monitoring: record events, read KPIs, the public registry.")
    metrics = metrics_registry(KpiCollector(
        platform.live_snapshot,
        lambda: (platform.registry.position(),
                 {VIEW_NAME: platform.projector.position} if platform.projector is not None else {}),
        lambda: platform.closures("open"),
        # Without the embedded projector the Faust workers export the KPI series; the API
        # exporting them too would double every sum.
        kpis=platform.projector is not None))

    def caller(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> TokenRecord:
        if credentials is None:
            raise HTTPException(401, "a bearer token is required (Authorization: Bearer …)",
                                headers={"WWW-Authenticate": "Bearer"})
        record = authenticate(platform.tokens, credentials.credentials)
        if record is None:
            raise HTTPException(401, "the token is unknown or revoked", headers={"WWW-Authenticate": "Bearer"})
        return record

    # Starlette's own (unknown route 404, wrong method 405) as well as ours: one error shape.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": error.detail}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def parameter_error(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"][1:]), "message": e["msg"]} for e in error.errors()]
        return JSONResponse({"errors": errors}, status_code=422)

    desk = OnCallDesk(platform, oncall or packaged_config().oncall, alertmanager_url)
    app.include_router(oncall_routes(platform, caller, desk))
    app.include_router(page_routes(platform, prometheus_url, map_tile_url))
    app.include_router(audit_routes(platform, caller))

    @app.get("/runbook", include_in_schema=False)
    def runbook() -> Response:
        """The on-call runbook (docs/runbook.md, packaged by `tuoyu generate`), linked from every alert."""
        return Response(packaged_text("runbook.md"), media_type="text/markdown; charset=utf-8")

    @app.post("/api/events", status_code=201, tags=["events"], openapi_extra={"requestBody": events_request_body()},
              responses={201: {"description": "recorded"}, 400: {"description": "not JSON"},
                         409: {"description": "conflicting event_id or concurrent change"},
                         413: {"description": "too large"}, 415: {"description": "not application/json"},
                         422: {"description": "schema or rule problems; nothing recorded"},
                         503: {"description": "the store was altered outside the platform; nothing recorded"}})
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
            return JSONResponse({"error": error.problems[0].message, "errors": _errors(error.problems)},
                                  status_code=403)
        except ConflictingEvent as error:
            return JSONResponse({"errors": _errors(error.problems)}, status_code=409)
        except EventsRejected as error:
            return JSONResponse({"errors": _errors(error.problems)}, status_code=422)
        except ChainBroken as error:  # nothing recorded; the operators must look at the store
            return JSONResponse({"error": f"记录被拒绝: 事件存储在平台之外被改动 ({error})"}, status_code=503)
        return JSONResponse({"recorded": outcome.recorded, "position": outcome.position,
                               "duplicates": outcome.duplicates}, status_code=201 if outcome.recorded else 200)

    @app.get("/api/kpi", tags=["kpi"])
    def kpi(as_of: str | None = None, known_at: str | None = None, token: TokenRecord = Depends(caller)) -> Any:
        """The snapshot of kpis.md: live, or replayed as of a business and a knowledge time."""
        if as_of is None and known_at is None:
            return platform.live_snapshot()
        try:
            moments = [_moment(value, name) if value else None
                       for name, value in (("as_of", as_of), ("known_at", known_at))]
        except ValueError as error:
            return JSONResponse({"errors": [{"field": str(error).split()[0], "message": str(error)}]}, 422)
        return platform.past_snapshot(*moments)

    @app.get("/api/institutions/{institution_id}", tags=["institutions"])
    def institution(institution_id: str, token: TokenRecord = Depends(caller)) -> Any:
        """An institution's current state and its events, oldest first."""
        found = platform.institution(institution_id)
        if found is None:
            raise HTTPException(404, f"no institution {institution_id!r} is filed")
        return found

    @app.get("/api/closures", tags=["closures"])
    def closures(status: ClosureStatus = ClosureStatus.open, token: TokenRecord = Depends(caller)) -> Any:
        """Closures: `open` emergency closures with children awaiting a place, or `all`."""
        return {"status": status.value, "closures": platform.closures(status.value)}

    @app.get("/api/rectifications", tags=["inspections"])
    def rectifications(status: RectificationStatus = RectificationStatus.open,
                       token: TokenRecord = Depends(caller)) -> Any:
        """Rectifications ordered by due date: `open`, `overdue` or `all`."""
        return {"status": status.value, "rectifications": platform.rectifications(status.value)}

    @app.get("/api/registry", tags=["public"])
    def public_registry() -> Any:
        """备案机构电子地图: operating filed institutions as GeoJSON, public fields only. No token."""
        return JSONResponse(platform.public_registry(), media_type="application/geo+json")

    @app.get("/api/whoami", tags=["tokens"])
    def whoami(token: TokenRecord = Depends(caller)) -> Any:
        return {"name": token.name, "role": token.role}

    @app.get("/metrics", tags=["monitoring"], response_class=Response)
    def prometheus_metrics() -> Response:
        """The contract metrics of kpis.md from the live view, and process metrics."""
        return Response(generate_latest(metrics), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", tags=["monitoring"])
    def healthz() -> Any:
        """Store reachable, projector position and lag."""
        try:
            return platform.health()
        except Exception as error:  # the store is down: say so, with 503
            return JSONResponse({"status": "unavailable", "store": f"unreachable: {error}"}, status_code=503)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            document = get_openapi(title=app.title, version=app.version, description=app.description,
                                   routes=app.routes)
            app.openapi_schema = add_interchange_schema(document)
        return app.openapi_schema

    app.openapi = openapi
    return app


def _moment(text: str, name: str) -> datetime:
    """parse_moment, refusing moments that leave years 1 to 9999 in UTC or in Shanghai
    (0001-01-01T00:00:00+14:00): the snapshot converts them and would overflow."""
    moment = parse_moment(text, name)
    try:
        moment.astimezone(timezone.utc), moment.astimezone(SHANGHAI)
    except OverflowError:
        raise ValueError(f"{name} {text!r} is out of range: it must fall within the years 0001 to 9999 "
                         "in UTC and in Asia/Shanghai") from None
    return moment


def _errors(problems) -> list[dict[str, Any]]:
    return [{"index": p.index, "event_id": p.event_id, "field": p.field, "message": p.message} for p in problems]
