"""Watching the platform: /metrics for Prometheus, /healthz, and the on-call runbook."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from tuoyu.alerts.config import packaged_text
from tuoyu.metrics.collectors import KpiCollector, metrics_registry
from tuoyu.metrics.unknown import UnknownEventsCollector
from tuoyu.service.http.responses import JSONResponse
from tuoyu.service.platform import Platform
from tuoyu.views.projector import VIEW_NAME


def monitoring_routes(platform: Platform) -> APIRouter:
    router = APIRouter(tags=["monitoring"])
    metrics = metrics_registry(
        KpiCollector(
            platform.live_snapshot,
            lambda: (
                platform.registry.position(),
                {VIEW_NAME: platform.projector.position} if platform.projector is not None else {},
            ),
            lambda: platform.closures("open"),
            # Without the embedded projector the Faust workers export the KPI series; the API
            # exporting them too would double every sum.
            kpis=platform.projector is not None,
            stuck=platform.stuck_positions,
        )
    )
    metrics.register(
        UnknownEventsCollector(
            lambda: {VIEW_NAME: platform.projector.unknown_events()} if platform.projector is not None else {}
        )
    )

    @router.get("/metrics", response_class=Response)
    def prometheus_metrics() -> Response:
        """The contract metrics of kpis.md from the live view, and process metrics."""
        return Response(generate_latest(metrics), media_type=CONTENT_TYPE_LATEST)

    @router.get("/healthz")
    def healthz() -> Any:
        """Store reachable, projector position and lag."""
        try:
            return platform.health()
        except Exception as error:  # the store is down: say so, with 503
            return JSONResponse({"status": "unavailable", "store": f"unreachable: {error}"}, status_code=503)

    @router.get("/runbook", include_in_schema=False)
    def runbook() -> Response:
        """The on-call runbook (docs/runbook.md, packaged by `tuoyu generate`), linked from every alert."""
        return Response(packaged_text("runbook.md"), media_type="text/markdown; charset=utf-8")

    return router
