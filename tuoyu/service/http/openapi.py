"""The published OpenAPI document: the routes, with the interchange schema as components."""

from __future__ import annotations

import copy
import json
from typing import Any

from tuoyu.contracts import event_schema


def interchange_components() -> dict[str, Any]:
    """The schema's $defs as OpenAPI components (refs rewritten), plus InterchangeEvent."""
    text = json.dumps(event_schema()["$defs"]).replace('"#/$defs/', '"#/components/schemas/')
    components = json.loads(text)
    components["InterchangeEvent"] = {
        "oneOf": [{"$ref": ref["$ref"].replace("#/$defs/", "#/components/schemas/")} for ref in event_schema()["oneOf"]]
    }
    return components


def events_request_body() -> dict[str, Any]:
    event = {"$ref": "#/components/schemas/InterchangeEvent"}
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"oneOf": [event, {"type": "array", "items": event, "minItems": 1, "maxItems": 10000}]}
            }
        },
    }


def add_interchange_schema(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    document.setdefault("components", {}).setdefault("schemas", {}).update(interchange_components())
    return document
