"""The HTTP API: one process with the write side and the embedded projector's live view.

Each capability is a router of its own; this module composes them, with one error shape.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from tuoyu.alerts.config import OnCall, packaged_config
from tuoyu.service.http.audit import audit_routes
from tuoyu.service.http.events import event_routes
from tuoyu.service.http.incidents import incident_routes
from tuoyu.service.http.monitoring import monitoring_routes
from tuoyu.service.http.oncall import oncall_routes
from tuoyu.service.http.openapi import add_interchange_schema
from tuoyu.service.http.pages import page_routes
from tuoyu.service.http.reads import read_routes
from tuoyu.service.http.report import report_routes
from tuoyu.service.http.responses import JSONResponse
from tuoyu.service.http.security import caller_of
from tuoyu.service.oncall import OnCallDesk
from tuoyu.service.platform import Platform


def create_app(
    platform: Platform,
    prometheus_url: str | None = None,
    map_tile_url: str | None = None,
    alertmanager_url: str | None = None,
    oncall: OnCall | None = None,
) -> FastAPI:
    """The app; the wall page shows the firing alerts of `prometheus_url`, the map draws `map_tile_url`'s tiles,
    acknowledgements silence alerts in `alertmanager_url` for `oncall`'s time (default: the packaged tunables')."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(platform.start)
        yield
        await run_in_threadpool(platform.stop)

    app = FastAPI(
        title="托育服务监测预警平台 API",
        version="1.0",
        default_response_class=JSONResponse,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        description="Mentougou childcare monitoring: record events, read KPIs, the public registry.",
    )
    _one_error_shape(app)
    caller = caller_of(platform.tokens)
    desk = OnCallDesk(platform, oncall or packaged_config().oncall, alertmanager_url)
    for router in (
        event_routes(platform, caller),
        read_routes(platform, caller),
        oncall_routes(platform, caller, desk),
        audit_routes(platform, caller),
        page_routes(platform, prometheus_url, map_tile_url),
        monitoring_routes(platform),
        incident_routes(platform, caller),
    ):
        app.include_router(router)
    app.include_router(report_routes(platform, caller))
    _interchange_schema_in_openapi(app)
    return app


def _one_error_shape(app: FastAPI) -> None:
    # Starlette's own (unknown route 404, wrong method 405) as well as ours: one error shape.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": error.detail}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def parameter_error(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"][1:]), "message": e["msg"]} for e in error.errors()]
        return JSONResponse({"errors": errors}, status_code=422)


def _interchange_schema_in_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            app.openapi_schema = add_interchange_schema(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
