"""Reading a JSON request body safely: size, content type, encoding and shape checked first."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_EVENTS_PER_REQUEST = 10_000
# An event nests 3 levels (event, changes, location), 4 in an array. Far deeper bodies are
# refused before validation, whose messages repr() the value (RecursionError near 1,000).
MAX_DEPTH = 32


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
        raise BodyError(413, f"the body is {size}; at most {max_bytes:,} bytes per request "
                             "(split the events into several requests, or use `tuoyu import`)")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise BodyError(413, f"the body exceeds {max_bytes:,} bytes per request")
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
            raise BodyError(400, _too_deep()) from None
        raise BodyError(400, f"the body is not valid JSON: {error}") from None
    if _deeper_than(payload, MAX_DEPTH):
        raise BodyError(400, _too_deep())
    return payload


def _too_deep() -> str:
    return f"the body nests arrays and objects more than {MAX_DEPTH} levels deep; nothing this API takes nests so deep"


def _deeper_than(payload: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (iteratively: no recursion)."""
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


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
