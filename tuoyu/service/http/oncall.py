"""The health commission's on-call receiver: Alertmanager's webhook in, the on-call page
(/oncall) and acknowledgements out."""

from __future__ import annotations

import hmac
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from tuoyu.domain.permissions import ACKNOWLEDGING_ROLES
from tuoyu.domain.problems import ConflictingEvent, EventsRejected
from tuoyu.persistence.tokens import TokenRecord
from tuoyu.service.http.alertmanager_payload import payload_problem
from tuoyu.service.http.body import BodyError, read_json
from tuoyu.service.http.responses import JSONResponse
from tuoyu.service.oncall import OnCallDesk
from tuoyu.service.platform import Platform

MAX_WEBHOOK_BYTES = 4 * 1024 * 1024


class AlertStatus(StrEnum):
    firing = "firing"
    resolved = "resolved"
    all = "all"


def webhook_problem(payload: Any) -> str | None:
    """What is wrong with an Alertmanager webhook payload (version 4), or None."""
    if not isinstance(payload, dict) or payload.get("version") != "4":
        return 'expected Alertmanager\'s webhook payload, version "4"'
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        return "alerts: expected a non-empty array"
    for n, alert in enumerate(alerts):
        if not isinstance(alert, dict) or not isinstance(alert.get("fingerprint"), str) or not alert["fingerprint"]:
            return f"alerts[{n}].fingerprint: expected a string"
        if alert.get("status") not in ("firing", "resolved"):
            return f"alerts[{n}].status: expected firing or resolved"
        labels = alert.get("labels")
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            return f"alerts[{n}].labels: expected an object of strings"
        if not isinstance(alert.get("annotations", {}), dict):
            return f"alerts[{n}].annotations: expected an object"
    return payload_problem(payload)


def oncall_routes(platform: Platform, caller, desk: OnCallDesk) -> APIRouter:
    """The webhook, the on-call list and acknowledgements (the page itself is served by pages.py)."""
    router = APIRouter(tags=["on-call"])

    @router.post("/api/alerts/webhook")
    async def alert_webhook(request: Request) -> Any:
        """Alertmanager posts here (webhook_configs, Bearer shared secret); each alert is recorded."""
        secret = platform.alert_webhook_secret
        if not secret:
            return JSONResponse({"error": "the alert webhook is not configured (TUOYU_ALERT_WEBHOOK_SECRET)"}, 503)
        offered = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(offered.encode(), secret.encode()):
            return JSONResponse(
                {"error": "wrong or missing shared secret"}, 401, headers={"WWW-Authenticate": "Bearer"}
            )
        try:
            payload = await read_json(request, MAX_WEBHOOK_BYTES)
        except BodyError as error:
            return JSONResponse({"error": error.message}, error.status)
        problem = webhook_problem(payload)
        if problem:
            return JSONResponse({"error": problem}, 422)
        outcome = await run_in_threadpool(desk.record, payload)
        return {"recorded": outcome.recorded, "position": outcome.position}

    @router.get("/api/oncall")
    def oncall(status: AlertStatus = AlertStatus.all, token: TokenRecord = Depends(caller)) -> Any:
        """Alerts the commission was notified of, firing first, with their acknowledgement. A
        township's token lists its township's alerts (and the district's targets shared by every
        township), no others."""
        return {"status": status.value, "alerts": desk.alerts(status.value, token.role)}

    @router.post("/api/oncall/{fingerprint}/ack")
    async def acknowledge(fingerprint: str, request: Request, token: TokenRecord = Depends(caller)) -> Any:
        """Acknowledge an alert (roles admin and oncall): silenced in Alertmanager for the tunables'
        acknowledgement_silence, and recorded as an event."""
        if token.role not in ACKNOWLEDGING_ROLES:
            raise HTTPException(
                403, f"role {token.role} may not acknowledge alerts; roles {' and '.join(ACKNOWLEDGING_ROLES)} may"
            )
        note = None
        # Any Content-Length but 0 means a body (int() would fail on "abc" or 5,000 digits: a 500).
        if request.headers.get("content-length", "0").strip().lstrip("0"):
            try:
                body = await read_json(request, 64 * 1024)
            except BodyError as error:
                return JSONResponse({"error": error.message}, error.status)
            if not isinstance(body, dict) or not isinstance(body.get("note", ""), str):
                return JSONResponse({"error": 'expected {"note": "…"}'}, 422)
            note = body.get("note") or None
        try:
            return await run_in_threadpool(desk.acknowledge, fingerprint, token, note)
        except EventsRejected as error:
            return JSONResponse({"error": error.problems[0].message}, 404)
        except ConflictingEvent as error:
            return JSONResponse({"error": error.problems[0].message}, 409)

    return router
