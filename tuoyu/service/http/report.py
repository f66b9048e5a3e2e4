"""GET /api/report: the monitoring report to the district government, for auditors and admins.

HTML by default; PDF with `format=pdf`, or, without `format`, when the Accept header prefers
application/pdf to text/html (`Accept: application/pdf`). The query's `format` wins over Accept.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from starlette.responses import Response

from tuoyu.domain.permissions import AUDITING_ROLES
from tuoyu.persistence.tokens import TokenRecord
from tuoyu.projections.facts import SHANGHAI
from tuoyu.service.http.responses import JSONResponse
from tuoyu.service.http.security import Caller
from tuoyu.service.platform import Platform
from tuoyu.service.timeargs import bounded_moment


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"


class _BadParameter(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def report_routes(platform: Platform, caller: Caller) -> APIRouter:
    router = APIRouter(tags=["report"])

    def reader(token: TokenRecord = Depends(caller)) -> TokenRecord:
        if token.role not in AUDITING_ROLES:
            raise HTTPException(
                403, f"role {token.role} may not read the monitoring report; roles {' and '.join(AUDITING_ROLES)} may"
            )
        return token

    @router.get(
        "/api/report",
        response_class=Response,
        responses={
            200: {"content": {"text/html": {}, "application/pdf": {}}, "description": "the report"},
            400: {"description": "a bad as_of or known_at"},
            409: {"description": "the record fails verification: no report is issued"},
        },
    )
    def report(
        request: Request,
        as_of: str | None = Query(None, description="business time: a date (2024-12-31) or a date-time"),
        known_at: str | None = Query(None, description="knowledge time (default: every recorded event)"),
        format: ReportFormat | None = Query(None, description="html (default) or pdf"),
        token: TokenRecord = Depends(reader),
    ) -> Any:
        """托育服务工作监测报告 as of `as_of`, from the events recorded by `known_at`: the same
        as-of and known-at give the same bytes."""
        from tuoyu.report.basis import RecordAltered
        from tuoyu.report.make import MEDIA_TYPES, make_report
        from tuoyu.report.render import MissingGlyphs

        try:
            moment, known = _moment(as_of, "as_of"), _moment(known_at, "known_at")
            if moment is None:
                raise _BadParameter(
                    "as_of", "as_of is required: a date (2024-12-31) or a date-time (2024-12-31T18:00:00+08:00)"
                )
        except _BadParameter as error:
            return JSONResponse({"error": str(error), "errors": [{"field": error.field, "message": str(error)}]}, 400)
        fmt = format.value if format else ("pdf" if prefers_pdf(request.headers.get("accept", "")) else "html")
        try:
            data = make_report(platform.registry.recorder, moment, known, fmt)
        except RecordAltered as refused:
            return JSONResponse({"error": str(refused), "verification": refused.verdict.as_dict()}, 409)
        except MissingGlyphs as error:
            return JSONResponse({"error": f"the PDF cannot be made on this server: {error}"}, 503)
        name = f"tuoyu-report-{moment.astimezone(SHANGHAI).date().isoformat()}.{fmt}"
        return Response(
            data,
            media_type=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'inline; filename="{name}"', "Vary": "Accept"},
        )

    return router


def _moment(text: str | None, field: str) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        return bounded_moment(text, field)
    except ValueError as error:
        raise _BadParameter(field, str(error)) from None


def prefers_pdf(accept: str) -> bool:
    """Whether an Accept header ranks application/pdf above text/html (wildcards rank neither)."""
    quality = {"application/pdf": 0.0, "text/html": 0.0}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if media.lower() in quality:
            q = next((p[2:] for p in params if p.lower().startswith("q=")), "1")
            try:
                quality[media.lower()] = float(q)
            except ValueError:
                continue
    return quality["application/pdf"] > quality["text/html"]
