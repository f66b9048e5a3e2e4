"""The built-in wall page (GET /), the public map (GET /map) and the public JSON the wall reads.

No login: a wall screen has none. The wall's JSON is the live snapshot of kpis.md (aggregates,
already public through /metrics), the district's slots over time and the firing alerts of the
Prometheus beside the service. The pages load nothing from outside the service (the
Content-Security-Policy says so), except map tiles when a tile URL is configured.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse
from starlette.concurrency import run_in_threadpool

from tuoyu import clock
from tuoyu.alerts.templates import DECIMAL_KPIS
from tuoyu.domain.catalogue import (
    DISTRICT_NAME_ZH,
    INCIDENT_CATEGORY_NAMES_ZH,
    INCIDENT_SEVERITY_NAMES_ZH,
    KIND_NAMES_ZH,
    KPI_NAMES_ZH,
    RATIO_KPIS,
    TOWNSHIPS,
    UNIT_NAMES_ZH,
)
from tuoyu.projections.facts import SHANGHAI
from tuoyu.projections.moments import DAY
from tuoyu.projections.supervision import SEEN_WINDOW
from tuoyu.service.http.responses import JSONResponse
from tuoyu.service.platform import Platform
from tuoyu.service.prometheus_alerts import FiringAlerts

STATIC = Path(__file__).with_name("static")
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
WALL_REFRESH_SECONDS = 10
# The alerts as the wall names them (a test keeps this equal to the subsystems' alerts).
ALERT_NAMES_ZH = {
    "EmergencyClosureOpen": "应急关停",
    "ChildrenAwaitingRehomingTooLong": "幼儿超时未安置",
    "RectificationOverdue": "整改逾期",
    "TownshipBelowSlotFloor": "镇街托位未达下限",
    "InclusiveShareBelowTarget": "普惠占比未达目标",
    "TargetBehindPace": "目标进度落后",
    "TargetMissed": "目标逾期未完成",
    "CaregiverCertificationBelowTarget": "持证率未达目标",
    "ProjectionLagging": "数据投影滞后",
    "ProjectionStuck": "数据投影停滞",
    "ProjectionUnknownEvents": "存在未知类型事件",
    "KpiMetricsAbsent": "指标数据缺失",
    "Watchdog": "值班通道自检",
    "ScrapeTargetDown": "采集中断",
    "TownshipMetricsMissing": "镇街指标缺失",
    "AlertmanagerNotificationsFailing": "告警通知发送失败",
    "MonitoringRestarted": "监控组件重启",
    "SeriousIncidentOpen": "安全事件未处置",
    "HighRiskInstitutionUninspected": "高风险机构未检查",
    "InstitutionFailedInspection": "检查不合格",
    "HealthTrainingMissing": "未完成岗前卫生保健培训",
    "InclusiveFeeAboveCap": "普惠收费超上限",
}
# What the wall needs to name and format the revision's figures and targets.
WALL_WORDS = {
    "units_zh": UNIT_NAMES_ZH,
    "kpis_zh": KPI_NAMES_ZH,
    "incident_categories_zh": INCIDENT_CATEGORY_NAMES_ZH,
    "incident_severities_zh": INCIDENT_SEVERITY_NAMES_ZH,
    "ratio_kpis": sorted(RATIO_KPIS),
    "decimal_kpis": sorted(DECIMAL_KPIS),
    "seen_days": SEEN_WINDOW // DAY,
}


def page_routes(platform: Platform, prometheus_url: str | None = None, map_tile_url: str | None = None) -> APIRouter:
    router = APIRouter()
    alerts = FiringAlerts(prometheus_url)
    files = {p.name: p for p in STATIC.iterdir() if p.suffix in MEDIA_TYPES} if STATIC.is_dir() else {}
    townships = [{"id": t.id, "name_zh": t.name_zh, "kind": t.kind, "lat": t.lat, "lon": t.lon} for t in TOWNSHIPS]
    common = {"district_zh": DISTRICT_NAME_ZH, "townships": townships, "kinds_zh": KIND_NAMES_ZH}
    wall_config = {**common, **WALL_WORDS, "alerts_zh": ALERT_NAMES_ZH, "refresh_seconds": WALL_REFRESH_SECONDS}
    map_config = {**common, "tile_url": map_tile_url}
    tile_origin = _origin(map_tile_url)

    @router.get("/", include_in_schema=False)
    def wall_page() -> HTMLResponse:
        return _page("wall.html", wall_config)

    @router.get("/oncall", include_in_schema=False)
    def oncall_page() -> HTMLResponse:
        return _page("oncall.html", {**common, "alerts_zh": ALERT_NAMES_ZH})

    @router.get("/map", include_in_schema=False)
    def map_page() -> HTMLResponse:
        return _page("map.html", map_config, extra_img_src=tile_origin)

    @router.get("/static/{name}", include_in_schema=False)
    def static_file(name: str) -> FileResponse:
        path = files.get(name)
        if path is None:
            raise HTTPException(404, f"no static file {name!r}")
        return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers={"Cache-Control": "no-cache"})

    @router.get("/api/wall", tags=["public"])
    async def wall() -> Any:
        """The wall page's figures, no token: the live KPI snapshot (aggregates only), district
        slots over time, and the firing alerts of Prometheus (`alerts.available` false when it
        is not configured or not reachable)."""
        snapshot = await run_in_threadpool(platform.live_snapshot)
        history = await run_in_threadpool(platform.slots_history)
        firing = await run_in_threadpool(alerts.current)
        return JSONResponse(
            {
                "generated_at": clock.now().astimezone(SHANGHAI).isoformat(timespec="seconds"),
                "snapshot": snapshot,
                "history": history,
                "alerts": firing,
            },
            headers={"Cache-Control": "no-store"},
        )

    return router


def _page(name: str, config: dict[str, Any], extra_img_src: str | None = None) -> HTMLResponse:
    html = (STATIC / name).read_text(encoding="utf-8")
    # JSON in a non-executed script element: "<" escaped so no text can close the element.
    data = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
    html = html.replace("<!--CONFIG-->", f'<script type="application/json" id="config">{data}</script>')
    img_src = "'self' data:" + (f" {extra_img_src}" if extra_img_src else "")
    policy = (
        f"default-src 'none'; script-src 'self'; style-src 'self'; img-src {img_src}; "
        "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    )
    return HTMLResponse(
        html,
        headers={"Content-Security-Policy": policy, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url.replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None
