"""The project's copies of the shared contracts (schema, townships, plan targets).

They are copied from ../shared/spec so that the platform never reads ../shared at run
time; tests/unit/test_contracts_in_sync.py fails when the copies drift.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@cache
def event_schema() -> dict[str, Any]:
    return json.loads(_read("events.schema.json"))


@cache
def townships_document() -> dict[str, Any]:
    return json.loads(_read("townships.json"))


def plan_targets() -> list[dict[str, Any]]:
    return [json.loads(line) for line in _read("plan-targets.jsonl").splitlines() if line.strip()]
