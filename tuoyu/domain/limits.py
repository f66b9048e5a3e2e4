"""How large and how deep an input may be, wherever events come in (the API, `tuoyu import`)."""

from __future__ import annotations

from typing import Any

# One request of the API, or one line of an import file.
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_EVENTS_PER_REQUEST = 10_000
# An event nests 3 levels (event, changes, location), 4 in an array. Far deeper input is
# refused before validation, whose messages repr() the value (RecursionError near 1,000).
MAX_DEPTH = 32


def too_deep(what: str = "the body") -> str:
    return f"{what} nests arrays and objects more than {MAX_DEPTH} levels deep; no event nests so deep"


def deeper_than(payload: Any, limit: int = MAX_DEPTH) -> bool:
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
