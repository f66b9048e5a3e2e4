"""Reading a JSON request body safely: size, content type, encoding and shape checked first."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_EVENTS_PER_REQUEST = 10_000


class BodyError(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(message)


async def read_json(request: Request, max_bytes: int = MAX_BODY_BYTES) -> Any:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise BodyError(415, f"send events as application/json (got {media_type or 'no content type'})")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise BodyError(413, f"the body is {int(declared):,} bytes; at most {max_bytes:,} bytes per request "
                             "(split the events into several requests, or use `tuoyu import`)")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise BodyError(413, f"the body exceeds {max_bytes:,} bytes per request")
    if not body.strip():
        raise BodyError(400, "the body is empty; send one event (a JSON object) or a JSON array of events")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError as bad:
            raise BodyError(400, f"the body is not UTF-8 (byte {bad.start})") from None
        raise BodyError(400, f"the body is not valid JSON: {error}") from None


def as_event_list(payload: Any) -> list[Any]:
    if isinstance(payload, dict):
        return [payload]
    if isinstance(payload, list):
        if not payload:
            raise BodyError(422, "the array holds no events")
        if len(payload) > MAX_EVENTS_PER_REQUEST:
            raise BodyError(413, f"{len(payload):,} events in one request; at most {MAX_EVENTS_PER_REQUEST:,} "
                                 "(use `tuoyu import` for bulk loads)")
        return payload
    raise BodyError(422, "the body must be one event (a JSON object) or a JSON array of events")
