"""Reading a JSON request body safely: size, content type, encoding, shape, and how long it
may take to arrive, checked first."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.requests import Request

# The limits `tuoyu import` applies to each line too.
from tuoyu.domain.limits import MAX_BODY_BYTES, MAX_DEPTH, MAX_EVENTS_PER_REQUEST, deeper_than, too_deep
from tuoyu.service.config import DEFAULT_BODY_READ_TIMEOUT

__all__ = ["MAX_BODY_BYTES", "MAX_DEPTH", "MAX_EVENTS_PER_REQUEST", "BodyError", "as_event_list", "read_json"]


class BodyError(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(message)


async def read_json(request: Request, max_bytes: int = MAX_BODY_BYTES) -> Any:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise BodyError(415, f"send events as application/json (got {media_type or 'no content type'})")
    declared = request.headers.get("content-length", "").strip().lstrip("0")
    # ASCII digits only (int() takes "²" and refuses more than 4,300 digits); too long is too large.
    if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > max_bytes):
        size = f"{int(declared):,} bytes" if len(declared) <= 18 else "more than 10^18 bytes"
        raise BodyError(
            413,
            f"the body is {size}; at most {max_bytes:,} bytes per request "
            "(split the events into several requests, or use `tuoyu import`)",
        )
    body = await _read_body(request, max_bytes)
    if not body.strip():
        raise BodyError(400, "the body is empty; send one event (a JSON object) or a JSON array of events")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError as bad:
            raise BodyError(400, f"the body is not UTF-8 (byte {bad.start})") from None
        if "depth limit" in str(error):
            raise BodyError(400, too_deep()) from None
        raise BodyError(400, f"the body is not valid JSON: {error}") from None
    if deeper_than(payload, MAX_DEPTH):
        raise BodyError(400, too_deep())
    return payload


async def _read_body(request: Request, max_bytes: int) -> bytearray:
    """The body, read within the app's `body_read_timeout` (TUOYU_BODY_READ_TIMEOUT): a client
    that sends less than its Content-Length, or trickles it, would otherwise hold the request
    open for ever, since uvicorn has no timeout for reading a body."""
    seconds = getattr(request.app.state, "body_read_timeout", DEFAULT_BODY_READ_TIMEOUT)
    body = bytearray()
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                body += chunk
                if len(body) > max_bytes:
                    raise BodyError(413, f"the body exceeds {max_bytes:,} bytes per request")
    except TimeoutError:
        raise BodyError(
            408,
            f"the body did not arrive within {seconds:g} s ({len(body):,} bytes received); "
            "send the whole body at once, as its Content-Length says",
        ) from None
    return body


def as_event_list(payload: Any) -> list[Any]:
    if isinstance(payload, dict):
        return [payload]
    if isinstance(payload, list):
        if not payload:
            raise BodyError(422, "the array holds no events")
        if len(payload) > MAX_EVENTS_PER_REQUEST:
            raise BodyError(
                413,
                f"{len(payload):,} events in one request; at most {MAX_EVENTS_PER_REQUEST:,} "
                "(use `tuoyu import` for bulk loads)",
            )
        return payload
    raise BodyError(422, "the body must be one event (a JSON object) or a JSON array of events")
